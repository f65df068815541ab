"""The streaming XML writer: well-formed, escaped, indented, whatever the values hold."""

from __future__ import annotations

import io
from xml.etree import ElementTree

from kg.export.xmlout import XmlWriter


def written(build) -> bytes:
    buffer = io.BytesIO()
    xml = XmlWriter(buffer)
    build(xml)
    xml.close()
    return buffer.getvalue()


def test_values_are_escaped_and_round_trip_through_a_parser():
    hostile = "</a><script>alert(\"x\")</script> & 'quotes'\ttab\nline"

    def build(xml):
        xml.start("root", {"name": hostile})
        xml.leaf("text", None, hostile)
        xml.leaf("empty", {"n": 3, "flag": True, "skipped": None})

    root = ElementTree.fromstring(written(build))
    assert root.get("name") == hostile
    text = root.find("text")
    assert text is not None and text.text == hostile
    assert root.find("script") is None
    empty = root.find("empty")
    assert empty is not None and empty.attrib == {"n": "3", "flag": "true"}


def test_characters_xml_cannot_carry_are_dropped():
    data = written(lambda xml: xml.leaf("x", {"a": "bell\x07nul\x00"}, "esc\x1bape\ud800"))
    root = ElementTree.fromstring(data)
    assert (root.get("a"), root.text) == ("bellnul", "escape")


def test_output_is_indented_and_every_element_closed():
    def build(xml):
        xml.start("a")
        xml.start("b")
        xml.leaf("c")

    assert written(build) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<a>\n  <b>\n    <c/>\n  </b>\n</a>\n'
    )

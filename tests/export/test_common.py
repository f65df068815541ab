"""What the writers share: targets, attribute kinds, XML-safe text, dates for timelines."""

from __future__ import annotations

import io
from datetime import date

import networkx as nx
import pytest

from kg.errors import OutputError
from kg.export.common import (
    as_kind,
    attribute_kinds,
    edge_ids,
    lexical,
    period,
    plain_text,
    rgb,
    write_to,
)


def test_write_to_a_path_is_atomic_and_to_a_file_object_direct(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"before")

    def half(out):
        out.write(b"half")
        raise RuntimeError("stopped")

    with pytest.raises(OutputError, match="stopped"):
        write_to(path, half)
    assert path.read_bytes() == b"before"
    buffer = io.BytesIO()
    write_to(buffer, lambda out: out.write(b"data"))
    assert buffer.getvalue() == b"data"


def test_attribute_kinds_widen_mixed_values_and_keep_the_given_order():
    kinds = attribute_kinds(
        [{"b": 1, "a": True, "label": "x"}, {"b": 2.5, "a": "yes", "c": 3}], ("label", "c")
    )
    assert kinds == {"label": "string", "c": "integer", "a": "string", "b": "double"}
    assert as_kind(True, "string") == "true"
    assert as_kind(2, "double") == 2.0


def test_edge_ids_are_the_keys_when_unique_else_positions():
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", key="e0")
    graph.add_edge("b", "a", key="e1")
    assert edge_ids(graph) == ["e0", "e1"]
    graph.add_edge("a", "c", key="e0")
    assert edge_ids(graph) == ["e0", "e1", "e2"]


def test_plain_text_drops_what_xml_cannot_carry():
    assert plain_text("a\x00b\x07c\x1bd\ufffee\ud800f\tg\nh") == "abcdef\tg\nh"
    assert lexical(0.1) == "0.1"
    assert lexical(False) == "false"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021", (date(2021, 1, 1), date(2021, 12, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("1980-11-13", (date(1980, 11, 13), date(1980, 11, 13))),
        ("2021-03-15Z", (date(2021, 3, 15), date(2021, 3, 15))),
        ("2021-13", None),
        ("2021-02-30", None),
        ("spring", None),
    ],
)
def test_period_gives_the_first_and_last_day(text, expected):
    assert period(text) == expected


def test_rgb_reads_hex_colours_and_falls_back_to_grey():
    assert rgb("#4e79a7") == (78, 121, 167)
    assert rgb("red") == (186, 176, 172)

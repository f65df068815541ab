"""A small streaming XML writer for the GEXF and GraphML exports.

Why not networkx's writers: they build the whole tree in memory, write GEXF 1.3 that fails the
official schema, repeat edge ids in a multigraph's GraphML and choke on control characters.
Why not ElementTree: its namespace prefixes are process-wide state. This writer escapes every
text and attribute value (line breaks and tabs in attributes as character references, so they
survive attribute normalisation), drops what XML 1.0 cannot carry, and indents for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import BinaryIO
from xml.sax.saxutils import escape

from kg.export.common import lexical

_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_TEXT_ESCAPES = {"\r": "&#13;"}
_INDENT = "  "


class XmlWriter:
    """Writes elements to a binary stream as UTF-8; ``start``/``end`` nest, ``leaf`` is whole."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._open: list[list[object]] = []  # [name, has children] per open element
        self._out.write(b'<?xml version="1.0" encoding="UTF-8"?>')

    def start(self, name: str, attributes: Mapping[str, object] | None = None) -> None:
        self._child_begins()
        self._write(f"<{name}{_attributes(attributes)}>")
        self._open.append([name, False])

    def end(self) -> None:
        name, has_children = self._open.pop()
        if has_children:
            self._newline()
        self._write(f"</{name}>")

    def leaf(
        self, name: str, attributes: Mapping[str, object] | None = None, text: object = None
    ) -> None:
        """An element with no children: empty, or holding ``text``."""
        self._child_begins()
        if text is None:
            self._write(f"<{name}{_attributes(attributes)}/>")
        else:
            body = escape(lexical(text), _TEXT_ESCAPES)
            self._write(f"<{name}{_attributes(attributes)}>{body}</{name}>")

    def close(self) -> None:
        """End every open element and the document's last line."""
        while self._open:
            self.end()
        self._write("\n")

    def _child_begins(self) -> None:
        if self._open:
            self._open[-1][1] = True
        self._newline()

    def _newline(self) -> None:
        self._write("\n" + _INDENT * len(self._open))

    def _write(self, text: str) -> None:
        self._out.write(text.encode("utf-8"))


def _attributes(attributes: Mapping[str, object] | None) -> str:
    if not attributes:
        return ""
    return "".join(
        f' {name}="{escape(lexical(value), _ATTRIBUTE_ESCAPES)}"'
        for name, value in attributes.items()
        if value is not None
    )

"""What every graph writer shares: a target that is a path or a file, attribute kinds, text any
viewer can carry, and calendar bounds for timelines.

Writers take a path or a binary file object, as networkx's do. A path is written through
``kg.rdfio.atomic_write``, so a writer that fails half-way leaves the previous file as it was.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kg.rdfio import atomic_write

if TYPE_CHECKING:
    import networkx as nx

Target = str | os.PathLike[str] | BinaryIO
"""Where a writer writes: a file path, or a binary file object it leaves open."""

NODE_ATTRIBUTE_ORDER = (
    "label",
    "type",
    "iri",
    "alt_labels",
    "documents",
    "color",
    "degree",
    "pagerank",
    "community",
    "size",
)
EDGE_ATTRIBUTE_ORDER = (
    "label",
    "predicate",
    "documents",
    "sources",
    "weight",
    "since",
    "until",
    "start",
    "end",
    "date",
    "arrests",
    "participant_count",
    "role",
)

# Code points XML 1.0 cannot carry (C0 controls but tab and line breaks, surrogates,
# U+FFFE, U+FFFF): a graph built by hand in Python may hold them even though kg's labels do not.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:Z|[+-]\d{2}:\d{2})?")


def write_to(target: Target, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on ``target``: a binary file object as it is, a path atomically."""
    if isinstance(target, str | os.PathLike):
        atomic_write(Path(target), write)
    else:
        write(target)


def edge_ids(graph: nx.MultiDiGraph) -> list[str]:
    """An id per edge in iteration order: the edge keys when they are unique across the graph
    (``e0``, ``e1``, ... from ``to_networkx``), else ``e0``, ``e1``, ... by position, because
    viewers (graphology, Gephi) refuse a file that repeats an edge id."""
    keys = [str(key) for *_, key in graph.edges(keys=True)]
    return keys if len(set(keys)) == len(keys) else [f"e{i}" for i in range(len(keys))]


def plain_text(value: str) -> str:
    """``value`` without the code points XML 1.0 (and so GraphML, GEXF, SVG) cannot carry."""
    return _NOT_XML.sub("", value)


def value_kind(value: object) -> str:
    """``boolean``, ``integer``, ``double`` or ``string``: the kinds every format can declare."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    return "string"


def attribute_kinds(
    items: Iterable[Mapping[str, object]], order: tuple[str, ...] = ()
) -> dict[str, str]:
    """Each attribute's kind over every item that carries it, in ``order`` then by name.

    Formats declare one type per attribute, so integers mixed with doubles become doubles and
    any other mixture becomes strings.
    """
    kinds: dict[str, str] = {}
    for item in items:
        for key, value in item.items():
            kind = value_kind(value)
            seen = kinds.setdefault(key, kind)
            if seen != kind:
                numeric = {seen, kind} == {"integer", "double"}
                kinds[key] = "double" if numeric else "string"
    rank = {key: index for index, key in enumerate(order)}
    return dict(sorted(kinds.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def as_kind(value: object, kind: str) -> object:
    """``value`` as the declared ``kind`` (a string kind gets booleans as ``true``/``false``)."""
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if kind == "double" and isinstance(value, int | float):
        return float(value)
    return value


def lexical(value: object) -> str:
    """The text a format writes for a value: ``true``/``false``, shortest round-trip floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return plain_text(str(value))


def period(text: str) -> tuple[date, date] | None:
    """The first and last day of an ISO date, year-month or year; None for anything else."""
    match = _ISO_DATE.fullmatch(text.strip())
    if match is None:
        return None
    year = int(match[1])
    try:
        if match[2] is None:
            return date(year, 1, 1), date(year, 12, 31)
        month = int(match[2])
        if match[3] is None:
            last = calendar.monthrange(year, month)[1]  # IllegalMonthError is a ValueError
            return date(year, month, 1), date(year, month, last)
        day = date(year, month, int(match[3]))
        return day, day
    except ValueError:
        return None


def rgb(colour: str) -> tuple[int, int, int]:
    """The red, green and blue of ``#rrggbb`` (grey for anything else)."""
    if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    return 186, 176, 172

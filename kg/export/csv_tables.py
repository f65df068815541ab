"""Node and edge tables as CSV, with Neo4j admin-import headers, for Neo4j, Gephi's data
laboratory, spreadsheets and pandas. (Named ``csv_tables`` so it never shadows ``csv``.)

``nodes.csv`` starts ``:ID,name,:LABEL`` (the node id, its label, its type as the Neo4j
label) and ``edges.csv`` ``:START_ID,:END_ID,:TYPE,id`` (the predicate label as the
relationship type, letters, digits and ``_`` only); every other attribute is a column,
typed in its header the Neo4j way (``documents:int``, ``pagerank:double``,
``flag:boolean``; strings plain). So ``neo4j-admin database import full
--nodes=nodes.csv --relationships=edges.csv`` loads them as they are.

Cells follow RFC 4180 (comma, CRLF, double quotes doubled, a field quoted when it holds a
comma, a quote or a line break), UTF-8 without a byte order mark. A text cell that a
spreadsheet would take for a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage
return) gets a leading ``'``; so does one that already starts with ``'`` and then such a
character, which keeps the guard reversible: ``read_csv`` removes exactly one.

``write`` (the registry's single-stream writer) packs both tables into a ZIP archive;
``write_folder`` writes them side by side, each atomically.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import networkx as nx

from kg.errors import InputError, OutputError
from kg.export.common import (
    EDGE_ATTRIBUTE_ORDER,
    NODE_ATTRIBUTE_ORDER,
    Target,
    attribute_kinds,
    edge_ids,
    write_to,
)
from kg.rdfio import atomic_write

NODES_FILE = "nodes.csv"
EDGES_FILE = "edges.csv"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NEO4J_TYPES = {"integer": "int", "double": "double", "boolean": "boolean", "string": ""}
_PARSERS = {
    "int": int,
    "long": int,
    "double": float,
    "float": float,
    "boolean": lambda text: text == "true",
    "": str,
}
_GUARDED = re.compile(r"'*[=+\-@\t\r]")
_NOT_TYPE_NAME = re.compile(r"[^A-Za-z0-9_]+")


def write_csv(graph: nx.MultiDiGraph, nodes: Target, edges: Target) -> None:
    """Write the node table to ``nodes`` and the edge table to ``edges`` (paths or files)."""
    write_to(nodes, lambda out: out.write(node_table(graph)))
    write_to(edges, lambda out: out.write(edge_table(graph)))


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write a ZIP archive holding ``nodes.csv`` and ``edges.csv`` to ``out``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in ((NODES_FILE, node_table(graph)), (EDGES_FILE, edge_table(graph))):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, table)


def write_folder(graph: nx.MultiDiGraph, folder: Path | str) -> None:
    """Write ``nodes.csv`` and ``edges.csv`` into ``folder`` (created when missing). Both
    tables are rendered before either file is replaced, so a failure leaves both as they were."""
    folder = Path(folder)
    tables = {NODES_FILE: node_table(graph), EDGES_FILE: edge_table(graph)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {exc.strerror or exc}") from exc
    for name, table in tables.items():
        atomic_write(folder / name, lambda out, table=table: out.write(table))


def node_table(graph: nx.MultiDiGraph) -> bytes:
    """The node table as CSV bytes."""
    kinds = attribute_kinds(
        (_without_label(d) for _, d in graph.nodes(data=True)), NODE_ATTRIBUTE_ORDER
    )
    header = [":ID", "name", ":LABEL", *(_column(name, kind) for name, kind in kinds.items())]
    rows = (
        [str(node), data.get("label", node), _type_name(data.get("type", "Node"))]
        + [data.get(name) for name in kinds]
        for node, data in graph.nodes(data=True)
    )
    return _render(header, rows)


def edge_table(graph: nx.MultiDiGraph) -> bytes:
    """The edge table as CSV bytes."""
    kinds = attribute_kinds((d for *_, d in graph.edges(data=True)), EDGE_ATTRIBUTE_ORDER)
    header = [":START_ID", ":END_ID", ":TYPE", "id"]
    header += [_column(name, kind) for name, kind in kinds.items()]
    rows = (
        [str(source), str(target), _type_name(data.get("label", "RELATED")), identifier]
        + [data.get(name) for name in kinds]
        for (source, target, data), identifier in zip(
            graph.edges(data=True), edge_ids(graph), strict=True
        )
    )
    return _render(header, rows)


def read_csv(nodes: Path | str | BinaryIO, edges: Path | str | BinaryIO) -> nx.MultiDiGraph:
    """The graph the two tables describe, typed by their headers and unguarded: the inverse
    of ``write_csv`` for graphs whose attributes are strings, ints, floats and booleans."""
    graph = nx.MultiDiGraph()
    for row in _records(nodes, (":ID", "name", ":LABEL")):
        node = row.pop(":ID")
        row["label"] = row.pop("name")
        row.pop(":LABEL")
        graph.add_node(node, **row)
    for row in _records(edges, (":START_ID", ":END_ID", ":TYPE", "id")):
        source, target, key = row.pop(":START_ID"), row.pop(":END_ID"), row.pop("id")
        row.pop(":TYPE")
        graph.add_edge(source, target, key=key, **row)
    return graph


def guard(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if _GUARDED.match(text) else text


def unguard(text: str) -> str:
    """The inverse of ``guard``."""
    return text[1:] if text.startswith("'") and _GUARDED.match(text[1:]) else text


def _render(header: list[str], rows: Iterable[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8", "replace")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return guard(str(value))


def _column(name: str, kind: str) -> str:
    neo4j = _NEO4J_TYPES[kind]
    return f"{name}:{neo4j}" if neo4j else name


def _type_name(value: object) -> str:
    """A Neo4j label or relationship type: letters, digits and ``_`` (``org:memberOf`` ->
    ``org_memberOf``), never empty."""
    return _NOT_TYPE_NAME.sub("_", str(value)).strip("_") or "Node"


def _without_label(data: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in data.items() if key != "label"}


def _records(source: Path | str | BinaryIO, fixed: tuple[str, ...]) -> Iterator[dict[str, object]]:
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader, None)
    if header is None or tuple(header[: len(fixed)]) != fixed:
        raise InputError(f"expected a CSV table whose header starts {','.join(fixed)}")
    columns = [_parse_column(name) for name in header]
    for number, row in enumerate(reader, start=2):
        if len(row) != len(columns):
            raise InputError(f"CSV line {number}: {len(row)} cells under {len(columns)} columns")
        yield {
            name: parse(cell) if parse is not str else unguard(cell)
            for (name, parse), cell in zip(columns, row, strict=True)
            if cell != "" or name in fixed
        }


def _parse_column(header: str) -> tuple[str, object]:
    if header.startswith(":"):
        return header, str
    name, _, neo4j = header.partition(":")
    return name, _PARSERS.get(neo4j, str)

"""Graphviz DOT, for ``dot -Tsvg`` and the viewers built on Graphviz.

Every id and value is a double-quoted string, so IRIs keep their ``:`` (pydot cuts a node id
at the colon, taking the rest for a port) and no label can end a statement early: ``"`` is
escaped, and ``\\`` is doubled because Graphviz reads ``\\N``, ``\\G`` or ``\\l`` in labels and
tooltips as escapes; line breaks, tabs and what XML cannot carry (Graphviz writes SVG) are
removed. Nodes are filled with their ``color``, sized from ``size`` and show their IRI as a
tooltip; edges show the predicate and the number of documents as the line width. Every
other attribute is written too (Graphviz ignores names it does not know), so tools that read
DOT back get the data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import BinaryIO

import networkx as nx

from kg.export.common import Target, edge_ids, lexical, write_to

POINTS_PER_INCH = 72.0
FONT = "Helvetica"

_BREAKS = re.compile(r"[\t\n\r]+")


def write_dot(graph: nx.MultiDiGraph, path: Target) -> None:
    """Write ``graph`` as DOT to a path (atomically) or a binary file object."""
    write_to(path, lambda out: write(graph, out))


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write ``graph`` as a Graphviz ``digraph`` to the binary stream ``out``."""
    name = str(graph.graph.get("name") or "kg graph")
    lines = [
        f"digraph {quote(name)} {{",
        f"  graph {_attributes({'label': name, 'labelloc': 't', 'rankdir': 'LR'})};",
        f"  node {_attributes({'style': 'filled', 'fontname': FONT, 'shape': 'ellipse'})};",
        f"  edge {_attributes({'fontname': FONT, 'fontsize': 10})};",
    ]
    out.write(("\n".join(lines) + "\n").encode("utf-8"))
    for node, data in graph.nodes(data=True):
        statement = f"  {quote(str(node))} {_attributes(_node_attributes(str(node), data))};\n"
        out.write(statement.encode("utf-8"))
    edges = graph.edges(keys=True, data=True)
    for (source, target, _, data), identifier in zip(edges, edge_ids(graph), strict=True):
        attributes = _attributes(_edge_attributes(identifier, data))
        out.write(f"  {quote(str(source))} -> {quote(str(target))} {attributes};\n".encode())
    out.write(b"}\n")


def quote(value: object) -> str:
    """``value`` as a DOT double-quoted string that Graphviz reads back as written."""
    text = _BREAKS.sub(" ", lexical(value))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node_attributes(node: str, data: Mapping[str, object]) -> dict[str, object]:
    attributes = dict(data)
    attributes["label"] = data.get("label", node)
    attributes.setdefault("tooltip", data.get("iri", node))
    if "color" in data:
        attributes["fillcolor"] = data["color"]
        del attributes["color"]
    size = data.get("size")
    if isinstance(size, int | float) and not isinstance(size, bool) and size > 0:
        inches = round(float(size) / POINTS_PER_INCH * 1.5, 3)
        attributes |= {"width": inches, "height": inches}
        del attributes["size"]  # a graph attribute in Graphviz: it would warn on a node
    return attributes


def _edge_attributes(identifier: str, data: Mapping[str, object]) -> dict[str, object]:
    attributes: dict[str, object] = {"id": identifier, **data}
    documents = data.get("documents")
    if isinstance(documents, int) and not isinstance(documents, bool):
        attributes["penwidth"] = round(1 + math.log2(max(documents, 1)), 3)
    if "sources" in data:
        attributes.setdefault("tooltip", data["sources"])
    weight = data.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
        attributes.pop("weight", None)  # dot takes only non-negative integer weights
    return attributes


def _attributes(attributes: Mapping[str, object]) -> str:
    pairs = ", ".join(
        f"{quote(key)}={quote(value)}" for key, value in attributes.items() if value is not None
    )
    return f"[{pairs}]"

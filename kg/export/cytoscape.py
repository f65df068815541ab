"""Cytoscape JSON: the elements format that Cytoscape.js takes and Cytoscape desktop imports.

The document is ``{"format_version", "generated_by", "target_cytoscapejs_version", "data",
"directed", "multigraph", "elements": {"nodes": [{"data": {...}}], "edges": [...]}}``. Every
node's ``data`` holds its ``id`` (the entity IRI), ``name`` (its label, the column Cytoscape
desktop shows) and all its attributes; every edge's ``data`` holds ``id``, ``source``,
``target``, ``label`` (the predicate's local name), ``interaction`` (the same, desktop's edge
type column) and all its attributes. ``value`` on nodes and ``key`` on edges are what
``networkx.cytoscape_graph`` reads back, so the file round-trips through networkx too.

Why the care with values: Cytoscape desktop types a column by the first value it sees, so a
number attribute that is an ``int`` on one element and a ``float`` on another becomes
``float`` everywhere; JSON has no NaN or infinity, so non-finite numbers (and ``None``) are
left out; anything that is not a string, number or boolean is written as its ``str``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from kg import __version__

if TYPE_CHECKING:
    import networkx as nx

Scalar = str | int | float | bool
_RESERVED_NODE = ("id", "value", "name")
_RESERVED_EDGE = ("id", "source", "target", "key", "label", "interaction")


def cytoscape_data(graph: nx.MultiDiGraph) -> dict[str, object]:
    """The Cytoscape JSON document of ``graph`` (see the module docstring for its shape)."""
    node_ids = {node: str(node) for node in graph.nodes}
    nodes = [_node_data(node_ids[node], attrs) for node, attrs in graph.nodes(data=True)]
    edge_ids = _edge_ids(graph, set(node_ids.values()))
    edges = [
        _edge_data(edge_id, node_ids[source], node_ids[target], key, attrs)
        for edge_id, (source, target, key, attrs) in zip(
            edge_ids, graph.edges(keys=True, data=True), strict=True
        )
    ]
    _unify_numbers(nodes)
    _unify_numbers(edges)
    return {
        "format_version": "1.0",
        "generated_by": f"kg {__version__}",
        "target_cytoscapejs_version": "~3.0",
        "data": {"name": str(graph.graph.get("name", "kg")), **_scalars(graph.graph.items())},
        "directed": graph.is_directed(),
        "multigraph": graph.is_multigraph(),
        "elements": {
            "nodes": [{"data": data} for data in nodes],
            "edges": [{"data": data} for data in edges],
        },
    }


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write the Cytoscape JSON of ``graph`` to ``out`` as UTF-8."""
    text = json.dumps(cytoscape_data(graph), ensure_ascii=False, indent=1, allow_nan=False)
    out.write(text.encode("utf-8") + b"\n")


def _node_data(node_id: str, attrs: dict[str, object]) -> dict[str, Scalar]:
    own = _scalars((k, v) for k, v in attrs.items() if k not in _RESERVED_NODE)
    return {"id": node_id, "value": node_id, "name": str(attrs.get("label", node_id)), **own}


def _edge_data(
    edge_id: str, source: str, target: str, key: object, attrs: dict[str, object]
) -> dict[str, Scalar]:
    label = str(attrs.get("label", ""))
    own = _scalars((k, v) for k, v in attrs.items() if k not in _RESERVED_EDGE)
    return {
        "id": edge_id,
        "source": source,
        "target": target,
        "key": key if isinstance(key, str | int) and not isinstance(key, bool) else str(key),
        "label": label,
        "interaction": label,
        **own,
    }


def _edge_ids(graph: nx.MultiDiGraph, node_ids: set[str]) -> list[str]:
    """The edges' keys when they are unique strings apart from the node ids (kg's ``e0``,
    ``e1``…), else fresh ``edge-N`` ids: Cytoscape.js refuses two elements with one id."""
    keys = [key for _, _, key in graph.edges(keys=True)]
    unique = all(isinstance(key, str) for key in keys) and len(set(keys)) == len(keys)
    if unique and node_ids.isdisjoint(keys):
        return keys
    return list(_fresh_ids(len(keys), node_ids))


def _fresh_ids(count: int, taken: set[str]) -> Iterator[str]:
    number = 0
    while count:
        candidate = f"edge-{number}"
        number += 1
        if candidate not in taken:
            count -= 1
            yield candidate


def _scalars(items: Iterable[tuple[object, object]]) -> dict[str, Scalar]:
    """JSON-safe attribute values: scalars kept, ``None`` and NaN dropped, the rest ``str``."""
    result: dict[str, Scalar] = {}
    for key, value in items:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        result[str(key)] = value if isinstance(value, Scalar) else str(value)
    return result


def _unify_numbers(elements: list[dict[str, Scalar]]) -> None:
    """Make every number attribute that is a float anywhere a float everywhere."""
    floats = {key for data in elements for key, value in data.items() if isinstance(value, float)}
    for data in elements:
        for key in floats & data.keys():
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool):
                data[key] = float(value)

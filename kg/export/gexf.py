"""GEXF 1.3 for Gephi, with a timeline when the graph has dates.

Written to validate against the official GEXF 1.3 RelaxNG schema (where networkx's writer
fails: an empty ``graph@name``, a misspelt ``xsi`` namespace) and to parse in graphology:

- ``meta`` holds the creator and the graph's name (1.3 has no ``graph@name``); no
  modification date, so the same graph always gives the same file.
- Nodes carry ``label``, ``viz:color`` (from ``color``) and ``viz:size`` (from ``size``); edges
  carry ``label``, ``weight`` and ``kind`` (the label again, so Gephi keeps parallel edges of
  different predicates apart) and their own unique ``id``. Every other attribute is an
  ``attvalue`` declared once as ``long``, ``double``, ``boolean`` or ``string``, with the
  attribute's name as both its id and title (graphology keys a non-numeric id by itself).
- Dynamics: when any node or edge has a date, the graph is ``mode="dynamic"
  timeformat="date"`` and elements get ``start``/``end`` as full dates: an edge from its
  ``since``, ``start`` or ``date`` (first day of a year or month) to its ``until`` or ``end``
  (last day), an operation node from its ``start`` to its ``end``. Elements without dates
  are always present, so Gephi's timeline plays memberships and operations over a stable map.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import BinaryIO

import networkx as nx

from kg import __version__
from kg.export.common import (
    EDGE_ATTRIBUTE_ORDER,
    NODE_ATTRIBUTE_ORDER,
    Target,
    as_kind,
    attribute_kinds,
    edge_ids,
    period,
    rgb,
    write_to,
)
from kg.export.xmlout import XmlWriter

NAMESPACE = "http://gexf.net/1.3"
VIZ_NAMESPACE = "http://gexf.net/1.3/viz"
START_KEYS = ("since", "start", "date")
END_KEYS = ("until", "end")

_KINDS = {"integer": "long", "double": "double", "boolean": "boolean", "string": "string"}
_NODE_RESERVED = ("label", "color", "size")
_EDGE_RESERVED = ("label", "weight")


def write_gexf(graph: nx.MultiDiGraph, path: Target) -> None:
    """Write ``graph`` as GEXF 1.3 to a path (atomically) or a binary file object."""
    write_to(path, lambda out: write(graph, out))


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write ``graph`` as GEXF 1.3 to the binary stream ``out``."""
    node_kinds = attribute_kinds(
        (_without(data, _NODE_RESERVED) for _, data in graph.nodes(data=True)),
        NODE_ATTRIBUTE_ORDER,
    )
    edge_kinds = attribute_kinds(
        (_without(data, _EDGE_RESERVED) for *_, data in graph.edges(data=True)),
        EDGE_ATTRIBUTE_ORDER,
    )
    node_times = {node: _span(data) for node, data in graph.nodes(data=True)}
    edge_times = [_span(data) for *_, data in graph.edges(data=True)]
    dynamic = any(node_times.values()) or any(edge_times)

    xml = XmlWriter(out)
    xml.start("gexf", {"xmlns": NAMESPACE, "xmlns:viz": VIZ_NAMESPACE, "version": "1.3"})
    xml.start("meta")
    xml.leaf("creator", text=f"kg {__version__}")
    xml.leaf("description", text=str(graph.graph.get("name") or "kg graph"))
    xml.end()
    graph_attributes: dict[str, object] = {"defaultedgetype": "directed"}
    if dynamic:
        graph_attributes |= {"mode": "dynamic", "timeformat": "date"}
    xml.start("graph", graph_attributes)
    _declare(xml, "node", node_kinds)
    _declare(xml, "edge", edge_kinds)
    xml.start("nodes", {"count": graph.number_of_nodes()})
    for node, data in graph.nodes(data=True):
        _node(xml, str(node), data, node_kinds, node_times[node])
    xml.end()
    xml.start("edges", {"count": graph.number_of_edges()})
    edges = graph.edges(keys=True, data=True)
    ids = edge_ids(graph)
    for (source, target, _, data), identifier, times in zip(edges, ids, edge_times, strict=True):
        _edge(xml, identifier, str(source), str(target), data, edge_kinds, times)
    xml.end()
    xml.close()


def _declare(xml: XmlWriter, cls: str, kinds: Mapping[str, str]) -> None:
    if not kinds:
        return
    xml.start("attributes", {"class": cls, "mode": "static"})
    for name, kind in kinds.items():
        xml.leaf("attribute", {"id": name, "title": name, "type": _KINDS[kind]})
    xml.end()


def _node(
    xml: XmlWriter,
    node: str,
    data: Mapping[str, object],
    kinds: Mapping[str, str],
    times: dict[str, str],
) -> None:
    xml.start("node", {"id": node, "label": str(data.get("label", node)), **times})
    _attvalues(xml, data, kinds)
    if "color" in data:
        red, green, blue = rgb(str(data["color"]))
        xml.leaf("viz:color", {"r": red, "g": green, "b": blue})
    size = data.get("size")
    if isinstance(size, int | float) and not isinstance(size, bool):
        xml.leaf("viz:size", {"value": max(float(size), 0.0)})
    xml.end()


def _edge(
    xml: XmlWriter,
    identifier: str,
    source: str,
    target: str,
    data: Mapping[str, object],
    kinds: Mapping[str, str],
    times: dict[str, str],
) -> None:
    attributes: dict[str, object] = {"id": identifier, "source": source, "target": target}
    if "label" in data:
        attributes["label"] = attributes["kind"] = str(data["label"])
    weight = data.get("weight")
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        attributes["weight"] = float(weight)
    xml.start("edge", attributes | times)
    _attvalues(xml, data, kinds)
    xml.end()


def _attvalues(xml: XmlWriter, data: Mapping[str, object], kinds: Mapping[str, str]) -> None:
    present = [name for name in kinds if name in data]
    if not present:
        return
    xml.start("attvalues")
    for name in present:
        xml.leaf("attvalue", {"for": name, "value": as_kind(data[name], kinds[name])})
    xml.end()


def _span(data: Mapping[str, object]) -> dict[str, str]:
    """``start``/``end`` as full dates from the element's own dates, when it has any."""
    first = [p[0] for p in (_period(data.get(key)) for key in START_KEYS) if p]
    last = [p[1] for p in (_period(data.get(key)) for key in END_KEYS) if p]
    times = {}
    if first:
        times["start"] = min(first).isoformat()
    if last and (not first or max(last) >= min(first)):
        times["end"] = max(last).isoformat()
    return times


def _period(value: object) -> tuple[date, date] | None:
    return period(value) if isinstance(value, str) else None


def _without(data: Mapping[str, object], reserved: tuple[str, ...]) -> dict[str, object]:
    return {key: value for key, value in data.items() if key not in reserved}

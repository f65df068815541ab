"""GraphML for yEd, Cytoscape desktop, igraph, graphology and networkx.

- Every edge has its own ``id`` (``e0``, ``e1``, ...): networkx writes a multigraph's keys,
  which repeat between node pairs, and graphology refuses a repeated id.
- Each attribute is a ``key`` declared once with its GraphML type (``boolean``, ``long``,
  ``double``, ``string``) under ids ``d0``, ``d1``, ...; a value of another type in a
  hand-built graph is written as a string (lists, for instance, which networkx refuses).
- yEd shows only its own graphics, so each node also carries a ``y:ShapeNode`` (fill colour,
  size, label) and each edge a ``y:PolyLineEdge`` (arrow, predicate label) under keys with
  ``yfiles.type="nodegraphics"`` / ``"edgegraphics"``; other readers skip those keys.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import BinaryIO

import networkx as nx

from kg.export.common import (
    EDGE_ATTRIBUTE_ORDER,
    NODE_ATTRIBUTE_ORDER,
    Target,
    as_kind,
    attribute_kinds,
    edge_ids,
    rgb,
    write_to,
)
from kg.export.xmlout import XmlWriter

NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
YFILES_NAMESPACE = "http://www.yworks.com/xml/graphml"
SCHEMA_LOCATION = (
    "http://graphml.graphdrawing.org/xmlns "
    "http://www.yworks.com/xml/schema/graphml/1.1/ygraphml.xsd"
)
DEFAULT_NODE_SIZE = 30.0

_TYPES = {"integer": "long", "double": "double", "boolean": "boolean", "string": "string"}


def write_graphml(graph: nx.MultiDiGraph, path: Target) -> None:
    """Write ``graph`` as GraphML to a path (atomically) or a binary file object."""
    write_to(path, lambda out: write(graph, out))


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write ``graph`` as GraphML with yEd graphics to the binary stream ``out``."""
    kinds = {
        "graph": attribute_kinds([graph.graph]),
        "node": attribute_kinds((d for _, d in graph.nodes(data=True)), NODE_ATTRIBUTE_ORDER),
        "edge": attribute_kinds((d for *_, d in graph.edges(data=True)), EDGE_ATTRIBUTE_ORDER),
    }
    numbers = itertools.count()
    keys = {
        domain: {name: f"d{next(numbers)}" for name in domain_kinds}
        for domain, domain_kinds in kinds.items()
    }
    xml = XmlWriter(out)
    xml.start(
        "graphml",
        {
            "xmlns": NAMESPACE,
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xmlns:y": YFILES_NAMESPACE,
            "xsi:schemaLocation": SCHEMA_LOCATION,
        },
    )
    for domain, domain_kinds in kinds.items():
        for name, kind in domain_kinds.items():
            declaration = {"id": keys[domain][name], "for": domain, "attr.name": name}
            xml.leaf("key", declaration | {"attr.type": _TYPES[kind]})
    xml.leaf("key", {"id": "node_graphics", "for": "node", "yfiles.type": "nodegraphics"})
    xml.leaf("key", {"id": "edge_graphics", "for": "edge", "yfiles.type": "edgegraphics"})
    xml.start("graph", {"id": "G", "edgedefault": "directed"})
    _data(xml, graph.graph, keys["graph"], kinds["graph"])
    for node, data in graph.nodes(data=True):
        xml.start("node", {"id": str(node)})
        _data(xml, data, keys["node"], kinds["node"])
        _shape_node(xml, str(data.get("label", node)), data)
        xml.end()
    edges = graph.edges(keys=True, data=True)
    for (source, target, _, data), identifier in zip(edges, edge_ids(graph), strict=True):
        xml.start("edge", {"id": identifier, "source": str(source), "target": str(target)})
        _data(xml, data, keys["edge"], kinds["edge"])
        _polyline_edge(xml, data.get("label"))
        xml.end()
    xml.close()


def _data(
    xml: XmlWriter, data: Mapping[str, object], keys: Mapping[str, str], kinds: Mapping[str, str]
) -> None:
    for name, key in keys.items():
        if name in data:
            xml.leaf("data", {"key": key}, as_kind(data[name], kinds[name]))


def _shape_node(xml: XmlWriter, label: str, data: Mapping[str, object]) -> None:
    size = data.get("size")
    side = float(size) if isinstance(size, int | float) and size > 0 else DEFAULT_NODE_SIZE
    red, green, blue = rgb(str(data.get("color", "")))
    xml.start("data", {"key": "node_graphics"})
    xml.start("y:ShapeNode")
    xml.leaf("y:Geometry", {"height": side, "width": side})
    xml.leaf("y:Fill", {"color": f"#{red:02X}{green:02X}{blue:02X}", "transparent": "false"})
    xml.leaf("y:BorderStyle", {"color": "#000000", "type": "line", "width": 1.0})
    xml.leaf("y:NodeLabel", {"visible": "true"}, label)
    xml.leaf("y:Shape", {"type": "ellipse"})
    xml.end()
    xml.end()


def _polyline_edge(xml: XmlWriter, label: object) -> None:
    xml.start("data", {"key": "edge_graphics"})
    xml.start("y:PolyLineEdge")
    xml.leaf("y:LineStyle", {"color": "#000000", "type": "line", "width": 1.0})
    xml.leaf("y:Arrows", {"source": "none", "target": "standard"})
    if label is not None:
        xml.leaf("y:EdgeLabel", {"visible": "true"}, str(label))
    xml.end()
    xml.end()

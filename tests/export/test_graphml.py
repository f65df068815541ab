"""GraphML: read by igraph, graphology and networkx, edge ids unique, labels yEd shows."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pytest

from kg.export.graphml import NAMESPACE, YFILES_NAMESPACE, write_graphml
from kg.export.projection import to_networkx
from tests.export.clients import graphology, igraph_read

ID = "https://w3id.org/kgnews/id/"
NS = {"g": NAMESPACE, "y": YFILES_NAMESPACE}


@pytest.fixture(scope="module")
def graph(mini) -> nx.MultiDiGraph:
    return to_networkx(mini)


@pytest.fixture(scope="module")
def graphml_file(graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("graphml") / "mini.graphml"
    write_graphml(graph, path)
    return path


def test_igraph_reads_nodes_edges_and_typed_attributes(graphml_file, graph):
    read = igraph_read(graphml_file)
    assert (read.vcount(), read.ecount()) == (len(graph), graph.number_of_edges())
    veldoria = read.vs.find(id=ID + "country/xv")
    assert veldoria["label"] == "Veldoria"
    assert veldoria["documents"] == 2
    assert isinstance(veldoria["pagerank"], float)
    assert set(read.es["label"]) == {d["label"] for *_, d in graph.edges(data=True)}


def test_graphology_reads_it_with_unique_edge_ids(graphml_file, graph):
    read = graphology("graphml", graphml_file)
    assert (read["order"], read["size"]) == (len(graph), graph.number_of_edges())
    assert sorted(read["edges"]) == sorted(f"e{i}" for i in range(graph.number_of_edges()))
    assert read["nodes"][ID + "org/interpol"]["label"] == "INTERPOL"
    assert read["attributes"]["projection"] == "entity"


def test_networkx_reads_it_back(graphml_file, graph):
    read = nx.read_graphml(graphml_file, force_multigraph=True)
    assert set(read) == set(graph)
    assert read.nodes[ID + "country/xv"]["documents"] == 2
    assert sorted(k for *_, k in read.edges(keys=True)) == sorted(
        k for *_, k in graph.edges(keys=True)
    )


def test_yed_sees_a_labelled_coloured_shape_per_node_and_a_label_per_edge(graphml_file, graph):
    root = ElementTree.parse(graphml_file).getroot()
    graphics = {k.get("yfiles.type"): k.get("id") for k in root.iterfind("g:key", NS)}
    assert {"nodegraphics", "edgegraphics"} <= set(graphics)
    for node in root.iterfind(".//g:node", NS):
        data = node.find(f"g:data[@key='{graphics['nodegraphics']}']", NS)
        assert data is not None
        label = data.find("y:ShapeNode/y:NodeLabel", NS)
        assert label is not None and label.text == graph.nodes[node.get("id")]["label"]
        fill = data.find("y:ShapeNode/y:Fill", NS)
        assert fill is not None
        assert fill.get("color", "").lower() == graph.nodes[node.get("id")]["color"]
    edge_labels = [
        e.find(f"g:data[@key='{graphics['edgegraphics']}']/y:PolyLineEdge/y:EdgeLabel", NS)
        for e in root.iterfind(".//g:edge", NS)
    ]
    assert all(label is not None and label.text for label in edge_labels)


def test_parallel_edges_of_a_hand_built_multigraph_get_distinct_ids(tmp_path):
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", label="x")
    graph.add_edge("a", "b", label="y", tags=["p", "q"])  # a list networkx would refuse
    graph.add_edge("b", "a", label="z")  # key 0 again: networkx keys repeat across pairs
    path = tmp_path / "hand.graphml"
    write_graphml(graph, path)
    root = ElementTree.parse(path).getroot()
    assert [e.get("id") for e in root.iterfind(".//g:edge", NS)] == ["e0", "e1", "e2"]
    assert igraph_read(path).es["tags"][1] == "['p', 'q']"
    assert graphology("graphml", path)["size"] == 3

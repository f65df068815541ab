"""GEXF 1.3: valid against the official RelaxNG schema, read by graphology and networkx, and
dynamic where the graph has dates so Gephi's timeline plays it."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pytest

from kg.export.gexf import NAMESPACE, write, write_gexf
from kg.export.projection import to_networkx
from tests.export.clients import graphology, validate_gexf

ID = "https://w3id.org/kgnews/id/"
NS = {"g": NAMESPACE, "viz": "http://gexf.net/1.3/viz"}


@pytest.fixture(scope="module")
def entity_file(mini, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gexf") / "mini.gexf"
    write_gexf(to_networkx(mini), path)
    return path


def parsed(path: Path) -> ElementTree.Element:
    return ElementTree.parse(path).getroot()


def edge_times(root: ElementTree.Element) -> dict[tuple[str, str, str], tuple]:
    return {
        (e.get("source"), e.get("label"), e.get("target")): (e.get("start"), e.get("end"))
        for e in root.iterfind(".//g:edge", NS)
    }


def test_entity_graph_validates_against_the_gexf_1_3_schema(entity_file):
    validate_gexf(entity_file)


def test_rdf_graph_validates_against_the_gexf_1_3_schema(mini, tmp_path):
    path = tmp_path / "rdf.gexf"
    write_gexf(to_networkx(mini, projection="rdf"), path)
    validate_gexf(path)


def test_a_graph_without_dates_is_static_and_valid(mini, tmp_path):
    path = tmp_path / "static.gexf"
    write_gexf(to_networkx(mini, types=["Country", "Person"]), path)
    graph = parsed(path).find("g:graph", NS)
    assert graph is not None and graph.get("mode") is None
    validate_gexf(path)


def test_dates_make_a_dynamic_graph_with_edge_and_node_periods(entity_file):
    root = parsed(entity_file)
    graph = root.find("g:graph", NS)
    assert graph is not None
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    times = edge_times(root)
    # membership since 2021 (and March 2021): from the first day of the earliest
    assert times[(ID + "country/xv", "memberOf", ID + "org/interpol")] == ("2021-01-01", None)
    assert times[(ID + "country/xv", "signed", ID + "treaty/convention-on-cybercrime")] == (
        "2022-05-12",
        None,
    )
    operation = (ID + "operation/harbour-light", "participant", ID + "country/pt")
    assert times[operation] == ("2023-06-01", "2023-08-31")
    node = root.find(f".//g:node[@id='{ID}operation/harbour-light']", NS)
    assert node is not None
    assert (node.get("start"), node.get("end")) == ("2023-06-01", "2023-08-31")


def test_membership_until_ends_the_edge_on_the_last_day_of_its_month(hostile, tmp_path):
    path = tmp_path / "hostile.gexf"
    write_gexf(to_networkx(hostile), path)
    times = edge_times(parsed(path))
    membership = (ID + "country/xh", "memberOf", ID + "org/formula")
    assert times[membership] == ("2020-01-01", "2021-06-30")


def test_graphology_reads_labels_colours_sizes_and_attributes(entity_file, mini):
    read = graphology("gexf", entity_file)
    graph = to_networkx(mini)
    assert (read["order"], read["size"]) == (len(graph), graph.number_of_edges())
    veldoria = read["nodes"][ID + "country/xv"]
    assert veldoria["label"] == "Veldoria"
    assert veldoria["type"] == "Country"
    assert veldoria["documents"] == 2
    assert veldoria["color"] == "rgb(78,121,167)"
    assert 10 <= veldoria["size"] <= 50
    assert sorted(read["edges"]) == sorted(f"e{i}" for i in range(graph.number_of_edges()))
    assert {e["attributes"]["label"] for e in read["edges"].values()} >= {"memberOf", "holds"}


def test_networkx_reads_it_back(entity_file, mini):
    read = nx.read_gexf(entity_file, version="1.3")
    graph = to_networkx(mini)
    assert set(read) == set(graph)
    assert read.nodes[ID + "country/xv"]["label"] == "Veldoria"
    assert read.number_of_edges() == graph.number_of_edges()


def test_writes_the_same_bytes_to_a_path_and_to_a_file_object(entity_file, mini):
    buffer = io.BytesIO()
    write(to_networkx(mini), buffer)
    assert buffer.getvalue() == entity_file.read_bytes()


def test_a_hand_built_multigraph_gets_unique_edge_ids_and_scalar_values(tmp_path):
    graph = nx.MultiDiGraph()
    graph.add_edge("a:1", "b:2", label="x", tags=["p", "q"])
    graph.add_edge("a:1", "b:2", label="y", weight=2.5)
    graph.add_edge("b:2", "a:1", label="z")  # key 0 again: networkx keys repeat across pairs
    graph.add_node("c", label="bell\x07 and nul\x00", count=3)
    path = tmp_path / "hand.gexf"
    write_gexf(graph, path)
    validate_gexf(path)
    ids = [e.get("id") for e in parsed(path).iterfind(".//g:edge", NS)]
    assert ids == ["e0", "e1", "e2"]
    assert graphology("gexf", path)["nodes"]["c"]["label"] == "bell and nul"

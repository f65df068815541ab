"""Cytoscape JSON export: element shapes, values Cytoscape can type, and a render in Chromium."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import networkx as nx
import pytest

from kg.export.cytoscape import cytoscape_data, write

ROOT = Path(__file__).resolve().parents[2]
CYTOSCAPE_JS = ROOT / "kg" / "web" / "vendor" / "cytoscape" / "cytoscape.min.js"
ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE = ROOT / "examples" / "articles"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ID = "https://w3id.org/kgnews/id/"
TYPE_COLOURS = {
    "Country": "#4e79a7",
    "InternationalOrganisation": "#f28e2b",
    "LawEnforcementAgency": "#e15759",
    "LegislativeBody": "#76b7b2",
    "Person": "#59a14f",
    "Treaty": "#edc948",
    "Operation": "#b07aa1",
}


def entity_graph() -> nx.MultiDiGraph:
    """A small entity projection in the export contract, written by hand."""
    graph = nx.MultiDiGraph(name="test graph")
    nodes = [
        ("org/interpol", "INTERPOL", "InternationalOrganisation", 0.22, 0),
        ("org/europol", "Europol", "LawEnforcementAgency", 0.12, 0),
        ("org/unga", "United Nations General Assembly", "LegislativeBody", 0.05, 1),
        ("country/xv", "Veldoria", "Country", 0.16, 0),
        ("country/pt", "Portugal", "Country", 0.08, 0),
        ("person/ana-ferreira", "Ana Ferreira", "Person", 0.05, 0),
        ("treaty/cybercrime", "Convention on Cybercrime", "Treaty", 0.14, 1),
        ("operation/harbour-light", "Operation Harbour Light", "Operation", 0.18, 0),
    ]
    for slug, label, kind, pagerank, community in nodes:
        graph.add_node(
            ID + slug,
            label=label,
            type=kind,
            iri=ID + slug,
            alt_labels="",
            documents=1,
            color=TYPE_COLOURS[kind],
            degree=0,
            pagerank=pagerank,
            community=community,
            size=10 + 100 * pagerank,
        )
    edges = [
        ("country/xv", "org/interpol", "memberOf", "http://www.w3.org/ns/org#", {"since": "2021"}),
        ("country/xv", "treaty/cybercrime", "signed", "", {"date": "2022-05-12"}),
        ("country/xv", "treaty/cybercrime", "ratified", "", {"date": "2023"}),
        ("org/unga", "treaty/cybercrime", "adopted", "", {}),
        ("operation/harbour-light", "org/interpol", "coordinatedBy", "", {"arrests": 40}),
        ("operation/harbour-light", "org/europol", "coordinatedBy", "", {}),
        ("operation/harbour-light", "country/xv", "participant", "", {"start": "2023-06"}),
        ("operation/harbour-light", "country/pt", "participant", "", {"end": "2023-08"}),
        ("person/ana-ferreira", "org/interpol", "holds", "", {"role": "Secretary General"}),
    ]
    for number, (source, target, label, namespace, extra) in enumerate(edges):
        predicate = (namespace or "https://w3id.org/kgnews/ontology#") + label
        graph.add_edge(
            ID + source,
            ID + target,
            key=f"e{number}",
            label=label,
            predicate=predicate,
            documents=1,
            sources="https://w3id.org/kgnews/doc/example",
            weight=1.0,
            **extra,
        )
    for node, degree in graph.degree():
        graph.nodes[node]["degree"] = degree
    return graph


@pytest.fixture(scope="module")
def example_projection() -> nx.MultiDiGraph:
    """The entity projection of the bundled example article, built with the real model."""
    from kg.export.projection import to_networkx
    from kg.pipeline import build_dataset

    return to_networkx(build_dataset([EXAMPLE]))


def test_every_node_carries_its_id_name_and_all_its_attributes() -> None:
    graph = entity_graph()
    nodes = {n["data"]["id"]: n["data"] for n in cytoscape_data(graph)["elements"]["nodes"]}
    assert set(nodes) == set(graph.nodes)
    interpol = nodes[ID + "org/interpol"]
    assert interpol["name"] == "INTERPOL"
    for key, value in graph.nodes[ID + "org/interpol"].items():
        assert interpol[key] == value


def test_every_edge_carries_id_source_target_label_and_all_its_attributes() -> None:
    graph = entity_graph()
    edges = {e["data"]["id"]: e["data"] for e in cytoscape_data(graph)["elements"]["edges"]}
    assert set(edges) == {f"e{n}" for n in range(graph.number_of_edges())}
    signed = edges["e1"]
    assert (signed["source"], signed["target"]) == (ID + "country/xv", ID + "treaty/cybercrime")
    assert signed["label"] == signed["interaction"] == "signed"
    for key, value in graph.edges[ID + "country/xv", ID + "treaty/cybercrime", "e1"].items():
        assert signed[key] == value


def test_the_document_round_trips_through_json_and_networkx() -> None:
    graph = entity_graph()
    out = io.BytesIO()
    write(graph, out)
    back = nx.cytoscape_graph(json.loads(out.getvalue().decode("utf-8")))
    assert set(back.nodes) == set(graph.nodes)
    assert sorted((s, t, k) for s, t, k in back.edges(keys=True)) == sorted(graph.edges(keys=True))
    assert back.nodes[ID + "person/ana-ferreira"]["label"] == "Ana Ferreira"
    assert back.edges[ID + "person/ana-ferreira", ID + "org/interpol", "e8"]["role"] == (
        "Secretary General"
    )


def test_a_number_that_is_a_float_anywhere_is_a_float_everywhere() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a", label="a", size=10)
    graph.add_node("b", label="b", size=12.5)
    graph.add_edge("a", "b", key="e0", weight=1)
    graph.add_edge("b", "a", key="e1", weight=2.0)
    document = cytoscape_data(graph)
    sizes = [n["data"]["size"] for n in document["elements"]["nodes"]]
    weights = [e["data"]["weight"] for e in document["elements"]["edges"]]
    assert all(isinstance(value, float) for value in sizes + weights)


def test_none_and_non_finite_values_are_left_out_and_other_objects_become_text() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a", label="a", missing=None, pagerank=math.nan, tags=["x", "y"], flag=True)
    data = cytoscape_data(graph)["elements"]["nodes"][0]["data"]
    assert "missing" not in data and "pagerank" not in data
    assert data["tags"] == "['x', 'y']"
    assert data["flag"] is True
    out = io.BytesIO()
    write(graph, out)  # allow_nan=False: would raise on a NaN that slipped through
    assert json.loads(out.getvalue())["elements"]["nodes"][0]["data"]["id"] == "a"


def test_edges_without_unique_string_keys_get_fresh_ids_that_clash_with_no_node() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("edge-0", "b")  # key 0
    graph.add_edge("edge-0", "b")  # key 1
    graph.add_edge("b", "edge-0")  # key 0 again
    document = cytoscape_data(graph)
    edge_ids = [e["data"]["id"] for e in document["elements"]["edges"]]
    node_ids = {n["data"]["id"] for n in document["elements"]["nodes"]}
    assert len(set(edge_ids)) == 3
    assert node_ids.isdisjoint(edge_ids)
    assert sorted(e["data"]["key"] for e in document["elements"]["edges"]) == [0, 0, 1]


def test_the_file_is_utf8_json_with_the_labels_as_written() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("x", label="Côte d’Ivoire \u2028 </script>")
    out = io.BytesIO()
    write(graph, out)
    document = json.loads(out.getvalue().decode("utf-8"))
    assert document["elements"]["nodes"][0]["data"]["name"] == "Côte d’Ivoire \u2028 </script>"


@pytest.mark.model
def test_the_example_graph_exports_every_entity_and_fact(example_projection) -> None:
    document = cytoscape_data(example_projection)
    nodes = {n["data"]["id"]: n["data"] for n in document["elements"]["nodes"]}
    edges = [e["data"] for e in document["elements"]["edges"]]
    assert set(nodes) == set(example_projection.nodes)
    assert len(edges) == example_projection.number_of_edges()
    zimbabwe = ID + "country/zw"
    assert nodes[zimbabwe]["name"] == "Zimbabwe"
    (membership,) = [e for e in edges if e["source"] == zimbabwe]
    assert (membership["target"], membership["label"]) == (ID + "org/interpol", "memberOf")
    assert membership["since"] == "1980-11-13"


# --- rendering in Cytoscape.js -----------------------------------------------------------

TEST_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>cytoscape export</title></head>
<body style="margin:0"><div id="cy" style="width:900px;height:650px"></div>
<script src="{script}"></script></body></html>
"""

RENDER = """text => {
  const doc = JSON.parse(text);
  const cy = cytoscape({
    container: document.getElementById('cy'),
    elements: doc.elements,
    style: [
      {selector: 'node', style: {'background-color': 'data(color)', 'label': 'data(name)',
        'width': 'data(size)', 'height': 'data(size)', 'font-size': 11}},
      {selector: 'edge', style: {'label': 'data(label)', 'curve-style': 'bezier',
        'target-arrow-shape': 'triangle', 'font-size': 9, 'width': 1.5}},
    ],
    layout: {name: 'cose', animate: false, randomize: false, padding: 30},
  });
  return {nodes: cy.nodes().length, edges: cy.edges().length};
}"""


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists() and not os.environ.get("KG_REQUIRE_BROWSER"):
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 650})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()


def render(page, graph: nx.MultiDiGraph, folder: Path) -> dict[str, int]:
    """Load the export of ``graph`` into Cytoscape.js on a blank page: the element counts."""
    out = io.BytesIO()
    write(graph, out)
    html = folder / "index.html"
    html.write_text(TEST_PAGE.format(script=CYTOSCAPE_JS.as_uri()), encoding="utf-8")
    page.goto(html.as_uri())
    return page.evaluate(RENDER, out.getvalue().decode("utf-8"))


@pytest.mark.browser
def test_the_export_renders_in_cytoscape_js_with_every_node_and_edge(
    browser_page, tmp_path: Path
) -> None:
    page, errors = browser_page
    graph = entity_graph()
    counts = render(page, graph, tmp_path)
    assert counts == {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cytoscape-export.png"))


@pytest.mark.model
@pytest.mark.browser
def test_the_example_graph_renders_in_cytoscape_js(
    browser_page, example_projection, tmp_path: Path
) -> None:
    page, errors = browser_page
    counts = render(page, example_projection, tmp_path)
    assert counts == {
        "nodes": example_projection.number_of_nodes(),
        "edges": example_projection.number_of_edges(),
    }
    assert errors == []

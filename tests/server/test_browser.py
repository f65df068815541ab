"""The UI in headless Chromium (Debian's, driven by Playwright): pick a named question, run it,
see its rows; run a CONSTRUCT and see its graph; see the truncation banner and errors; cells
that hold markup show it as text; and the page asks nothing of any other host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef

from kg.query import run_named
from kg.server import KgApp, running

pytestmark = [pytest.mark.browser, pytest.mark.server]

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
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
RELATIONS = """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX kg: <https://w3id.org/kgnews/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?s ?p ?o . ?s skos:prefLabel ?sLabel . ?o skos:prefLabel ?oLabel . ?o a ?type }
WHERE {
  VALUES ?p { org:memberOf kg:coordinatedBy kg:participant kg:signed kg:ratified }
  ?s ?p ?o .
  FILTER NOT EXISTS { ?s kg:rule ?rule }  # the plain triples, not the qualified fact nodes
  OPTIONAL { ?s skos:prefLabel ?sLabel }
  OPTIONAL { ?o skos:prefLabel ?oLabel }
  OPTIONAL { ?o a ?type . FILTER(?p = org:memberOf) }
}"""
HOSTILE = '<img src=x onerror="window.pwned=1">'


@dataclass
class Browsing:
    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self) -> None:
        self.page.goto(self.base_url)
        self.page.wait_for_selector("body[data-ready=true]")

    def run(self) -> None:
        self.page.click("#run")
        self.page.wait_for_function("() => !document.getElementById('run').disabled")

    def table(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#results tbody tr",
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
        )


def hostile_dataset() -> Dataset:
    dataset = Dataset(default_union=True)
    graph = dataset.graph(URIRef("http://example.org/g"))
    for number in range(5):
        graph.add(
            (
                URIRef(f"http://example.org/s{number}"),
                URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
                Literal(f"{HOSTILE} {number}"),
            )
        )
    return dataset


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists() and not os.environ.get("KG_REQUIRE_BROWSER"):
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def browse(chromium, app: KgApp) -> Iterator[Browsing]:
    with running(app) as base_url:
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        browsing = Browsing(page, base_url)
        page.on("request", lambda request: browsing.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                browsing.errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: browsing.errors.append(str(exc)))
        try:
            yield browsing
        finally:
            page.close()


@pytest.fixture
def mini(chromium, mini_dataset) -> Iterator[Browsing]:
    yield from browse(chromium, KgApp(mini_dataset))


@pytest.fixture
def hostile(chromium) -> Iterator[Browsing]:
    yield from browse(chromium, KgApp(hostile_dataset(), max_rows=2))


def expected_graph(dataset: Dataset) -> tuple[int, int, set[str]]:
    """Nodes, edges and labelled names the page should draw for RELATIONS."""
    graph = dataset.query(RELATIONS).graph
    nodes, edges, labels = set(), 0, set()
    for subject, _predicate, obj in graph:
        nodes.add(subject)
        if isinstance(obj, Literal):
            labels.add(str(obj))
        else:
            nodes.add(obj)
            edges += 1
    return len(nodes), edges, labels


def test_a_named_question_and_a_construct_in_the_browser(mini: Browsing, mini_dataset) -> None:
    page = mini.page
    mini.open()

    page.select_option("#named", "members")
    assert page.input_value("#editor").startswith("# title: Members of an organisation")
    page.fill("#param-organisation", "International Criminal Police Organization")
    mini.run()
    expected = run_named(mini_dataset, "members", {"organisation": "ICPO"})
    rows = mini.table()
    assert len(rows) == len(expected.rows) > 0
    assert {row[0] for row in rows} == {"Veldoria"}
    assert {row[1] for row in rows} == {"INTERPOL"}
    count = len(expected.rows)
    assert page.text_content("#count") == f"{count} row{'' if count == 1 else 's'}"
    assert page.is_hidden("#banner")
    assert any("/api/named/members?organisation=" in url for url in mini.requests)

    page.select_option("#named", "")
    page.fill("#editor", RELATIONS)
    mini.run()
    page.wait_for_function("() => window.kgGraph !== null")
    drawn = page.evaluate(
        """() => ({
            nodes: kgGraph.nodes().length,
            edges: kgGraph.edges().length,
            labels: kgGraph.nodes().map(n => n.data('label')),
            edgeLabels: [...new Set(kgGraph.edges().map(e => e.data('label')))].sort(),
        })"""
    )
    nodes, edges, labels = expected_graph(mini_dataset)
    assert (drawn["nodes"], drawn["edges"]) == (nodes, edges)
    assert {"Veldoria", "INTERPOL", "Operation Harbour Light"} <= set(drawn["labels"])
    assert set(drawn["labels"]) - labels == {"InternationalOrganisation"}  # a class: local name
    assert drawn["edgeLabels"] == [
        "coordinatedBy",
        "memberOf",
        "participant",
        "ratified",
        "signed",
        "type",
    ]
    assert page.is_visible("#graph")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-ui.png"), full_page=True)

    assert mini.errors == [], mini.errors + mini.requests
    foreign = [url for url in mini.requests if not url.startswith(mini.base_url)]
    assert foreign == []


def test_an_edited_named_question_runs_as_plain_sparql(mini: Browsing) -> None:
    page = mini.page
    mini.open()
    page.select_option("#named", "entities")
    page.fill("#editor", page.input_value("#editor") + "\nLIMIT 2")
    assert page.is_visible("#params-note")
    assert page.is_disabled("#param-kind")
    mini.run()
    assert len(mini.table()) == 2
    assert not any("/api/named/" in url for url in mini.requests)


def test_bad_input_shows_the_servers_message(mini: Browsing) -> None:
    page = mini.page
    mini.open()
    page.fill("#editor", "SELECT ?s WHERE { ?s ?p }")
    mini.run()
    assert page.is_visible("#error")
    assert "malformed SPARQL" in page.text_content("#error")
    page.fill("#editor", "DROP ALL")
    mini.run()
    assert "SPARQL Update is not allowed" in page.text_content("#error")
    page.select_option("#named", "evidence")
    mini.run()
    assert "needs parameter 'entity'" in page.text_content("#error")
    assert mini.table() == []


def test_a_cut_result_shows_the_banner_and_markup_stays_text(hostile: Browsing) -> None:
    page = hostile.page
    hostile.open()
    page.fill("#editor", "SELECT ?s ?label WHERE { ?s ?p ?label } ORDER BY ?label")
    hostile.run()
    assert page.is_visible("#banner")
    assert "only the first 2" in page.text_content("#banner")
    assert [row[1] for row in hostile.table()] == [f"{HOSTILE} 0", f"{HOSTILE} 1"]
    assert page.eval_on_selector_all("#results img", "images => images.length") == 0
    assert page.evaluate("window.pwned === undefined")

"""The self-contained HTML page: hostile labels stay data, the page runs offline under its CSP."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest

from kg.errors import OutputError
from kg.export import html as html_export
from tests.export.test_cytoscape import (
    ARTIFACTS,
    ID,
    browser_page,
    entity_graph,
    example_projection,
)

__all__ = ["browser_page", "example_projection"]  # fixtures shared with the Cytoscape tests

HOSTILE = {
    "script": "</script><img src=x onerror=alert(1)>",
    "attribute": '"><svg onload=alert(1)>',
    "template": "`${x}` ${alert(1)} {{x}}",
    "separators": "line\u2028separator\u2029paragraph",
    "comment": "<!-- <script>alert(1)</script> &amp; &lt;",
}


def hostile_graph() -> nx.MultiDiGraph:
    """The test entity graph plus nodes, attributes and an edge whose text is an attack."""
    graph = entity_graph()
    for name, text in HOSTILE.items():
        graph.add_node(
            ID + f"hostile/{name}",
            label=text,
            type="Organisation",
            iri=ID + f"hostile/{name}",
            alt_labels=text,
            documents=1,
            color="#9c755f",
            degree=1,
            pagerank=0.01,
            community=2,
            size=11.0,
        )
    graph.add_edge(
        ID + "hostile/script",
        ID + "org/interpol",
        key="e-hostile",
        label=HOSTILE["attribute"],
        predicate="https://w3id.org/kgnews/ontology#memberOf",
        documents=1,
        sources="javascript:alert(1) | " + HOSTILE["script"],
        weight=1.0,
        role=HOSTILE["template"],
    )
    return graph


class Page(HTMLParser):
    """Every start tag with its attributes, and the text of each script by its id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append((dict(attrs), ""))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def render(graph: nx.MultiDiGraph) -> str:
    out = io.BytesIO()
    html_export.write(graph, out)
    return out.getvalue().decode("utf-8")


def embedded(page: Page) -> dict:
    (text,) = [text for attrs, text in page.scripts if attrs.get("id") == "kg-data"]
    return json.loads(text)


def test_hostile_labels_add_no_element_and_no_event_handler() -> None:
    hostile = Page(render(hostile_graph()))
    plain = Page(render(entity_graph()))
    assert [tag for tag, _ in hostile.tags] == [tag for tag, _ in plain.tags]
    assert not {"img", "svg", "iframe", "object"} & {tag for tag, _ in hostile.tags}
    assert [attrs for attrs, _ in hostile.scripts] == [
        {"type": "application/json", "id": "kg-data"},
        {},
        {},
    ]
    handlers = [name for _, attrs in hostile.tags for name in attrs if name.startswith("on")]
    assert handlers == []


def test_the_embedded_json_reads_back_the_original_strings() -> None:
    text = render(hostile_graph())
    document = embedded(Page(text))
    labels = {n["data"]["label"] for n in document["elements"]["nodes"]}
    assert set(HOSTILE.values()) <= labels
    (edge,) = [e["data"] for e in document["elements"]["edges"] if e["data"]["id"] == "e-hostile"]
    assert edge["label"] == HOSTILE["attribute"]
    assert edge["role"] == HOSTILE["template"]
    for raw in ("</script><img", "<svg", "<!-- <script", "\u2028", "\u2029"):
        assert raw not in text


def test_script_json_escapes_what_could_end_a_script_and_nothing_else() -> None:
    value = {"a": "</script>&<!--\u2028\u2029", "b": "Côte d’Ivoire"}
    text = html_export.script_json(value)
    assert text == (
        '{"a":"\\u003c/script\\u003e\\u0026\\u003c!--\\u2028\\u2029","b":"Côte d’Ivoire"}'
    )
    assert json.loads(text) == value


def test_the_csp_runs_only_the_two_inline_scripts_by_hash_and_fetches_nothing() -> None:
    page = Page(render(entity_graph()))
    (csp,) = [
        attrs["content"]
        for tag, attrs in page.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert "unsafe-inline" not in directives["script-src"]
    executable = [text for attrs, text in page.scripts if "type" not in attrs]
    expected = {
        f"'sha256-{base64.b64encode(hashlib.sha256(t.encode()).digest()).decode()}'"
        for t in executable
    }
    assert set(directives["script-src"].split()) == expected


def test_the_page_references_no_outside_resource() -> None:
    page = Page(render(entity_graph()))
    linked = [
        (tag, name)
        for tag, attrs in page.tags
        for name in ("src", "href")
        if attrs.get(name) is not None
    ]
    assert linked == []


def test_a_script_that_could_close_its_element_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(html_export, "SCRIPT", "var x = '</SCRIPT>';")
    with pytest.raises(OutputError, match="cannot inline the page script"):
        html_export.render_html(entity_graph())


def test_the_title_is_escaped() -> None:
    text = html_export.render_html(entity_graph(), title="<b>graph</b>")
    assert "<title>&lt;b&gt;graph&lt;/b&gt;</title>" in text


# --- in Chromium, offline ----------------------------------------------------------------


def open_offline(page, graph: nx.MultiDiGraph, folder: Path) -> list[str]:
    """Open the page of ``graph`` from a file with every other request refused: the URLs
    the page asked for."""
    path = folder / "graph.html"
    path.write_text(render(graph), encoding="utf-8")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    page.goto(path.as_uri())
    page.wait_for_function("window.kg && window.kg.ready")
    return requests


def tap(page, node: str) -> None:
    page.evaluate("id => { kg.cy.getElementById(id).emit('tap'); }", node)


@pytest.mark.browser
def test_the_page_renders_offline_with_every_node_and_no_errors(
    browser_page, tmp_path: Path
) -> None:
    page, errors = browser_page
    graph = hostile_graph()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    requests = open_offline(page, graph, tmp_path)
    counts = page.evaluate("[kg.cy.nodes().length, kg.cy.edges().length]")
    assert counts == [graph.number_of_nodes(), graph.number_of_edges()]
    assert page.locator("#kg-legend button").count() == len(
        {attrs["type"] for _, attrs in graph.nodes(data=True)}
    )

    tap(page, ID + "hostile/script")
    assert page.locator("#kg-panel h2").text_content() == HOSTILE["script"]
    sources = page.locator("#kg-panel li").all_text_contents()
    assert {"javascript:alert(1)", HOSTILE["script"]} <= set(sources)
    assert page.locator("#kg-panel a").count() == 0  # javascript: is text, not a link

    page.fill("#kg-search", "harbour")
    assert page.locator("#kg-matches").text_content() == "1 match"
    page.fill("#kg-search", "")
    tap(page, ID + "org/interpol")
    links = page.locator("#kg-panel a").evaluate_all("links => links.map(a => a.href)")
    assert links == ["https://w3id.org/kgnews/doc/example"]

    assert page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
    assert dialogs == []
    assert errors == []
    assert all(re.match(r"(file|data):", url) for url in requests), requests
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-export.png"))


@pytest.mark.model
@pytest.mark.browser
def test_the_example_graph_page_renders_offline(
    browser_page, example_projection, tmp_path: Path
) -> None:
    page, errors = browser_page
    requests = open_offline(page, example_projection, tmp_path)
    count = page.evaluate("kg.cy.nodes().length")
    assert count == example_projection.number_of_nodes()
    tap(page, ID + "org/interpol")
    assert page.locator("#kg-panel h2").text_content() == "INTERPOL"
    assert errors == []
    assert all(re.match(r"(file|data):", url) for url in requests), requests


@pytest.mark.browser
def test_a_graph_too_big_for_the_force_layout_still_shows_every_node(
    browser_page, tmp_path: Path
) -> None:
    page, errors = browser_page
    graph = nx.MultiDiGraph()
    for number in range(450):
        graph.add_node(f"n{number}", label=f"Entity {number}", type="Country", size=number % 7)
        graph.add_edge(f"n{number}", f"n{number // 2}", key=f"e{number}", label="memberOf")
    open_offline(page, graph, tmp_path)
    assert page.evaluate("kg.cy.nodes().length") == 450
    positions = page.evaluate("kg.cy.nodes().map(n => [n.position('x'), n.position('y')])")
    assert len({tuple(p) for p in positions}) == 450  # laid out, not piled up
    assert errors == []

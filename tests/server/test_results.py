"""The results formats: what content negotiation picks, and bodies that standard readers parse
back into the very terms the engine produced (datatypes, language tags, blank nodes, IRIs)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.compare import isomorphic
from rdflib.query import Result

from kg.server import KgApp
from kg.server.results import GRAPH_TYPES, RESULT_TYPES, negotiate
from tests.server.helpers import typed_dataset, wsgi_call

EVERY_TERM = "SELECT ?p ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?p ?o"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def app() -> KgApp:
    return KgApp(typed_dataset())


def expected_rows() -> list[tuple]:
    """The engine's own answer, straight from rdflib, to compare the formats against."""
    result = typed_dataset().query(EVERY_TERM)
    return [(row.p, row.o, row.missing) for row in result]


def normalised(rows) -> list[tuple]:
    """Blank node labels are local to a document: compare them as 'some blank node'."""
    return [tuple("_:" if isinstance(term, BNode) else term for term in row) for row in rows]


# --- negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("text/turtle", None),
        ("image/png", None),
        ("text/csv;q=0", None),
    ],
)
def test_negotiation_for_select_and_ask(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept, RESULT_TYPES) == chosen


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/sparql-results+json, application/ld+json;q=0.9", "application/ld+json"),
        ("application/sparql-results+json", None),
    ],
)
def test_negotiation_for_construct_and_describe(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept, GRAPH_TYPES) == chosen


def test_nothing_acceptable_is_406_naming_what_is_offered(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": "ASK {}"}, accept="text/turtle")
    assert reply.status == 406
    assert "application/sparql-results+json" in reply.text


def test_a_construct_nobody_accepts_is_406(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": CONSTRUCT}, accept="text/csv")
    assert reply.status == 406
    assert "text/turtle" in reply.text


def test_answers_vary_by_accept(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": "ASK {}"})
    assert reply.headers["Vary"] == "Accept"


# --- SELECT and ASK, parsed back -----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("text/tab-separated-values", "tsv"),
    ],
)
def test_select_results_parse_back_to_the_same_terms(app: KgApp, accept: str, parser: str) -> None:
    reply = wsgi_call(app, "GET", params={"query": EVERY_TERM}, accept=accept)
    assert reply.status == 200
    assert reply.media_type == accept
    parsed = Result.parse(io.BytesIO(reply.body), format=parser)
    assert [str(var) for var in parsed.vars] == ["p", "o", "missing"]
    p, o, missing = (Variable(name) for name in ("p", "o", "missing"))
    rows = [(row.get(p), row.get(o), row.get(missing)) for row in parsed.bindings]
    assert normalised(rows) == normalised(expected_rows())


def test_sparql_json_writes_each_kind_of_term_as_the_spec_says(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": EVERY_TERM})
    document = json.loads(reply.body)
    by_predicate = {
        row["p"]["value"].rsplit("/", 1)[1]: row["o"] for row in document["results"]["bindings"]
    }
    assert document["head"]["vars"] == ["p", "o", "missing"]
    assert all("missing" not in row for row in document["results"]["bindings"])
    assert by_predicate["title"] == {"type": "literal", "value": "Der Vertrag", "xml:lang": "de"}
    assert by_predicate["count"] == {
        "type": "literal",
        "value": "42",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    assert by_predicate["date"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"
    assert by_predicate["name"] in (
        {"type": "literal", "value": "Alpha"},
        {"type": "literal", "value": "anonymous"},
        {"type": "literal", "value": "Beta"},
    )
    assert by_predicate["link"]["type"] == "bnode"
    assert by_predicate["quote"]["value"] == 'She said: "no",\tthen\nleft; a, b'


def test_csv_is_rfc4180_with_plain_values(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": EVERY_TERM}, accept="text/csv")
    assert reply.media_type == "text/csv"
    assert reply.body.startswith(b"p,o,missing\r\n")
    rows = list(csv.reader(io.StringIO(reply.text, newline="")))
    expected = [
        [str(p), f"_:{o}" if isinstance(o, BNode) else str(o), ""] for p, o, _ in expected_rows()
    ]
    assert [row if not row[1].startswith("_:") else [row[0], "_:", ""] for row in rows[1:]] == [
        row if not row[1].startswith("_:") else [row[0], "_:", ""] for row in expected
    ]


def test_csv_parses_back_with_rdflib(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": EVERY_TERM}, accept="text/csv")
    parsed = Result.parse(io.BytesIO(reply.body), format="csv")
    assert len(parsed.bindings) == len(expected_rows())


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
    ],
)
@pytest.mark.parametrize(
    ("query", "answer"), [("ASK { ?s ?p 42 }", True), ("ASK { ?s ?p 43 }", False)]
)
def test_ask_parses_back(app: KgApp, accept: str, parser: str, query: str, answer: bool) -> None:
    reply = wsgi_call(app, "GET", params={"query": query}, accept=accept)
    assert Result.parse(io.BytesIO(reply.body), format=parser).askAnswer is answer


@pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
def test_ask_in_csv_and_tsv_is_one_cell(app: KgApp, accept: str) -> None:
    reply = wsgi_call(app, "GET", params={"query": "ASK { ?s ?p 42 }"}, accept=accept)
    lines = reply.text.splitlines()
    assert len(lines) == 2
    assert "true" in lines[1]


# --- CONSTRUCT and DESCRIBE ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "parser"),
    [(None, "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")],
)
def test_construct_answers_rdf_that_parses_back_to_the_same_graph(
    app: KgApp, accept: str | None, parser: str
) -> None:
    reply = wsgi_call(app, "GET", params={"query": CONSTRUCT}, accept=accept)
    expected = typed_dataset().query(CONSTRUCT).graph
    assert reply.status == 200
    assert reply.media_type == (accept or "text/turtle")
    assert reply.headers["X-KG-Truncated"] == "false"
    parsed = Graph().parse(data=reply.text, format=parser)
    assert isomorphic(parsed, expected)
    assert len(parsed) == len(expected) == 12


def test_describe_answers_turtle(app: KgApp) -> None:
    reply = wsgi_call(app, "GET", params={"query": "DESCRIBE <http://example.org/b>"})
    parsed = Graph().parse(data=reply.text, format="turtle")
    assert (
        URIRef("http://example.org/b"),
        URIRef("http://example.org/name"),
        Literal("Beta"),
    ) in parsed

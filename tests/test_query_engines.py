"""Both query engines answer alike: rdflib over a graph file, pyoxigraph over a kg store.

Every named question runs on both, with and without parameters, on the hand-written fixture
and on the example article built for real; rows are compared as multisets. GROUP_CONCAT
(DISTINCT ...) leaves the order of what it joins open, so those cells compare as sets.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Dataset, URIRef

from kg.errors import QueryError
from kg.query import (
    OxigraphEngine,
    QueryResult,
    bind_values,
    named_queries,
    run_named,
    run_query,
)
from kg.store import META_GRAPH, GraphStore

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "articles"
BASE = "https://w3id.org/kgnews/"
INJECTION = 'x") } ; DROP ALL #'
VALUES = (
    "INTERPOL",
    "international criminal police ORGANIZATION",
    f"{BASE}id/org/interpol",
    "Veldoria",
    "Ana Ferreira",
    "Operation Harbour Light",
    "Budapest Convention",
    "signed",
    "Country",
    "",
    INJECTION,
)
_UNORDERED = re.compile(r"GROUP_CONCAT\(DISTINCT(?:(?!GROUP_CONCAT).)*?\bAS\s+\?(\w+)", re.DOTALL)


def questions() -> list[tuple[str, dict[str, str]]]:
    """Every named question: bare when it can be, then with each value for each parameter."""
    cases = []
    for name, query in named_queries().items():
        if not any(p.required for p in query.parameters):
            cases.append((name, {}))
        cases.extend((name, {p.name: value}) for p in query.parameters for value in VALUES)
        if len(query.parameters) > 1:
            cases.append((name, {p.name: "INTERPOL" for p in query.parameters}))
    return cases


def comparable(result: QueryResult, unordered: set[str]) -> tuple[tuple, Counter]:
    def cell(column: str, value: object) -> object:
        if column in unordered and isinstance(value, str):
            return frozenset(value.split(" | "))
        return value

    rows = Counter(tuple(map(cell, result.columns, row)) for row in result.rows)
    return result.columns, rows


def assert_same(dataset: Dataset, store: GraphStore, name: str, params: dict[str, str]) -> None:
    unordered = set(_UNORDERED.findall(named_queries()[name].sparql))
    expected = comparable(run_named(dataset, name, params), unordered)
    assert comparable(run_named(store, name, params), unordered) == expected


def load_into_store(dataset: Dataset, path: Path) -> GraphStore:
    store = GraphStore.open(path, create=True)
    for graph in dataset.graphs():
        if len(graph) and str(graph.identifier).startswith(f"{BASE}graph/"):
            doc_id = str(graph.identifier).removeprefix(f"{BASE}graph/")
            store.replace_document(doc_id, graph, f"hash of {doc_id}")
    return store


@pytest.fixture(scope="module")
def fixture_pair(tmp_path_factory):
    dataset = Dataset(default_union=True)
    dataset.parse(FIXTURE, format="trig")
    path = tmp_path_factory.mktemp("mini") / "store"
    load_into_store(dataset, path).close()  # closing publishes the snapshot readers open
    store = GraphStore.open(path, read_only=True)
    yield dataset, store
    store.close()


@pytest.mark.parametrize(("name", "params"), questions())
def test_every_named_question_answers_alike_on_the_fixture(fixture_pair, name, params) -> None:
    assert_same(*fixture_pair, name, params)


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT ?label WHERE { <https://w3id.org/kgnews/id/org/interpol> ?p ?label }",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
        "ASK { ?s a <https://w3id.org/kgnews/ontology#Country> }",
        "ASK { ?s a <https://w3id.org/kgnews/ontology#Nothing> }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isLiteral(?o) && ?o = 196) }",
        f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/veldoria-joins-interpol> WHERE {{ ?s ?p ?o }}",
        f"SELECT ?g ?s FROM NAMED <{BASE}graph/operation-harbour-light> "
        "WHERE { GRAPH ?g { ?s a ?t } }",
    ],
)
def test_ad_hoc_queries_answer_alike_with_each_triple_once(fixture_pair, sparql) -> None:
    dataset, store = fixture_pair
    expected = run_query(dataset, sparql)
    got = run_query(store, sparql)
    assert (got.columns, Counter(got.rows)) == (expected.columns, Counter(expected.rows))


@pytest.mark.parametrize(
    ("sparql", "params"),
    [
        ("SELECT ?x WHERE { ?s ?p ?o } LIMIT 1", {"x": "value"}),
        ("SELECT ?o WHERE { ?s ?p ?o FILTER(?o = ?x) }", {"x": "Veldoria"}),
        ("SELECT ?s WHERE { ?s ?p ?o FILTER(BOUND(?x) && ?o = ?x) }", {"x": "INTERPOL"}),
        ("SELECT ?o WHERE { ?s ?p ?o FILTER(?o = ?x) }", {"x": INJECTION}),
        (
            "SELECT (?label AS ?x) WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> "
            "?label FILTER(EXISTS { ?s ?p ?o FILTER(STR(?o) = ?x) }) }",
            {"x": "ICPO"},
        ),
    ],
)
def test_parameters_bind_as_rdflib_binds_them(fixture_pair, sparql, params) -> None:
    dataset, store = fixture_pair
    expected = run_query(dataset, sparql, params)
    got = run_query(store, sparql, params)
    assert (got.columns, Counter(got.rows)) == (expected.columns, Counter(expected.rows))


def test_a_bound_value_is_a_literal_in_a_data_block() -> None:
    text, columns = bind_values("SELECT ?o WHERE { ?s ?p ?o FILTER(?o = ?x) }", {"x": INJECTION})
    assert text == (
        'SELECT ?o WHERE { VALUES (?kg_param_x) { ("x\\") } ; DROP ALL #") } '
        "?s ?p ?o FILTER(?o = ?kg_param_x) }"
    )
    assert columns == {"kg_param_x": "x"}  # a column ?kg_param_x would be named x again


@pytest.mark.parametrize(
    ("sparql", "message"),
    [
        ("DELETE WHERE { ?s ?p ?o }", "SPARQL Update is not allowed"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "SPARQL Update is not allowed"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "names no graph"),
        (f"SELECT * FROM NAMED <{META_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "names no"),
        ("SELECT ?x WHERE { ?x", "malformed SPARQL"),
    ],
)
def test_refusals_are_the_same_on_both_engines(fixture_pair, sparql, message) -> None:
    dataset, store = fixture_pair
    with pytest.raises(QueryError, match=message) as on_rdflib:
        run_query(dataset, sparql)
    with pytest.raises(QueryError, match=message) as on_store:
        run_query(store, sparql)
    assert str(on_store.value) == str(on_rdflib.value)
    assert store.documents() == {
        "operation-harbour-light": "hash of operation-harbour-light",
        "veldoria-joins-interpol": "hash of veldoria-joins-interpol",
    }


def test_the_metadata_graph_stays_out_of_every_answer(fixture_pair) -> None:
    _, store = fixture_pair
    graphs = run_query(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert sorted(graphs) == [
        (f"{BASE}graph/operation-harbour-light",),
        (f"{BASE}graph/veldoria-joins-interpol",),
    ]
    found = run_query(store, 'ASK { ?s ?p "hash of veldoria-joins-interpol" }')
    assert found.rows == ((False,),)


def test_a_plain_pyoxigraph_store_is_read_as_the_union_of_its_graphs(fixture_pair) -> None:
    dataset, _ = fixture_pair
    plain = ox.Store()
    plain.load(FIXTURE.read_bytes(), ox.RdfFormat.TRIG)
    sparql = "SELECT DISTINCT ?member WHERE { ?member <http://www.w3.org/ns/org#memberOf> ?org }"
    assert run_query(plain, sparql) == run_query(dataset, sparql)
    assert OxigraphEngine(plain).select(sparql, {}) == run_query(dataset, sparql)


def test_kg_query_reads_a_store_folder(fixture_pair) -> None:
    _, store = fixture_pair
    command = ["query", str(store.path), "--name", "members", "--param", "organisation=ICPO"]
    result = subprocess.run(
        [sys.executable, "-m", "kg", *command, "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    header, *rows = [line for line in result.stdout.splitlines() if line]
    assert header.startswith("member,organisation,since")
    assert len(rows) == 2 and all(",INTERPOL," in row for row in rows)


# --- the example, built for real ---------------------------------------------------------


@pytest.fixture(scope="module")
def example_pair(tmp_path_factory):
    from kg.pipeline import build_dataset, build_store

    path = tmp_path_factory.mktemp("example") / "store"
    dataset = build_dataset([EXAMPLE])
    build_store([EXAMPLE], path)
    with GraphStore.open(path, read_only=True) as store:
        yield dataset, store


@pytest.mark.model
@pytest.mark.parametrize(("name", "params"), questions())
def test_every_named_question_answers_alike_on_the_example(example_pair, name, params) -> None:
    assert_same(*example_pair, name, params)


# --- values: every kind of term, and graph patterns near the metadata graph --------------

TERMS = """
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:kg:g> {
  <urn:kg:s> <urn:kg:p01> "text" ;
    <urn:kg:p02> "Text"@en-GB ;
    <urn:kg:p03> "007"^^xsd:integer ;
    <urn:kg:p04> "12"^^xsd:nonNegativeInteger ;
    <urn:kg:p05> "0.85"^^xsd:decimal ;
    <urn:kg:p06> "1.5E3"^^xsd:double ;
    <urn:kg:p07> "true"^^xsd:boolean ;
    <urn:kg:p08> "0"^^xsd:boolean ;
    <urn:kg:p09> "2024-03-01"^^xsd:date ;
    <urn:kg:p10> "2024"^^xsd:gYear ;
    <urn:kg:p11> "2024-03"^^xsd:gYearMonth ;
    <urn:kg:p12> "2024-03-01T10:00:00Z"^^xsd:dateTime ;
    <urn:kg:p13> "many"^^xsd:integer ;
    <urn:kg:p14> "x"^^<urn:kg:type> ;
    <urn:kg:p15> [] ;
    <urn:kg:p16> <urn:kg:o> .
}
"""


def typed(result: QueryResult) -> list[tuple]:
    """Rows with each value's type, blank nodes reduced to their kind (each engine names
    them its own way); 1, 1.0 and True are equal in Python but not as results."""

    def cell(value: object) -> tuple:
        if isinstance(value, str) and value.startswith("_:"):
            return (str, "_:")
        return (type(value), value)

    return [tuple(map(cell, row)) for row in result.rows]


def test_every_kind_of_term_reads_alike_on_both_engines() -> None:
    dataset = Dataset(default_union=True)
    dataset.parse(data=TERMS, format="trig")
    store = ox.Store()
    store.load(TERMS.encode(), ox.RdfFormat.TRIG)
    sparql = (
        "SELECT ?o ?missing WHERE { ?s ?p ?o OPTIONAL { ?o <urn:kg:none> ?missing } } ORDER BY ?p"
    )
    got = run_query(store, sparql)
    assert typed(got) == typed(run_query(dataset, sparql))
    assert [row[0] for row in got.rows] == [
        "text",
        "Text",
        7,
        12,
        0.85,
        1500.0,
        True,
        False,
        "2024-03-01",
        "2024",
        "2024-03",
        "2024-03-01T10:00:00+00:00",
        "many",
        "x",
        got.rows[14][0],
        "urn:kg:o",
    ]
    assert {type(row[0]) for row in got.rows[2:8]} == {int, float, bool}
    assert got.rows[14][0].startswith("_:")
    assert {row[1] for row in got.rows} == {None}


XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.filterwarnings("ignore:Parsing weird boolean")
@settings(max_examples=200, deadline=None)
@given(
    lexical=st.one_of(
        st.from_regex(r"[+-]?[0-9]{0,3}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True),
        st.sampled_from(["true", "false", "1", "0", "TRUE", "yes", "INF", "NaN", " 1", "1_0"]),
        st.text(max_size=8),
    ),
    datatype=st.sampled_from(
        [
            f"{XSD}{name}"
            for name in [
                "integer",
                "nonNegativeInteger",
                "positiveInteger",
                "long",
                "int",
                "short",
                "byte",
                "unsignedByte",
                "decimal",
                "double",
                "float",
                "boolean",
                "date",
                "gYear",
                "string",
            ]
        ]
        + ["urn:kg:type"]
    ),
)
def test_a_stored_literal_reads_as_rdflib_reads_it(lexical: str, datatype: str) -> None:
    from kg.store import to_rdflib

    store = ox.Store()
    term = ox.Literal(lexical, datatype=ox.NamedNode(datatype))
    store.add(ox.Quad(ox.NamedNode("urn:kg:s"), ox.NamedNode("urn:kg:p"), term))
    stored = next(iter(store)).object  # as pyoxigraph keeps it ("007" as "7")
    dataset = Dataset(default_union=True)
    dataset.add((URIRef("urn:kg:s"), URIRef("urn:kg:p"), to_rdflib(stored)))
    sparql = "SELECT ?o WHERE { ?s ?p ?o }"
    assert repr(typed(run_query(store, sparql))) == repr(typed(run_query(dataset, sparql)))


@pytest.mark.parametrize(
    "sparql",
    [
        # patterns the metadata graph cannot match (kg lets pyoxigraph see every graph)
        "SELECT ?g ?d WHERE { GRAPH ?g { ?d a <https://w3id.org/kgnews/ontology#Document> } }",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?d a <https://w3id.org/kgnews/ontology#Document> "
        "OPTIONAL { ?d ?p ?o } } }",
        # patterns it could match (kg passes the document graphs only)
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        'SELECT ?g WHERE { GRAPH ?g { ?s ?p "hash of veldoria-joins-interpol" } }',
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { OPTIONAL { ?s a <urn:kg:nothing> } } }",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { { ?s a <urn:kg:nothing> } UNION { ?s ?p ?o } } }",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <http://www.w3.org/2004/02/skos/core#prefLabel>"
        "|<urn:kg:other> ?o } }",
    ],
)
def test_graph_patterns_never_see_the_metadata_graph(fixture_pair, sparql) -> None:
    dataset, store = fixture_pair
    expected = run_query(dataset, sparql)
    got = run_query(store, sparql)
    assert (got.columns, Counter(got.rows)) == (expected.columns, Counter(expected.rows))
    assert all(META_GRAPH not in row for row in got.rows)

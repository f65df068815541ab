"""The backends: the same query gives the same RDF terms from rdflib and from pyoxigraph, the
row cap keeps the first rows and tells that it cut, and a cancelled query stops."""

from __future__ import annotations

import re
import threading

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import QueryError
from kg.server.backend import (
    GraphSelection,
    OxigraphBackend,
    QueryCancelled,
    RdflibBackend,
    check_selection,
    prepare,
)
from tests.server.helpers import TYPED_TRIG, typed_dataset

G1 = "http://example.org/g1"
G2 = "http://example.org/g2"


def oxigraph_store() -> ox.Store:
    store = ox.Store()
    store.load(TYPED_TRIG.encode("utf-8"), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(params=["rdflib", "oxigraph"])
def backend(request):
    if request.param == "rdflib":
        return RdflibBackend(typed_dataset())
    return OxigraphBackend(oxigraph_store())


def run(backend, sparql: str, selection: GraphSelection | None = None, limit: int = 100):
    prepared = prepare(sparql, backend.graph_names())
    return backend.execute(prepared, selection, limit, threading.Event())


def comparable(rows) -> list[tuple]:
    return sorted(
        (tuple("_:" if isinstance(term, BNode) else term for term in row) for row in rows),
        key=repr,
    )


def test_both_backends_know_the_named_graphs(backend) -> None:
    assert {G1, G2} <= backend.graph_names()


def test_both_backends_answer_with_the_same_terms() -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    from_rdflib = run(RdflibBackend(typed_dataset()), query)
    from_oxigraph = run(OxigraphBackend(oxigraph_store()), query)
    assert from_rdflib.variables == from_oxigraph.variables == ("s", "p", "o")
    assert comparable(from_rdflib.rows) == comparable(from_oxigraph.rows)
    assert len(from_rdflib.rows) == 12


def test_terms_keep_datatype_language_and_lexical_form(backend) -> None:
    result = run(backend, "SELECT ?o WHERE { ?s ?p ?o }")
    objects = {row[0] for row in result.rows}
    assert Literal("Der Vertrag", lang="de") in objects
    assert Literal("42", datatype=XSD.integer) in objects
    assert Literal("2021", datatype=XSD.gYear) in objects
    assert Literal("Alpha") in objects
    assert any(isinstance(term, BNode) for term in objects)


def test_unbound_variables_are_none(backend) -> None:
    result = run(backend, "SELECT ?s ?nothing WHERE { ?s <http://example.org/name> 'Beta' }")
    assert result.rows == [(URIRef("http://example.org/b"), None)]


def test_ask_and_construct(backend) -> None:
    assert run(backend, "ASK { ?s ?p 42 }").boolean is True
    name = "<http://example.org/name>"
    graph = run(backend, f"CONSTRUCT {{ ?s {name} ?o }} WHERE {{ ?s {name} ?o }}")
    assert graph.form == "CONSTRUCT"
    assert len(graph.triples) == 3


def test_the_cap_keeps_the_first_rows_and_says_it_cut(backend) -> None:
    result = run(backend, "SELECT ?o WHERE { ?s ?p ?o } ORDER BY STR(?o)", limit=4)
    everything = run(backend, "SELECT ?o WHERE { ?s ?p ?o } ORDER BY STR(?o)")
    assert result.truncated is True
    assert result.rows == everything.rows[:4]
    assert everything.truncated is False


def test_the_default_graph_is_the_union_unless_the_protocol_picks_graphs(backend) -> None:
    query = "SELECT ?s WHERE { ?s <http://example.org/name> ?name }"
    assert len(run(backend, query).rows) == 3
    only_two = run(backend, query, GraphSelection(default=(G2,)))
    assert only_two.rows == [(URIRef("http://example.org/b"),)]
    named_only = run(backend, query, GraphSelection(named=(G1,)))
    assert named_only.rows == []


def test_a_cancelled_query_stops_at_its_next_row(backend) -> None:
    prepared = prepare("SELECT * WHERE { ?s ?p ?o }", backend.graph_names())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(QueryCancelled):
        backend.execute(prepared, None, 100, cancel)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("CLEAR ALL", "SPARQL Update is not allowed"),
        ("SELECT * WHERE { SERVICE <http://e.org/s> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * FROM <http://e.org/x> WHERE { ?s ?p ?o }", "FROM <http://e.org/x> names no"),
        ("SELECT * FROM NAMED <file:///x> WHERE { ?s ?p ?o }", "FROM NAMED <file:///x> names"),
        ("SELEKT", "malformed SPARQL"),
    ],
)
def test_prepare_refuses_what_kg_query_refuses(query: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=re.escape(fragment)):
        prepare(query, {G1, G2})


def test_prepare_allows_from_a_graph_the_source_holds() -> None:
    assert prepare(f"SELECT * FROM <{G1}> WHERE {{ ?s ?p ?o }}", {G1}).form == "SELECT"


def test_protocol_graphs_must_be_in_the_source() -> None:
    check_selection(GraphSelection(default=(G1,), named=(G2,)), {G1, G2})
    with pytest.raises(QueryError, match=re.escape("named-graph-uri <http://e.org/x>")):
        check_selection(GraphSelection(named=("http://e.org/x",)), {G1, G2})


# --- a kg store folder ---------------------------------------------------------------------


def test_a_kg_store_shows_its_document_graphs_and_hides_its_bookkeeping(mini_store) -> None:
    from kg.server.app import backend_for
    from kg.store import META_GRAPH

    backend = backend_for(mini_store)
    names = backend.graph_names()
    assert META_GRAPH not in names
    assert len(names) == 2
    graphs = run(backend, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {str(row[0]) for row in graphs.rows} == names
    with pytest.raises(QueryError, match="names no graph"):
        prepare(f"SELECT * FROM <{META_GRAPH}> WHERE {{ ?s ?p ?o }}", names)


def test_a_kg_store_lists_its_graphs_only_to_a_graph_pattern_that_could_reach_the_hidden_one(
    mini_store,
) -> None:
    """The list of document graphs costs a query time in proportion to the store's size, so
    it goes only with a GRAPH pattern that could match in the bookkeeping graph; the answers
    stay those of the test above."""
    from kg.server.app import backend_for

    backend = backend_for(mini_store)
    store, sent = backend._store, []

    class Recording:
        def query(self, sparql: str, **options: object) -> object:
            sent.append(sorted(options))
            return store.query(sparql, **options)

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

    backend._store = Recording()
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    assert len(run(backend, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5").rows) == 5
    labelled = run(backend, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s {label} ?l }} }}")
    everything = run(backend, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert sent == [[], [], ["named_graphs"]]
    assert {str(row[0]) for row in everything.rows} == backend.graph_names()
    assert {str(row[0]) for row in labelled.rows} <= backend.graph_names()


def test_a_kg_store_answers_as_the_graph_file_does(mini_store, mini_dataset) -> None:
    from kg.server.app import backend_for

    query = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"
    from_store = run(backend_for(mini_store), query)
    from_file = run(backend_for(mini_dataset), query)
    assert comparable(from_store.rows) == comparable(from_file.rows)  # the union, each triple once


def test_the_short_construct_form_is_a_clear_error_with_rdflib_and_works_with_oxigraph() -> None:
    short = "CONSTRUCT WHERE { ?s <http://example.org/name> ?o }"
    with pytest.raises(QueryError, match="short form CONSTRUCT WHERE"):
        run(RdflibBackend(typed_dataset()), short)
    assert len(run(OxigraphBackend(oxigraph_store()), short).triples) == 3


def test_a_protocol_dataset_does_not_leak_into_the_next_identical_query(backend) -> None:
    """kg.query caches parsed queries; picking graphs must not change the cached parse."""
    query = "SELECT ?s WHERE { ?s <http://example.org/name> ?name }"
    assert len(run(backend, query, GraphSelection(default=(G2,))).rows) == 1
    assert len(run(backend, query).rows) == 3

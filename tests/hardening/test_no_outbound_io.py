"""No outbound I/O from data or queries: hostile RDF, ontologies and SPARQL (both engines,
through ``kg.query`` and through the ``kg serve`` app) make no request, connection or file
opening the user did not ask for. The ``no_outbound_io`` fixture fails a test on any event of
the audit hook outside the allow-list, or any hit on the canary server."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset
from rdflib.namespace import DCTERMS

import kg
from kg.errors import KgError, QueryError, RdfError
from kg.query import run_query
from kg.rdfio import load_dataset
from kg.server import KgApp
from kg.store import GraphStore, open_source
from tests.server.helpers import MINI_GRAPH, wsgi_call

SECRET = "/etc/passwd"


def test_the_audit_hook_and_the_canary_see_what_they_guard(io_audit, canary) -> None:
    """The guards themselves work: a fetch and an open outside the allow-list are counted."""
    before = len(canary.hits)
    with io_audit.watching():
        with urllib.request.urlopen(canary.url + "probe", timeout=5) as reply:
            reply.read()
        with open(SECRET, "rb"):
            pass
    assert canary.hits[before:] == ["GET /probe"]
    assert io_audit.requests == [canary.url + "probe"]
    assert io_audit.connects and io_audit.opens == [SECRET]


def _contexts(canary: str) -> dict[str, object]:
    return {
        "remote": canary + "ctx",
        "file": f"file://{SECRET}",
        "relative": "ctx.jsonld",
        "mixed": [{"ex": "http://example.org/"}, canary + "ctx2"],
        "import": {"@import": canary + "ctx3"},
    }


@pytest.mark.parametrize("kind", ["remote", "file", "relative", "mixed", "import"])
def test_json_ld_contexts_that_would_be_fetched_are_refused(
    tmp_path: Path, no_outbound_io, kind: str
) -> None:
    path = tmp_path / "data.jsonld"
    document = {
        "@context": _contexts(no_outbound_io.url)[kind],
        "@id": "http://example.org/a",
        "ex:p": "x",
    }
    path.write_text(json.dumps(document))
    (tmp_path / "ctx.jsonld").write_text('{"@context": {}}')
    with pytest.raises(RdfError, match="contexts not allowed"):
        load_dataset(path)


def test_inline_json_ld_contexts_still_load(tmp_path: Path, no_outbound_io) -> None:
    path = tmp_path / "data.jsonld"
    document = {
        "@context": {"ex": "http://example.org/"},
        "@id": "ex:a",
        "ex:p": "x",
    }
    path.write_text(json.dumps(document))
    assert len(load_dataset(path)) == 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "{canary}entity">]>',
        '<!DOCTYPE r SYSTEM "{canary}dtd">',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "{canary}param"> %p;]>',
    ],
)
def test_rdf_xml_with_external_entities_or_dtd_is_refused(
    tmp_path: Path, no_outbound_io, doctype: str
) -> None:
    path = tmp_path / "data.rdf"
    path.write_text(
        '<?xml version="1.0"?>'
        + doctype.format(secret=SECRET, canary=no_outbound_io.url)
        + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
        "<ex:p>&x;</ex:p></rdf:Description></rdf:RDF>"
    )
    with pytest.raises(RdfError, match="entity declarations not allowed"):
        load_dataset(path)


def test_turtle_base_prefix_and_owl_imports_are_never_followed(
    tmp_path: Path, no_outbound_io
) -> None:
    canary = no_outbound_io.url
    path = tmp_path / "ontology.ttl"
    path.write_text(
        f"@base <{canary}base/> .\n@prefix remote: <{canary}vocab#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<onto> a owl:Ontology ; owl:imports <{canary}imported> , <file://{SECRET}> .\n"
        "<a> remote:p remote:o .\n"
    )
    dataset = load_dataset(path)
    assert len(dataset) == 4
    kg.open(path).infer()


@pytest.fixture(scope="module")
def mini_store(tmp_path_factory) -> Iterator[GraphStore]:
    folder = tmp_path_factory.mktemp("store") / "mini"
    dataset = load_dataset(MINI_GRAPH)
    with GraphStore.open(folder, create=True) as store:
        for graph in dataset.graphs():
            for doc_id in map(str, graph.objects(None, DCTERMS.identifier)):
                digest = hashlib.sha256(doc_id.encode()).hexdigest()
                store.replace_document(doc_id, graph, digest)
    source = open_source(folder)
    try:
        yield source
    finally:
        source.close()


def _hostile_queries(canary: str) -> list[str]:
    select = "SELECT * WHERE {{ {} }}"
    return [
        select.format(f"SERVICE <{canary}sparql> {{ ?s ?p ?o }}"),
        select.format("SERVICE SILENT <http://169.254.169.254/> { ?s ?p ?o }"),
        select.format(f"?a ?b ?c OPTIONAL {{ SERVICE <{canary}opt> {{ ?s ?p ?o }} }}"),
        select.format(f"{{ SELECT * WHERE {{ SERVICE <{canary}sub> {{ ?s ?p ?o }} }} }}"),
        f"SELECT * FROM <file://{SECRET}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{canary}named> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"LOAD <{canary}load>",
        f"LOAD <file://{SECRET}>",
    ]


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_sparql_never_fetches_through_kg_query(no_outbound_io, mini_store, engine: str) -> None:
    source: Dataset | GraphStore = load_dataset(MINI_GRAPH) if engine == "rdflib" else mini_store
    for sparql in _hostile_queries(no_outbound_io.url):
        with pytest.raises(QueryError):
            run_query(source, sparql)


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_sparql_never_fetches_through_the_endpoint(no_outbound_io, mini_store, engine: str) -> None:
    app = KgApp(load_dataset(MINI_GRAPH) if engine == "rdflib" else mini_store)
    canary = no_outbound_io.url
    for sparql in _hostile_queries(canary):
        reply = wsgi_call(app, params={"query": sparql})
        assert reply.status in {400, 403}, sparql
    for selection in (
        {"default-graph-uri": f"file://{SECRET}"},
        {"named-graph-uri": canary + "g"},
    ):
        query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
        assert wsgi_call(app, params={"query": query, **selection}).status == 400
    reply = wsgi_call(
        app,
        "POST",
        body=f"update=LOAD <{canary}u>".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status in {400, 403}


def test_a_plain_pyoxigraph_store_is_guarded_too(no_outbound_io) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    for sparql in _hostile_queries(no_outbound_io.url):
        with pytest.raises(KgError):
            run_query(store, sparql)

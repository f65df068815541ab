"""Rows B26-B32 of RELIABILITY.md: SPARQL that must not reach the network, change the data,
crash the process or run unbounded, on both engines (rdflib for graph files, pyoxigraph for
stores), through ``kg query`` and through the endpoint."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from kg.errors import QueryError
from kg.query import MAX_QUERY_NESTING, run_query
from kg.rdfio import load_dataset, write_dataset
from kg.sandbox import QueryPool, bounded_query, endpoint_call
from kg.server import KgApp
from kg.server.runner import QueryTimeout
from kg.store import GraphStore
from tests.hardening.conftest import Canary
from tests.server.helpers import wsgi_call

P = "http://example.org/p"
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h }"
PATH_STAR = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x (<{P}>|!<{P}>)* ?y . ?a (<{P}>|!<{P}>)* ?b }}"
CHEAP = "ASK { ?s ?p ?o }"


def _document() -> Graph:
    graph = Graph()
    for i in range(300):
        graph.add((URIRef(f"http://example.org/s{i}"), URIRef(P), Literal(i)))
        graph.add(
            (URIRef(f"http://example.org/s{i}"), URIRef(P), URIRef(f"http://example.org/s{i + 1}"))
        )
    return graph


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sparql") / "store"
    with GraphStore.open(folder, create=True) as store:
        store.replace_document("doc-1", _document(), "hash-1")
    return folder


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    dataset = Dataset(default_union=True)
    graph = dataset.graph(URIRef("https://w3id.org/kgnews/graph/doc-1"))
    for triple in _document():
        graph.add(triple)
    path = tmp_path_factory.mktemp("sparql") / "graph.trig"
    write_dataset(dataset, path)
    return path


@pytest.fixture(params=["rdflib", "oxigraph"])
def source(request, store_path: Path, graph_file: Path) -> Iterator[object]:
    if request.param == "rdflib":
        yield load_dataset(graph_file)
        return
    store = GraphStore.open(store_path, read_only=True)
    try:
        yield store
    finally:
        store.close()


def _kg(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=timeout
    )


# --- B26 SERVICE -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?s ?q ?r }} }} }}",
        "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    ],
)
def test_b26_service_is_refused_before_execution_on_both_engines(
    source: object, no_outbound_io: Canary, template: str
) -> None:
    url = no_outbound_io.url
    with pytest.raises(QueryError, match="SERVICE is not allowed"):
        run_query(source, template.format(url=url))
    reply = wsgi_call(KgApp(source), params={"query": template.format(url=url)})
    assert reply.status == 400
    assert "SERVICE is not allowed" in reply.text


# --- B27 FROM and the protocol's graphs --------------------------------------------------


@pytest.mark.parametrize(
    "clause", ["FROM <file:///etc/passwd>", "FROM NAMED <http://169.254.169.254/latest>"]
)
def test_b27_from_selects_only_graphs_the_source_holds(source: object, clause: str) -> None:
    with pytest.raises(QueryError, match="names no graph in the dataset"):
        run_query(source, f"SELECT * {clause} WHERE {{ ?s ?p ?o }}")


@pytest.mark.parametrize(
    "param",
    [("default-graph-uri", "http://169.254.169.254/"), ("named-graph-uri", "file:///etc/passwd")],
)
def test_b27_protocol_graphs_outside_the_source_are_400(
    source: object, param: tuple[str, str]
) -> None:
    reply = wsgi_call(KgApp(source), params=[("query", CHEAP), param])
    assert reply.status == 400
    assert "names no graph" in reply.text


# --- B28 updates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
        "LOAD <file:///etc/passwd>",
        "DROP ALL",
    ],
)
def test_b28_updates_at_the_query_endpoint_change_nothing(store_path: Path, update: str) -> None:
    with GraphStore.open(store_path, read_only=True) as store:
        before = store.quad_count()
        app = KgApp(store)
        as_query = wsgi_call(app, params={"query": update})
        as_update = wsgi_call(
            app,
            "POST",
            body=f"update={update}".encode(),
            content_type="application/x-www-form-urlencoded",
        )
        with pytest.raises(QueryError, match="Update is not allowed"):
            run_query(store, update)
        assert store.quad_count() == before
    assert as_query.status == 400
    assert as_update.status in (400, 403)


# --- B29 nesting and size -------------------------------------------------------------------


def _parens(depth: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * depth + "?o" + ")" * depth + ") }"


def _braces(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth


@pytest.mark.parametrize("query", [_parens(30), _parens(5000), _braces(40), _braces(3000)])
def test_b29_deep_nesting_is_refused_before_the_engine(source: object, query: str) -> None:
    with pytest.raises(QueryError, match="query too complex"):
        run_query(source, query)
    reply = wsgi_call(KgApp(source), params={"query": query})
    assert reply.status == 400
    assert "query too complex" in reply.text


def test_b29_the_documented_nesting_limit_still_runs(source: object) -> None:
    depth = MAX_QUERY_NESTING - 2  # the WHERE braces and FILTER( take two levels
    assert run_query(source, _parens(depth)).columns


def test_b29_a_large_flat_insert_data_is_refused_by_size_not_recursion(source: object) -> None:
    triples = " ".join(f"<http://e/s{i}> <http://e/p> <http://e/o{i}> ." for i in range(10_000))
    with pytest.raises(QueryError, match="query too large"):
        run_query(source, f"INSERT DATA {{ {triples} }}")


def test_b29_the_process_survives_nesting_that_crashes_pyoxigraph(store_path: Path) -> None:
    done = _kg("query", str(store_path), _braces(3000))
    assert done.returncode == 1
    assert "query too complex" in done.stderr
    assert "Traceback" not in done.stderr


# --- B30 runaway queries ---------------------------------------------------------------------


@pytest.mark.parametrize("slow", [CROSS_JOIN, PATH_STAR], ids=["cross-join", "path-star"])
def test_b30_a_slow_query_is_killed_while_a_cheap_one_answers(store_path: Path, slow: str) -> None:
    with QueryPool(store_path, workers=2, timeout=1.5) as pool:
        outcome: dict[str, object] = {}

        def run_slow() -> None:
            started = time.monotonic()
            try:
                pool.call(endpoint_call, slow, None, 10)
            except QueryTimeout as exc:
                outcome["error"] = exc
            outcome["seconds"] = time.monotonic() - started

        runner = threading.Thread(target=run_slow)
        runner.start()
        time.sleep(0.3)
        started = time.monotonic()
        cheap = pool.call(endpoint_call, CHEAP, None, 10)
        cheap_seconds = time.monotonic() - started
        runner.join(timeout=30)
        assert cheap.boolean is True
        assert cheap_seconds < 1.0
        assert isinstance(outcome.get("error"), QueryTimeout)
        assert outcome["seconds"] < 3.0
        assert pool.killed == 1
        deadline = time.monotonic() + 30
        while pool.call(endpoint_call, CHEAP, None, 10).boolean is not True:
            assert time.monotonic() < deadline  # pragma: no cover - the worker came back


def test_b30_the_endpoint_answers_503_for_a_killed_query(store_path: Path) -> None:
    with (
        GraphStore.open(store_path, read_only=True) as store,
        QueryPool(store_path, timeout=1) as pool,
    ):
        app = KgApp(store, timeout=1, pool=pool)
        reply = wsgi_call(app, params={"query": CROSS_JOIN})
        cheap = wsgi_call(app, params={"query": CHEAP})
    assert reply.status == 503
    assert "stopped" in reply.text
    assert cheap.status == 200


def test_b30_kg_query_timeout_kills_the_query_on_a_graph_file(graph_file: Path) -> None:
    started = time.monotonic()
    done = _kg("query", str(graph_file), "--timeout", "1", CROSS_JOIN)
    assert done.returncode == 1
    assert "stopped (--timeout)" in done.stderr
    assert time.monotonic() - started < 30


def test_b30_bounded_query_answers_a_query_within_its_time(store_path: Path) -> None:
    result = bounded_query(store_path, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", None, {}, 30)
    assert result.rows == ((600,),)


# --- B31 caps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["SELECT ?s ?o WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"]
)
def test_b31_a_cut_answer_says_it_was_truncated(source: object, query: str) -> None:
    reply = wsgi_call(KgApp(source, max_rows=7), params={"query": query})
    assert reply.status == 200
    assert reply.headers["X-KG-Truncated"] == "true"
    assert reply.headers["X-KG-Row-Count"] == "7"


def test_b31_sparql_json_says_truncated_in_the_body(source: object) -> None:
    reply = wsgi_call(KgApp(source, max_rows=3), params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert '"truncated": true' in reply.text.replace('"truncated":true', '"truncated": true')


def test_b31_a_whole_answer_says_it_was_not_truncated(source: object) -> None:
    reply = wsgi_call(
        KgApp(source, max_rows=10_000), params={"query": "SELECT * WHERE { ?s ?p ?o }"}
    )
    assert reply.headers["X-KG-Truncated"] == "false"
    assert reply.headers["X-KG-Row-Count"] == "600"


# --- B32 protocol violations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        ({"query_string": "query=ASK%7B%7D&query=ASK%7B%7D"}, 400),
        (
            {"method": "POST", "body": b"ASK {\xff}", "content_type": "application/sparql-query"},
            400,
        ),
        ({"method": "POST", "body": b"query=ASK%7B%7D", "content_type": "text/plain"}, 415),
        ({"method": "POST", "body": b"query=ASK%7B%7D"}, 415),
        ({"method": "GET", "params": {}}, 400),
    ],
    ids=["two-queries", "non-utf8", "wrong-media-type", "missing-form-type", "no-query"],
)
def test_b32_protocol_violations_are_refused(
    source: object, request_args: dict, status: int
) -> None:
    assert wsgi_call(KgApp(source), **request_args).status == status


def test_b32_a_body_over_the_cap_is_413(source: object) -> None:
    app = KgApp(source, max_body=1000)
    body = b"ASK { " + b" " * 2000 + b"}"
    assert wsgi_call(app, "POST", body=body, content_type="application/sparql-query").status == 413


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json"),
        ("SELECT * WHERE { ?s ?p ?o }", "text/csv"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples"),
    ],
)
def test_b31_an_answer_over_the_byte_cap_is_cut_and_says_so(
    source: object, query: str, accept: str
) -> None:
    reply = wsgi_call(KgApp(source, max_bytes=4000), params={"query": query}, accept=accept)
    assert reply.status == 200
    assert len(reply.body) <= 4000
    assert reply.headers["X-KG-Truncated"] == "true"
    assert reply.headers["X-KG-Byte-Limit"] == "4000"
    assert 0 < int(reply.headers["X-KG-Row-Count"]) < 600

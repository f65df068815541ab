"""The app's behaviour beyond the protocol: read-only, refusals before evaluation, the row cap,
the time limit, the named-question API, the UI's files and the security headers."""

from __future__ import annotations

import json
import threading
import time

import pytest
from rdflib import Dataset, Literal, URIRef

from kg.query import named_queries
from kg.server import KgApp
from kg.server.backend import RdflibBackend
from tests.server.helpers import MINI_GRAPH, Call, wsgi_call

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
INJECTION = 'x") } ; DROP ALL #'


def numbered_dataset(size: int) -> Dataset:
    """``size`` triples ``ex:sN ex:p N`` in one named graph."""
    dataset = Dataset(default_union=True)
    graph = dataset.graph(URIRef("http://example.org/g"))
    for number in range(size):
        graph.add(
            (
                URIRef(f"http://example.org/s{number}"),
                URIRef("http://example.org/p"),
                Literal(number),
            )
        )
    return dataset


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        ({"method": "POST", "body": b"update=DROP%20ALL", "content_type": FORM}, 403),
        ({"method": "GET", "params": {"update": "CLEAR ALL"}}, 403),
        ({"method": "POST", "body": b"DROP ALL", "content_type": "application/sparql-update"}, 403),
        ({"method": "GET", "params": {"query": "DROP ALL"}}, 400),
        (
            {
                "method": "POST",
                "body": b"INSERT DATA { <http://e.org/a> <http://e.org/b> <http://e.org/c> }",
                "content_type": DIRECT,
            },
            400,
        ),
        ({"method": "GET", "params": {"query": "LOAD <file:///etc/hosts>"}}, 400),
        ({"method": "GET", "params": {"query": "LOAD <http://example.org/data.ttl>"}}, 400),
    ],
    ids=[
        "form-update",
        "get-update",
        "sparql-update-body",
        "drop",
        "insert",
        "load-file",
        "load-web",
    ],
)
def test_updates_are_refused_and_change_nothing(request_args: dict, status: int) -> None:
    dataset = Dataset(default_union=True)
    dataset.parse(MINI_GRAPH, format="trig")
    before = sorted(dataset.quads())
    reply = wsgi_call(KgApp(dataset), **request_args)
    assert reply.status == status
    assert "read-only" in reply.text or "SPARQL Update is not allowed" in reply.text
    assert sorted(dataset.quads()) == before


def test_the_source_file_is_left_byte_identical(tmp_path) -> None:
    from kg.rdfio import load_dataset

    path = tmp_path / "graph.trig"
    path.write_bytes(MINI_GRAPH.read_bytes())
    app = KgApp(load_dataset(path))
    wsgi_call(app, "POST", body=b"update=CLEAR%20ALL", content_type=FORM)
    wsgi_call(app, "GET", params={"query": "DROP ALL"})
    assert path.read_bytes() == MINI_GRAPH.read_bytes()


class SpyBackend(RdflibBackend):
    """Counts evaluations, so a test can tell a refusal came before any."""

    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self.calls = 0

    def execute(self, *args, **kwargs):
        self.calls += 1
        return super().execute(*args, **kwargs)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE SILENT <http://e.org/q> { ?a ?x ?y } } }",
        "SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "ASK FROM <file:///etc/hosts> { ?s ?p ?o }",
    ],
    ids=["service", "nested-service", "from-web", "from-named-file", "ask-from-file"],
)
def test_service_and_foreign_from_are_400_before_evaluation(mini_dataset, query: str) -> None:
    app = KgApp(mini_dataset)
    spy = SpyBackend(mini_dataset)
    app.backend = spy
    reply = wsgi_call(app, "GET", params={"query": query})
    assert reply.status == 400
    assert "SERVICE is not allowed" in reply.text or "names no graph in the dataset" in reply.text
    assert spy.calls == 0


def test_from_a_graph_the_store_holds_is_allowed(call: Call) -> None:
    query = (
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/kgnews/graph/operation-harbour-light> "
        "WHERE { ?s a <https://w3id.org/kgnews/ontology#Document> }"
    )
    reply = call("GET", params={"query": query})
    assert reply.status == 200
    assert json.loads(reply.body)["results"]["bindings"][0]["n"]["value"] == "1"


# --- the row cap -------------------------------------------------------------------------


def test_a_result_cut_by_the_cap_says_so_in_headers_and_body() -> None:
    app = KgApp(numbered_dataset(5), max_rows=3)
    reply = wsgi_call(app, "GET", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    document = json.loads(reply.body)
    assert reply.status == 200
    assert reply.headers["X-KG-Truncated"] == "true"
    assert reply.headers["X-KG-Row-Limit"] == "3"
    assert reply.headers["X-KG-Row-Count"] == "3"
    assert document["kg"] == {"truncated": True, "rowLimit": 3, "rowCount": 3}
    assert len(document["results"]["bindings"]) == 3


def test_a_result_that_fits_the_cap_exactly_is_not_truncated() -> None:
    app = KgApp(numbered_dataset(3), max_rows=3)
    reply = wsgi_call(app, "GET", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert reply.headers["X-KG-Truncated"] == "false"
    assert json.loads(reply.body)["kg"]["truncated"] is False


@pytest.mark.parametrize(
    ("accept", "marker"),
    [
        ("text/turtle", "# kg: truncated: only the first 2 triples"),
        ("application/n-triples", "# kg: truncated: only the first 2 triples"),
    ],
)
def test_a_cut_construct_says_so_in_a_comment(accept: str, marker: str) -> None:
    app = KgApp(numbered_dataset(5), max_rows=2)
    reply = wsgi_call(
        app, "GET", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"}, accept=accept
    )
    assert reply.headers["X-KG-Truncated"] == "true"
    assert reply.text.startswith(marker)


def test_a_cut_xml_result_says_so_in_a_comment() -> None:
    app = KgApp(numbered_dataset(5), max_rows=2)
    reply = wsgi_call(
        app,
        "GET",
        params={"query": "SELECT * WHERE { ?s ?p ?o }"},
        accept="application/sparql-results+xml",
    )
    assert "<!-- kg: truncated: only the first 2 rows -->" in reply.text


def test_named_questions_are_capped_too(mini_dataset) -> None:
    app = KgApp(mini_dataset, max_rows=1)
    reply = wsgi_call(app, "GET", "/api/named/members")
    document = json.loads(reply.body)
    assert reply.headers["X-KG-Truncated"] == "true"
    assert document["truncated"] is True
    assert document["rowLimit"] == 1
    assert len(document["rows"]) == 1


# --- the time limit ----------------------------------------------------------------------


def query_threads() -> int:
    return sum(thread.name == "kg-query" for thread in threading.enumerate())


def test_a_slow_query_is_503_at_the_time_limit_and_its_worker_stops() -> None:
    app = KgApp(numbered_dataset(200), timeout=0.3, max_rows=10**9)
    cross_join = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 8 million rows
    started = time.monotonic()
    reply = wsgi_call(app, "GET", params={"query": cross_join})
    waited = time.monotonic() - started
    assert reply.status == 503
    assert "0.3 s limit" in reply.text
    assert waited < 5
    deadline = time.monotonic() + 10
    while query_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert query_threads() == 0  # told to stop, it gave up at its next row
    assert wsgi_call(app, "GET", params={"query": "ASK { ?s ?p ?o }"}).status == 200


def test_when_every_slot_is_busy_further_queries_are_503(mini_dataset) -> None:
    app = KgApp(mini_dataset, slots=1)
    started, release = threading.Event(), threading.Event()

    def hold(_cancel: threading.Event) -> None:
        """Take the one slot until the test is done."""
        started.set()
        release.wait(5)

    worker = threading.Thread(target=lambda: app.runner.run(hold))
    worker.start()
    assert started.wait(5)
    try:
        reply = wsgi_call(app, "GET", params={"query": "ASK { ?s ?p ?o }"})
    finally:
        release.set()
        worker.join()
    assert reply.status == 503
    assert "busy" in reply.text
    assert reply.headers["Retry-After"] == "5"


# --- named questions ---------------------------------------------------------------------


def test_api_queries_lists_every_named_question_with_its_parameters(call: Call) -> None:
    reply = call("GET", "/api/queries")
    document = json.loads(reply.body)
    by_name = {query["name"]: query for query in document["queries"]}
    assert reply.media_type == "application/json"
    assert set(by_name) == set(named_queries())
    members = by_name["members"]
    assert members["title"] == named_queries()["members"].title
    assert members["sparql"] == named_queries()["members"].sparql
    assert members["parameters"][0]["name"] == "organisation"
    assert members["parameters"][0]["required"] is False
    assert by_name["evidence"]["parameters"][0]["required"] is True


def test_api_named_binds_parameters_on_the_server(call: Call) -> None:
    reply = call("GET", "/api/named/members", params={"organisation": "icpo"})
    document = json.loads(reply.body)
    assert reply.status == 200
    assert document["columns"][:2] == ["member", "organisation"]
    assert {row["member"] for row in document["rows"]} == {"Veldoria"}
    assert {row["organisation"] for row in document["rows"]} == {"INTERPOL"}
    assert reply.headers["X-KG-Truncated"] == "false"


def test_api_named_treats_a_hostile_value_as_a_plain_name(call: Call) -> None:
    reply = call("GET", "/api/named/members", params={"organisation": INJECTION})
    assert reply.status == 200
    assert json.loads(reply.body)["rows"] == []


def test_api_named_leaves_blank_parameters_unbound(call: Call) -> None:
    blank = call("GET", "/api/named/members", params={"organisation": ""})
    absent = call("GET", "/api/named/members")
    assert json.loads(blank.body)["rows"] == json.loads(absent.body)["rows"] != []


@pytest.mark.parametrize(
    ("path", "params", "status", "fragment"),
    [
        ("/api/named/nembers", {}, 404, "did you mean 'members'"),
        ("/api/named/members", {"colour": "red"}, 400, "no parameter 'colour'"),
        ("/api/named/evidence", {}, 400, "needs parameter 'entity'"),
    ],
)
def test_api_named_errors_are_json(
    call: Call, path: str, params: dict, status: int, fragment: str
) -> None:
    reply = call("GET", path, params=params)
    assert reply.status == status
    assert reply.media_type == "application/json"
    assert fragment in json.loads(reply.body)["error"]


def test_api_named_refuses_a_repeated_parameter(call: Call) -> None:
    reply = call("GET", "/api/named/members", query_string="organisation=a&organisation=b")
    assert reply.status == 400


# --- the UI's files and headers ----------------------------------------------------------


def test_the_page_and_its_files_are_served_with_a_self_only_policy(call: Call) -> None:
    page = call("GET", "/")
    assert page.status == 200
    assert page.media_type == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy
    for src in ("/static/app.js", "/static/app.css", "/static/vendor/cytoscape/cytoscape.min.js"):
        assert src in page.text
        assert call("GET", src).status == 200
    assert call("GET", "/static/app.js").media_type == "text/javascript"


def test_the_page_names_no_other_origin(call: Call) -> None:
    for path in ("/", "/static/app.js", "/static/app.css"):
        text = call("GET", path).text
        assert "http://" not in text.replace("http://www.w3.org/", "")
        assert "https://" not in text


@pytest.mark.parametrize(
    "path", ["/static/../server/app.py", "/static/%2e%2e/server/app.py", "/static/nothing.js", "/x"]
)
def test_nothing_outside_the_web_folder_is_served(call: Call, path: str) -> None:
    assert call("GET", path).status == 404


def test_other_routes_take_only_get(call: Call) -> None:
    reply = call("POST", "/api/queries", body=b"x", content_type="text/plain")
    assert reply.status == 405


# --- a kg store folder ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        "SELECT ?o WHERE { ?s <http://www.w3.org/2004/02/skos/core#altLabel> ?o } ORDER BY ?o",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/kgnews/ontology#Country> ; ?p ?o }",
    ],
    ids=["graphs", "labels", "construct"],
)
def test_a_store_serves_the_same_answers_as_its_graph_file(
    mini_store, mini_dataset, query: str
) -> None:
    accept = "application/n-triples" if query.startswith("CONSTRUCT") else None
    from_store = wsgi_call(KgApp(mini_store), "GET", params={"query": query}, accept=accept)
    from_file = wsgi_call(KgApp(mini_dataset), "GET", params={"query": query}, accept=accept)
    assert from_store.status == from_file.status == 200
    if accept:
        assert sorted(from_store.text.splitlines()) == sorted(from_file.text.splitlines())
    else:
        assert json.loads(from_store.body) == json.loads(from_file.body)


def test_a_store_answers_named_questions(mini_store, mini_dataset) -> None:
    from_store = wsgi_call(KgApp(mini_store), "GET", "/api/named/members")
    from_file = wsgi_call(KgApp(mini_dataset), "GET", "/api/named/members")
    assert from_store.status == 200, from_store.text
    assert json.loads(from_store.body) == json.loads(from_file.body)

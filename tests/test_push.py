"""Pushing to SPARQL servers: a real Oxigraph server for loads and updates, a stub for the
failures a real server will not stage on demand (401, 500), and a closed port."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from kg.push import PushError, Target, make_client, push
from kg.rdfio import load_dataset, write_dataset
from kg.store import GraphStore
from kg.vocab import KG

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
DOC_ONE = URIRef("https://w3id.org/kgnews/doc/veldoria-joins-interpol")
GRAPH_ONE = URIRef("https://w3id.org/kgnews/graph/veldoria-joins-interpol")
GRAPH_TWO = URIRef("https://w3id.org/kgnews/graph/operation-harbour-light")
NEW_HASH = "0" * 64
INTEGER_SUBTYPES = {XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int, XSD.long}

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --- a real Oxigraph server ---------------------------------------------------------------


def oxigraph_binary() -> str:
    """The ``oxigraph`` of this interpreter's environment (PyPI package ``oxigraph``)."""
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    assert found, "the oxigraph server is missing: pip install oxigraph (in the test extra)"
    return found


@pytest.fixture(scope="session")
def oxigraph_base(tmp_path_factory) -> Iterator[str]:
    """A read-write Oxigraph server on 127.0.0.1, stopped when the session ends."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def wait_until_ready(base: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"oxigraph exited with {process.returncode}: {stderr}")
        try:
            if httpx.get(f"{base}/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail(f"oxigraph did not answer at {base} within {seconds} s")


@pytest.fixture
def server(oxigraph_base: str) -> Target:
    """The shared server, emptied for this test."""
    httpx.post(f"{oxigraph_base}/update", data={"update": "DROP ALL"}, timeout=10)
    return Target.from_url(f"{oxigraph_base}/store")


def server_content(target: Target) -> Dataset:
    response = httpx.get(target.store_url, headers={"Accept": "application/n-quads"}, timeout=10)
    response.raise_for_status()
    dataset = Dataset()
    dataset.parse(data=response.text, format="nquads")
    return dataset


def non_empty_graphs(dataset: Dataset) -> dict[URIRef, Graph]:
    return {graph.identifier: graph for graph in dataset.graphs() if len(graph)}


def as_oxigraph_stores(graph: Graph) -> Graph:
    """The graph as Oxigraph 0.5 keeps it: integers of every XSD subtype (our
    xsd:nonNegativeInteger offsets) come back as xsd:integer, same value."""
    stored = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in INTEGER_SUBTYPES:
            o = Literal(str(o), datatype=XSD.integer)
        stored.add((s, p, o))
    return stored


def assert_server_holds(target: Target, expected: Dataset) -> None:
    """The server holds exactly the expected graphs, each isomorphic to ours."""
    ours, theirs = non_empty_graphs(expected), non_empty_graphs(server_content(target))
    assert set(theirs) == set(ours)
    for name, graph in ours.items():
        assert len(theirs[name]) == len(graph), name
        assert isomorphic(theirs[name], as_oxigraph_stores(graph)), name


@dataclass
class Recorder:
    """Every request a client sends, via httpx's request hook."""

    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def writes(self) -> list[tuple[str, str | None]]:
        """The (method, graph parameter) of each request to the Graph Store endpoint."""
        return [
            (request.method, request.url.params.get("graph"))
            for request in self.requests
            if request.url.path == "/store"
        ]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Iterator[httpx.Client]:
    with make_client(timeout=30) as http:
        http.event_hooks["request"] = [recorder]
        yield http


def fixture_dataset() -> Dataset:
    return load_dataset(FIXTURE)


def edit_document_one(dataset: Dataset) -> None:
    """The first article, re-read after an edit: a new title and a new text hash."""
    graph = dataset.graph(GRAPH_ONE)
    graph.set((DOC_ONE, URIRef("http://purl.org/dc/terms/title"), Literal("Veldoria joins")))
    graph.set((DOC_ONE, KG.contentHash, Literal(NEW_HASH)))


def test_first_push_into_an_empty_server_is_one_bulk_load_of_exactly_our_quads(
    server, client, recorder
):
    dataset = fixture_dataset()
    report = push(dataset, server, client=client)
    assert (report.mode, report.graphs, report.quads, report.requests) == ("bulk", 2, 274, 1)
    assert recorder.writes() == [("POST", None)]
    bulk = next(r for r in recorder.requests if r.url.path == "/store")
    assert bulk.headers["Content-Type"] == "application/n-quads"
    assert_server_holds(server, dataset)


def test_bulk_batches_carry_whole_graphs_never_a_graph_split(server, client, recorder):
    report = push(fixture_dataset(), server, mode="bulk", batch_size=10, client=client)
    assert (report.requests, report.graphs) == (2, 2)
    bodies = [r.content for r in recorder.requests if r.url.path == "/store"]
    for body in bodies:
        batch = Dataset()
        batch.parse(data=body, format="nquads")
        assert len(non_empty_graphs(batch)) == 1
    assert_server_holds(server, fixture_dataset())


def test_an_edited_document_is_the_only_graph_put(server, client, recorder):
    push(fixture_dataset(), server, client=client)
    recorder.requests.clear()
    edited = fixture_dataset()
    edit_document_one(edited)
    report = push(edited, server, client=client)
    assert recorder.writes() == [("PUT", str(GRAPH_ONE))]
    assert (report.mode, report.graphs, report.unchanged, report.requests) == ("graphs", 1, 1, 1)
    assert report.quads == len(edited.graph(GRAPH_ONE))
    assert_server_holds(server, edited)


def test_pushing_the_same_graph_again_writes_nothing(server, client, recorder):
    push(fixture_dataset(), server, client=client)
    recorder.requests.clear()
    report = push(fixture_dataset(), server, client=client)
    assert recorder.writes() == []
    assert (report.graphs, report.unchanged, report.requests) == (0, 2, 0)


def test_mode_graphs_puts_every_graph(server, client, recorder):
    report = push(fixture_dataset(), server, mode="graphs", client=client)
    assert sorted(recorder.writes()) == [("PUT", str(GRAPH_TWO)), ("PUT", str(GRAPH_ONE))]
    assert (report.graphs, report.requests) == (2, 2)
    assert_server_holds(server, fixture_dataset())


def test_triples_outside_named_graphs_go_to_the_default_graph(server, client, recorder, tmp_path):
    union = tmp_path / "union.nt"
    write_dataset(fixture_dataset(), union)
    triples = load_dataset(union)
    push(triples, server, mode="graphs", client=client)
    assert [request.url.query for request in recorder.requests] == [b"default="]
    held = server_content(server).graph(DATASET_DEFAULT_GRAPH_ID)
    expected = triples.graph(DATASET_DEFAULT_GRAPH_ID)
    assert len(held) == len(expected) == 259  # the two graphs share entity labels and types
    assert isomorphic(held, as_oxigraph_stores(expected))


def test_bulk_refuses_a_server_that_already_holds_the_graphs(server, client):
    push(fixture_dataset(), server, client=client)
    with pytest.raises(PushError, match=r"already holds 2 of these graphs .*--mode auto"):
        push(fixture_dataset(), server, mode="bulk", client=client)
    assert_server_holds(server, fixture_dataset())


def test_cli_push_reports_graphs_quads_requests_and_time(server):
    result = kg("push", str(FIXTURE), "--to", server.store_url)
    assert result.returncode == 0, result.stderr
    assert f"kg: pushed 2 graphs (274 quads) to {server.store_url} in 1 request (bulk)" in (
        result.stderr
    )
    assert_server_holds(server, fixture_dataset())


def store_of(dataset: Dataset, path: Path) -> Path:
    """A kg store holding the dataset's document graphs."""
    with GraphStore.open(path, create=True) as store:
        for graph in non_empty_graphs(dataset).values():
            doc_id = str(graph.identifier).rsplit("/", 1)[1]
            store.replace_document(doc_id, graph, str(graph.value(predicate=KG.contentHash)))
    return path


def test_a_store_pushes_its_document_graphs_only(server, client, recorder, tmp_path):
    folder = store_of(fixture_dataset(), tmp_path / "store")
    with GraphStore.open(folder, read_only=True) as store:
        report = push(store, server, client=client)
    assert (report.mode, report.graphs, report.quads) == ("bulk", 2, 274)
    assert_server_holds(server, fixture_dataset())  # not the store's union nor its metadata
    edited = fixture_dataset()
    edit_document_one(edited)
    with GraphStore.open(folder) as store:
        store.replace_document("veldoria-joins-interpol", edited.graph(GRAPH_ONE), NEW_HASH)
    recorder.requests.clear()
    with GraphStore.open(folder, read_only=True) as store:
        report = push(store, server, client=client)
    assert recorder.writes() == [("PUT", str(GRAPH_ONE))]
    assert report.unchanged == 1
    assert_server_holds(server, edited)


def test_cli_push_of_a_store_folder(server, tmp_path):
    folder = store_of(fixture_dataset(), tmp_path / "store")
    result = kg("push", str(folder), "--to", server.store_url, "--mode", "graphs")
    assert result.returncode == 0, result.stderr
    assert "pushed 2 graphs (274 quads)" in result.stderr
    assert "in 2 requests (graphs)" in result.stderr
    assert_server_holds(server, fixture_dataset())


# --- failures -------------------------------------------------------------------------------


def test_unreachable_server_is_a_one_line_error_and_exit_1():
    url = f"http://127.0.0.1:{free_port()}/store"
    result = kg("push", str(FIXTURE), "--to", url, "--timeout", "5")
    assert_one_line_error(result, "cannot reach http://127.0.0.1:", "/query")


Answer = Callable[[str, str], tuple[int, str, bytes]]


@dataclass
class Stub:
    """A tiny HTTP server whose answers the test chooses; it records what it was sent."""

    url: str
    answer: Answer
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="", answer=lambda method, path: (204, "text/plain", b""))

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            state.received.append((self.command, self.path, dict(self.headers)))
            status, content_type, body = state.answer(self.command, self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = handle_one

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads ``received`` instead."""

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def empty_server(method: str, path: str) -> tuple[int, str, bytes]:
    if path.startswith("/query"):
        return 200, "application/sparql-results+json", json.dumps({"boolean": False}).encode()
    return 204, "text/plain", b""


def test_a_refused_login_is_an_authentication_error(stub):
    stub.answer = lambda method, path: (401, "text/plain", b"Unauthorized: bad credentials\n")
    result = kg("push", str(FIXTURE), "--to", f"{stub.url}/store", "--user", "u", "--password", "x")
    assert_one_line_error(result, "authentication failed", "HTTP 401", "bad credentials")


def test_an_http_error_names_the_status_and_the_first_line_of_the_body(stub):
    def fail_writes(method: str, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/store"):
            return 500, "text/plain", b"\nstorage is full\nsecond line\n"
        return empty_server(method, path)

    stub.answer = fail_writes
    with pytest.raises(PushError) as caught:
        push(fixture_dataset(), f"{stub.url}/store")
    message = str(caught.value)
    assert "HTTP 500 Internal Server Error: storage is full" in message
    assert "second line" not in message
    assert "0 of 2 graphs were pushed" in message


def test_basic_auth_and_bearer_token_are_sent(stub):
    stub.answer = empty_server
    with make_client(user="ann", password="secret") as http:
        push(fixture_dataset(), f"{stub.url}/store", client=http)
    with make_client(token="t0k") as http:
        push(fixture_dataset(), f"{stub.url}/store", client=http)
    sent = {headers["Authorization"] for _, _, headers in stub.received}
    assert sent == {"Basic YW5uOnNlY3JldA==", "Bearer t0k"}


def test_a_redirect_is_an_error_not_a_success(stub):
    stub.answer = lambda method, path: (301, "text/plain", b"")
    with pytest.raises(PushError, match="HTTP 301 Moved Permanently"):
        push(fixture_dataset(), f"{stub.url}/store")


# --- the target -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "query"),
    [
        ("http://h:7878/store", "http://h:7878/query"),
        ("https://h/fuseki/ds/data", "https://h/fuseki/ds/query"),
    ],
)
def test_the_query_endpoint_is_the_sibling_path_query(store, query):
    assert Target.from_url(store) == Target(store, query)


@pytest.mark.parametrize("url", ["http://h:7878", "http://h:7878/", "ftp://h/store", "h/store"])
def test_a_target_must_be_an_http_graph_store_endpoint(url):
    with pytest.raises(PushError, match="expected"):
        Target.from_url(url)


def test_basic_auth_and_a_token_together_are_refused():
    with pytest.raises(PushError, match="not both"):
        make_client(user="u", password="p", token="t")


def test_the_command_defaults_are_the_library_defaults():
    import kg.commands.push as command
    import kg.push as library

    assert command.DEFAULT_BATCH_SIZE == library.DEFAULT_BATCH_SIZE
    assert command.DEFAULT_TIMEOUT == library.DEFAULT_TIMEOUT


def test_an_unknown_mode_is_a_usage_error():
    result = kg("push", str(FIXTURE), "--to", "http://127.0.0.1:9/store", "--mode", "some")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kg: error: Invalid value for --mode: expected one of auto, bulk, graphs, got 'some'"
    )

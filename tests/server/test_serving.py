"""The endpoint over real HTTP on 127.0.0.1, and ``kg serve`` as a process: it prints its URL,
answers, and stops cleanly with exit code 0 on Ctrl-C."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from rdflib import Dataset, Graph
from rdflib.query import Result

from kg.server import KgApp, ServeError, running
from kg.server.serving import make_http_server
from tests.server.helpers import MINI_GRAPH

pytestmark = pytest.mark.server

MEMBERS = (
    "PREFIX org: <http://www.w3.org/ns/org#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT DISTINCT ?member WHERE { ?m org:memberOf ?o . ?m skos:prefLabel ?member }"
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    from kg.server import open_graph

    with running(KgApp(open_graph(MINI_GRAPH), max_body=4096)) as url:
        yield url


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_get_over_http_answers_sparql_json(base_url: str) -> None:
    status, headers, body = fetch(f"{base_url}sparql?{urlencode({'query': MEMBERS})}")
    assert status == 200
    assert headers["Content-Type"].startswith("application/sparql-results+json")
    result = Result.parse(io.BytesIO(body), format="json")
    assert {str(row[0]) for row in result} == {"Veldoria"}


def test_post_form_over_http_answers_csv(base_url: str) -> None:
    status, headers, body = fetch(
        f"{base_url}sparql",
        data=f"query={quote(MEMBERS)}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"},
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    assert body == b"member\r\nVeldoria\r\n"


def test_post_direct_construct_over_http_answers_turtle(base_url: str) -> None:
    query = "CONSTRUCT { ?m ?p ?o } WHERE { ?m <http://www.w3.org/ns/org#memberOf> ?o . ?m ?p ?o }"
    status, headers, body = fetch(
        f"{base_url}sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=body.decode(), format="turtle")) == 1


def test_errors_over_http_keep_their_status(base_url: str) -> None:
    assert fetch(f"{base_url}sparql")[0] == 400
    assert fetch(f"{base_url}sparql?{urlencode({'query': 'DROP ALL'})}")[0] == 400
    assert fetch(f"{base_url}sparql", data=b"update=DROP%20ALL")[0] == 403
    oversized = fetch(
        f"{base_url}sparql",
        data=b"ASK {}" + b" " * 5000,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert oversized[0] == 413


def test_the_page_and_the_catalogue_over_http(base_url: str) -> None:
    status, headers, body = fetch(base_url)
    assert status == 200
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert b"/static/app.js" in body
    status, _, body = fetch(f"{base_url}api/queries")
    assert status == 200
    assert "members" in {query["name"] for query in json.loads(body)["queries"]}


def test_a_taken_port_is_a_one_line_error() -> None:
    app = KgApp(Dataset())
    first = make_http_server(app, "127.0.0.1", 0, quiet=True)
    try:
        port = first.server_address[1]
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{port}"):
            make_http_server(app, "127.0.0.1", port, quiet=True)
    finally:
        first.server_close()


# --- the command ---------------------------------------------------------------------------


def start_kg_serve(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "serving" not in line:
        process.kill()
        raise AssertionError(f"kg serve did not start: {line!r} {process.stderr.read()!r}")
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    return process, url


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_kg_serve_prints_its_url_serves_and_stops_cleanly(stop: signal.Signals) -> None:
    process, url = start_kg_serve(str(MINI_GRAPH), "--port", "0", "--max-rows", "1")
    try:
        assert url.startswith("http://127.0.0.1:")
        status, headers, _ = fetch(f"{url}sparql?{urlencode({'query': 'SELECT * {?s ?p ?o}'})}")
        assert status == 200
        assert headers["X-KG-Row-Limit"] == "1"
        assert headers["X-KG-Truncated"] == "true"
        process.send_signal(stop)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "kg: server stopped" in out
    assert "Traceback" not in err


def test_kg_serve_serves_a_store_folder(mini_store) -> None:
    process, url = start_kg_serve(str(mini_store.path), "--port", "0")
    try:
        query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        status, _, body = fetch(
            f"{url}sparql?{urlencode({'query': query})}", headers={"Accept": "text/csv"}
        )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert status == 200
    assert body == b"n\r\n2\r\n"  # the two document graphs; the bookkeeping graph is hidden
    assert process.returncode == 0, err
    assert "kg: server stopped" in out


def test_kg_serve_on_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(tmp_path / "missing.trig"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1
    assert len(lines) == 1
    assert lines[0].startswith("kg: error:")


def test_kg_serve_refuses_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(MINI_GRAPH), "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "65535" in result.stderr
    assert "Traceback" not in result.stderr

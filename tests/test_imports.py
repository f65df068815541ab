"""Reading an extra ontology and following its ``owl:imports`` only when asked (RELIABILITY.md
B24): the allow-list, the timeout, the size cap and the depth cap, each against a real HTTP
server on 127.0.0.1, and the CLI's ``--ontology`` / ``--follow-imports`` options."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

import kg.commands.validate as command
import kg.imports as library
from kg.errors import InputError, RdfError, UnsupportedFormatError
from kg.imports import load_ontology
from kg.rdfio import load_dataset
from kg.validate import INFERRED_GRAPH, materialise, validate
from kg.vocab import KG, ORG
from tests.hardening import conftest as hardening
from tests.hardening.conftest import Canary

pytestmark = pytest.mark.server

# The hardening suite's canary server and audit hook, as fixtures of this module too (the
# hook is installed once, when that conftest is imported, and counts for both).
canary = hardening.canary
io_audit = hardening.io_audit
no_outbound_io = hardening.no_outbound_io

REPO = Path(__file__).resolve().parent.parent
MINI_GRAPH = REPO / "tests" / "fixtures" / "mini_graph.trig"
EXAMPLE = REPO / "examples" / "articles"
POLITY = URIRef("https://example.org/Polity")
SLOW = 0.5  # seconds: the timeout the slow-server tests give
MARGIN = 2.0  # seconds past it a cut-off call may take on a loaded machine


def ontology(*imports: str, extra: str = "") -> str:
    """A Turtle ontology that imports ``imports`` and says ``extra``."""
    listed = ", ".join(f"<{iri}>" for iri in imports)
    body = f"<> a owl:Ontology ; owl:imports {listed} .\n" if imports else "<> a owl:Ontology .\n"
    return (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix kg: <https://w3id.org/kgnews/ontology#> .\n" + body + extra
    )


POLITY_TRIPLE = f"kg:Country rdfs:subClassOf <{POLITY}> .\n"
POLITY_TTL = ontology(extra=POLITY_TRIPLE)

POLITY_SHAPES = f"""\
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/PolityShape> a sh:NodeShape ; sh:targetClass <{POLITY}> ;
    sh:property [ sh:path <https://example.org/capital> ; sh:minCount 1 ;
                  sh:severity sh:Warning ] .
"""


class OntologyServer:
    """A loopback HTTP server whose answers each test sets per path, counting every request."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.stopping = threading.Event()
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.hits[self.path] += 1
                route = served.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(OSError):  # a client that hung up, as a capped
                    route(self)  # or timed-out fetch does

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: str | bytes, content_type: str = "text/turtle") -> str:
        data = body.encode() if isinstance(body, str) else body

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            if content_type:
                handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        self.routes[f"/{path}"] = answer
        return self.url + path

    def redirect(self, path: str, location: str) -> str:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[f"/{path}"] = answer
        return self.url + path

    def slow(self, path: str, kind: str) -> str:
        """An answer that takes far longer than any test's timeout: silence, or a valid
        Turtle body or header sent one byte every 50 ms."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            if kind == "silent":
                self.stopping.wait(60)
                return
            if kind == "trickled headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                data = b"x" * 2000
            else:
                handler.send_response(200)
                handler.send_header("Content-Type", "text/turtle")
                handler.send_header("Content-Length", "2000")
                handler.end_headers()
                data = b"#" * 2000
            for byte in data:
                if self.stopping.wait(0.05):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()

        self.routes[f"/{path}"] = answer
        return self.url + path

    def large(self, path: str, size: int, *, declared: bool) -> str:
        """A Turtle comment of ``size`` bytes, its length declared or not (then the end of
        the answer is the end of the connection)."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/turtle")
            if declared:
                handler.send_header("Content-Length", str(size))
            handler.end_headers()
            line = b"#" * 1023 + b"\n"
            for _ in range(size // len(line)):
                handler.wfile.write(line)

        self.routes[f"/{path}"] = answer
        return self.url + path

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[OntologyServer]:
    served = OntologyServer()
    try:
        yield served
    finally:
        served.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def follow(path: Path, allow: list[str], **limits: float) -> Graph:
    return load_ontology(path, follow_imports=True, allow=allow, **limits)


# --- by default ----------------------------------------------------------------------------


def test_imports_are_not_followed_unless_asked(tmp_path, no_outbound_io: Canary) -> None:
    remote = f"{no_outbound_io.url}onto.ttl"
    root = write(tmp_path, "root.ttl", ontology(remote, "file:///etc/passwd"))
    graph = load_ontology(root)
    assert (None, OWL.imports, URIRef(remote)) in graph
    assert len(graph) == 3  # the ontology's type and its two imports, nothing fetched


def test_an_allowed_import_is_merged_with_the_ontology(tmp_path, server) -> None:
    imported = server.serve("polity.ttl", POLITY_TTL)
    root = write(tmp_path, "root.ttl", ontology(imported))
    graph = follow(root, [server.url])
    assert (KG.Country, RDFS.subClassOf, POLITY) in graph
    assert (None, OWL.imports, URIRef(imported)) in graph
    assert server.hits == {"/polity.ttl": 1}


def test_kg_own_ontology_is_never_fetched(tmp_path, no_outbound_io: Canary) -> None:
    root = write(tmp_path, "root.ttl", ontology("https://w3id.org/kgnews/ontology"))
    assert len(follow(root, [])) == 2  # kg.ttl is merged by validate and materialise


# --- the allow-list ------------------------------------------------------------------------


def test_a_host_outside_the_allow_list_is_refused_without_contact(
    tmp_path, server, no_outbound_io: Canary
) -> None:
    remote = f"{no_outbound_io.url}onto.ttl"
    root = write(tmp_path, "root.ttl", ontology(remote))
    with pytest.raises(InputError) as refused:
        follow(root, [server.url])
    message = str(refused.value)
    assert f"<{remote}>" in message
    assert f"--allow-import {no_outbound_io.url}" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("allowed", "imported"),
    [
        ("onto/", "other/x.ttl"),  # outside the prefix's path
        ("onto/", "onto/../secret.ttl"),  # dot segments a server would normalise away
        ("onto/", "onto/%2e%2e/secret.ttl"),  # the same, percent-encoded
    ],
)
def test_an_iri_outside_an_allowed_path_prefix_is_refused(
    tmp_path, server, allowed, imported
) -> None:
    root = write(tmp_path, "root.ttl", ontology(server.url + imported))
    with pytest.raises(InputError, match=r"owl:imports <http://127\.0\.0\.1"):
        follow(root, [server.url + allowed])
    assert server.hits == {}


@pytest.mark.parametrize(
    ("imported", "reason"),
    [
        ("https://{host}/x.ttl", "is not in the import allow-list"),  # another scheme
        ("http://user:secret@{host}/x.ttl", "credentials"),
        ("ftp://{host}/x.ttl", "only http(s) and file: imports"),
        ("urn:example:ontology", "only http(s) and file: imports"),
    ],
)
def test_other_schemes_and_credentials_are_refused(tmp_path, server, imported, reason) -> None:
    iri = imported.format(host=server.url.removeprefix("http://").rstrip("/"))
    root = write(tmp_path, "root.ttl", ontology(iri))
    with pytest.raises(InputError, match=re.escape(f"owl:imports <{iri}> (in <")) as refused:
        follow(root, [server.url])
    assert reason in str(refused.value)
    assert server.hits == {}


def test_a_file_outside_the_allowed_folders_is_refused_without_opening_it(
    tmp_path, no_outbound_io: Canary
) -> None:
    root = write(tmp_path, "root.ttl", ontology("file:///etc/passwd"))
    with pytest.raises(InputError, match=r"<file:///etc/passwd> .*not under an allowed folder"):
        follow(root, [str(tmp_path)])


def test_a_file_under_an_allowed_folder_is_merged_but_a_symlink_out_of_it_is_not(
    tmp_path,
) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    write(allowed, "polity.ttl", POLITY_TTL)
    (allowed / "escape.ttl").symlink_to(write(tmp_path, "outside.ttl", POLITY_TTL))
    root = write(tmp_path, "root.ttl", ontology("allowed/polity.ttl"))  # relative to the file
    assert (KG.Country, RDFS.subClassOf, POLITY) in follow(root, [str(allowed)])
    escaping = write(tmp_path, "escaping.ttl", ontology("allowed/escape.ttl"))
    with pytest.raises(InputError, match="not under an allowed folder"):
        follow(escaping, [str(allowed)])


@pytest.mark.parametrize("entry", ["ftp://example.org/", "https://example.org/?q=1", "no/such"])
def test_a_malformed_allow_list_entry_is_a_clear_error(tmp_path, entry) -> None:
    root = write(tmp_path, "root.ttl", ontology("https://example.org/x.ttl"))
    with pytest.raises(InputError, match="--allow-import"):
        follow(root, [entry])


# --- redirects -----------------------------------------------------------------------------


def test_a_redirect_to_a_host_outside_the_allow_list_is_refused_without_contact(
    tmp_path, server, canary: Canary
) -> None:
    before = len(canary.hits)
    moved = server.redirect("moved.ttl", f"{canary.url}onto.ttl")
    root = write(tmp_path, "root.ttl", ontology(moved))
    with pytest.raises(InputError, match=rf"<{moved}> redirects: .*<{canary.url}onto.ttl>"):
        follow(root, [server.url])
    assert canary.hits[before:] == []


def test_a_redirect_within_the_allow_list_is_followed(tmp_path, server) -> None:
    server.serve("polity.ttl", POLITY_TTL)
    moved = server.redirect("moved.ttl", "/polity.ttl")
    root = write(tmp_path, "root.ttl", ontology(moved))
    assert (KG.Country, RDFS.subClassOf, POLITY) in follow(root, [server.url])


# --- timeout, size, depth, cycles ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["silent", "trickled body", "trickled headers"])
def test_a_slow_server_is_cut_off_at_the_timeout(tmp_path, server, kind) -> None:
    slow = server.slow("slow.ttl", kind)  # would take 100 s to finish
    root = write(tmp_path, "root.ttl", ontology(slow))
    started = time.monotonic()
    with pytest.raises(InputError, match=rf"<{slow}>: no complete answer within {SLOW} s"):
        follow(root, [server.url], timeout=SLOW)
    assert time.monotonic() - started < SLOW + MARGIN


@pytest.mark.parametrize("declared", [True, False])
def test_a_document_over_the_size_cap_is_refused(tmp_path, server, declared) -> None:
    large = server.large("large.ttl", 4_000_000, declared=declared)
    root = write(tmp_path, "root.ttl", ontology(large))
    with pytest.raises(InputError, match=rf"<{large}> is larger than 10,000 bytes"):
        follow(root, [server.url], max_bytes=10_000)
    assert len(follow(root, [server.url], max_bytes=5_000_000)) == 2  # only comments in it


def test_imports_deeper_than_the_depth_cap_are_an_error(tmp_path, server) -> None:
    chain = [server.url + f"c{i}.ttl" for i in range(1, 4)]  # root -> c1 -> c2 -> c3
    for iri, child in zip(chain, [*chain[1:], None], strict=True):
        server.serve(iri.rsplit("/", 1)[1], ontology(child) if child else POLITY_TTL)
    root = write(tmp_path, "root.ttl", ontology(chain[0]))
    with pytest.raises(InputError, match=rf"<{chain[2]}> \(in <{chain[1]}>\) is 3 levels deep"):
        follow(root, [server.url], max_depth=2)
    assert (KG.Country, RDFS.subClassOf, POLITY) in follow(root, [server.url], max_depth=3)


def test_an_import_cycle_loads_each_document_once(tmp_path, server) -> None:
    a, b = server.url + "a.ttl", server.url + "b.ttl"
    server.serve("a.ttl", ontology(b, extra=POLITY_TRIPLE))
    server.serve("b.ttl", ontology(a, f"{a}#itself"))
    root = write(tmp_path, "root.ttl", ontology(a, b))
    assert (KG.Country, RDFS.subClassOf, POLITY) in follow(root, [server.url])
    assert server.hits == {"/a.ttl": 1, "/b.ttl": 1}


# --- formats -------------------------------------------------------------------------------

RDF_XML = (
    '<?xml version="1.0"?>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    f'  <rdf:Description rdf:about="{KG.Country}">\n'
    f'    <rdfs:subClassOf rdf:resource="{POLITY}"/>\n'
    "  </rdf:Description>\n</rdf:RDF>\n"
)


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("negotiated", RDF_XML, "application/rdf+xml; charset=utf-8"),  # no extension
        ("polity.nt", f"<{KG.Country}> <{RDFS.subClassOf}> <{POLITY}> .\n", "text/plain"),
        ("polity.ttl", POLITY_TTL, ""),
    ],
)
def test_the_format_comes_from_the_content_type_else_the_extension(
    tmp_path, server, path, body, content_type
) -> None:
    root = write(tmp_path, "root.ttl", ontology(server.serve(path, body, content_type)))
    assert (KG.Country, RDFS.subClassOf, POLITY) in follow(root, [server.url])


def test_an_answer_that_is_not_rdf_is_refused_not_guessed(tmp_path, server) -> None:
    page = server.serve("page.ttl", "<html>not found</html>", "text/html")
    root = write(tmp_path, "root.ttl", ontology(page))
    with pytest.raises(UnsupportedFormatError, match=rf"<{page}> is served as text/html"):
        follow(root, [server.url])


def test_imported_rdfxml_with_entities_is_refused_like_any_rdf_kg_reads(tmp_path, server) -> None:
    hostile = RDF_XML.replace("<rdf:RDF", '<!DOCTYPE r [<!ENTITY e "x">]>\n<rdf:RDF')
    imported = server.serve("hostile.rdf", hostile, "application/rdf+xml")
    root = write(tmp_path, "root.ttl", ontology(imported))
    with pytest.raises(RdfError, match=rf"owl:imports <{imported}>: entity declarations"):
        follow(root, [server.url])


def test_the_cli_defaults_are_the_library_defaults() -> None:
    assert command.DEFAULT_IMPORT_TIMEOUT == library.DEFAULT_TIMEOUT
    assert command.DEFAULT_IMPORT_MAX_BYTES == library.DEFAULT_MAX_BYTES
    assert command.DEFAULT_IMPORT_DEPTH == library.DEFAULT_MAX_DEPTH


def test_validate_and_materialise_use_the_extra_ontology_with_kg_ttl(tmp_path) -> None:
    extra = load_ontology(write(tmp_path, "polity.ttl", POLITY_TTL))
    shapes = write(tmp_path, "shapes.ttl", POLITY_SHAPES)
    assert validate(load_dataset(MINI_GRAPH), shapes=shapes).conforms
    report = validate(load_dataset(MINI_GRAPH), shapes=shapes, ontology=extra)
    assert {f.shape for f in report.findings} == {
        "<https://example.org/PolityShape> <https://example.org/capital>"
    }
    closure = materialise(load_dataset(MINI_GRAPH), ontology=extra)
    assert (None, RDF.type, POLITY) in closure.graph(INFERRED_GRAPH)
    assert (None, RDF.type, ORG.Organization) in closure.graph(INFERRED_GRAPH)  # kg.ttl too


# --- the command line ----------------------------------------------------------------------


def kg(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def example_graph(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "example.trig"
    result = kg("build", EXAMPLE, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.model
def test_cli_validate_follows_allowed_imports_on_the_example_graph(
    example_graph, tmp_path, server
) -> None:
    root = write(tmp_path, "root.ttl", ontology(server.serve("polity.ttl", POLITY_TTL)))
    shapes = write(tmp_path, "shapes.ttl", POLITY_SHAPES)
    without = kg("validate", example_graph, "--shapes", shapes, "--ontology", root)
    assert without.returncode == 0, without.stdout + without.stderr
    assert server.hits == {}
    followed = kg(
        "validate", example_graph, "--shapes", shapes, "--ontology", root,
        "--follow-imports", "--allow-import", server.url,
    )  # fmt: skip
    assert followed.returncode == 1, followed.stderr  # every country is a polity now
    assert "PolityShape" in followed.stdout
    assert "id/country/zw" in followed.stdout
    assert server.hits == {"/polity.ttl": 1}


def test_cli_query_infer_merges_the_followed_ontology(tmp_path, server) -> None:
    root = write(tmp_path, "root.ttl", ontology(server.serve("polity.ttl", POLITY_TTL)))
    count = f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{POLITY}> }}"
    result = kg(
        "query", MINI_GRAPH, count, "--format", "csv", "--infer", "--ontology", root,
        "--follow-imports", "--allow-import", server.url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", "2"]


@pytest.mark.parametrize(
    ("case", "options", "fragment"),
    [
        ("refused", [], "is not in the import allow-list"),
        ("slow", ["--import-timeout", "0.5"], "no complete answer within 0.5 s"),
        ("large", ["--import-max-bytes", "1000"], "is larger than 1,000 bytes"),
        ("deep", ["--import-depth", "1"], "is 2 levels deep, beyond the import depth of 1"),
    ],
)
def test_cli_import_errors_are_one_line_and_exit_1(
    tmp_path, server, canary: Canary, case, options, fragment
) -> None:
    imported = {
        "refused": f"{canary.url}onto.ttl",
        "slow": server.slow("slow.ttl", "trickled body"),
        "large": server.large("large.ttl", 100_000, declared=False),
        "deep": server.serve("deep.ttl", ontology(server.serve("deeper.ttl", POLITY_TTL))),
    }[case]
    root = write(tmp_path, "root.ttl", ontology(imported))
    follow_options = ["--ontology", root, "--follow-imports", "--allow-import", server.url]
    result = kg("validate", MINI_GRAPH, *follow_options, *options)
    assert_one_line_error(result, 1, f"<{imported}>", fragment)


def test_cli_query_import_errors_are_one_line_and_exit_1(tmp_path, canary: Canary) -> None:
    root = write(tmp_path, "root.ttl", ontology(f"{canary.url}onto.ttl"))
    result = kg(
        "query", MINI_GRAPH, "SELECT * { ?s ?p ?o }", "--infer", "--ontology", root,
        "--follow-imports", "--allow-import", "https://w3id.org/",
    )  # fmt: skip
    assert_one_line_error(result, 1, f"--allow-import {canary.url}")


ROOT = object()  # stands for the ontology file the test writes


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["validate", MINI_GRAPH, "--follow-imports"], "needs an --ontology FILE"),
        (["validate", MINI_GRAPH, "--ontology", ROOT, "--allow-import", "x"], "--allow-import"),
        (["query", MINI_GRAPH, "ASK {}", "--ontology", ROOT], "--ontology applies with"),
        (["query", MINI_GRAPH, "ASK {}", "--timeout", "5", "--ontology", ROOT], "--infer or"),
        (["query", MINI_GRAPH, "ASK {}", "--infer", "--follow-imports"], "needs an --ontology"),
    ],
)
def test_cli_import_options_that_do_not_combine_are_usage_errors(tmp_path, args, fragment) -> None:
    root = write(tmp_path, "root.ttl", ontology())
    result = kg(*(root if arg is ROOT else arg for arg in args))
    assert_one_line_error(result, 2, fragment)

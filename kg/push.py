"""Pushing a kg graph to an external SPARQL 1.1 server.

Two endpoints of the server are used. ``--to`` is its Graph Store Protocol (GSP) endpoint,
which takes writes: Oxigraph's ``http://HOST:7878/store``, Fuseki's
``http://HOST:3030/DATASET/data``. Its SPARQL query endpoint, which answers the questions kg asks
before writing, is the sibling path ``query`` (``…/store`` -> ``…/query``,
``…/DATASET/data`` -> ``…/DATASET/query``) unless given.

Two ways to write:

- **bulk**: the quads of whole graphs as ``application/n-quads``, POSTed to the GSP endpoint in
  batches of about ``batch_size`` quads (a graph larger than a batch travels alone; a graph is
  never split), so a first load is a few large requests, never one a triple. A POST adds.
  (Oxigraph takes a dataset POSTed to its GSP endpoint; for a server that takes only triples
  there, use ``graphs``.)
- **graphs**: one ``PUT GSP?graph=<graph IRI>`` of N-Triples per graph, which replaces that
  graph on the server in one transaction (the default graph goes to ``GSP?default``).

``auto`` asks the server (``ASK`` on its query endpoint) whether it holds anything: an empty
server gets bulk; otherwise kg compares each document graph with the server's copy (the
document's ``kg:contentHash``, the ``kg:extractorVersion`` and the number of triples) and PUTs
only the graphs that differ or are missing. Graphs without a content hash (not kg documents)
are always PUT. ``bulk`` refuses a server that already holds one of the graphs (a POST would
merge into it); ``graphs`` PUTs every graph. Graphs that only the server holds are left alone.

Each request is one server-side transaction, so a graph is either pushed whole or not at all;
a failure part-way says how many graphs were pushed before it. Every failure is a
``PushError`` with one line: an unreachable server, a timeout, a refused login, or an HTTP
error status with the first line of the server's answer.

Oxigraph (server and store alike) keeps every XSD integer subtype as ``xsd:integer``: kg's
``xsd:nonNegativeInteger`` sentence offsets read back from an Oxigraph server as
``xsd:integer`` with the same value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox
from rdflib import Dataset
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import OutputError
from kg.vocab import KG_NS

MODES = ("auto", "bulk", "graphs")
DEFAULT_BATCH_SIZE = 100_000
DEFAULT_TIMEOUT = 60.0
_BODY_LINE_LIMIT = 200

_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_HASHES = f"""PREFIX kg: <{KG_NS}>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?g ?hash ?version WHERE {{
  GRAPH ?g {{
    ?doc a kg:Document ; kg:contentHash ?hash .
    OPTIONAL {{ ?activity prov:used ?doc ; kg:extractorVersion ?version }}
  }}
}}"""
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_DOCUMENT = ox.NamedNode(f"{KG_NS}Document")
_CONTENT_HASH = ox.NamedNode(f"{KG_NS}contentHash")
_EXTRACTOR_VERSION = ox.NamedNode(f"{KG_NS}extractorVersion")
_USED = ox.NamedNode("http://www.w3.org/ns/prov#used")
_ANYTHING = "ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


class PushError(OutputError):
    """A push that the server did not take: unreachable, refused, or an HTTP error status."""


@dataclass(frozen=True, slots=True)
class Target:
    """The server's Graph Store Protocol endpoint (writes) and SPARQL query endpoint (reads)."""

    store_url: str
    query_url: str

    @classmethod
    def from_url(cls, store_url: str, query_url: str | None = None) -> Target:
        """The target whose GSP endpoint is ``store_url``; its query endpoint is the sibling
        path ``query`` unless ``query_url`` is given."""
        parts = _http_url(store_url, "--to")
        if parts.path.strip("/") == "":
            raise PushError(
                f"expected the server's Graph Store Protocol endpoint, such as "
                f"http://host:7878/store (Oxigraph) or http://host:3030/ds/data (Fuseki), "
                f"got {store_url}"
            )
        if query_url is None:
            parent = parts.path.rstrip("/").rsplit("/", 1)[0]
            query_url = urlunsplit((parts.scheme, parts.netloc, f"{parent}/query", "", ""))
        else:
            _http_url(query_url, "the query endpoint")
        return cls(store_url=store_url, query_url=query_url)


@dataclass(slots=True)
class PushReport:
    """What a push sent: graphs and quads written, write requests, graphs left as they were."""

    target: str
    mode: str = "graphs"
    graphs: int = 0
    quads: int = 0
    requests: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    pushed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        unchanged = f"; {self.unchanged} unchanged" if self.unchanged else ""
        return (
            f"pushed {self.graphs} graphs ({self.quads} quads) to {self.target} "
            f"in {self.requests} {'request' if self.requests == 1 else 'requests'} "
            f"({self.mode}){unchanged}; {self.seconds:.1f} s"
        )


def make_client(
    *,
    user: str | None = None,
    password: str | None = None,
    token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """An HTTP client with timeouts and, optionally, basic auth or a bearer token."""
    if token is not None and (user is not None or password is not None):
        raise PushError("give either --user and --password or --token, not both")
    if (user is None) != (password is None):
        raise PushError("basic authentication needs both --user and --password")
    auth = httpx.BasicAuth(user, password) if user is not None and password is not None else None
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.Client(auth=auth, headers=headers, timeout=httpx.Timeout(timeout))


def push(
    source: Any,
    target: Target | str,
    *,
    mode: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    client: httpx.Client | None = None,
) -> PushReport:
    """Push ``source`` (an rdflib ``Dataset`` or a ``kg.store.GraphStore``) to ``target``;
    ``client`` defaults to ``make_client()``, without auth."""
    if mode not in MODES:
        raise PushError(f"unknown push mode {mode!r}; valid modes: {', '.join(MODES)}")
    if batch_size < 1:
        raise PushError(f"expected a batch size of at least 1 quad, got {batch_size}")
    target = target if isinstance(target, Target) else Target.from_url(target)
    started = time.perf_counter()
    local = _local(source)
    own_client = client is None
    http = make_client() if client is None else client
    try:
        report = _Pusher(local, target, http, batch_size).run(mode)
    finally:
        if own_client:
            http.close()
    report.seconds = time.perf_counter() - started
    return report


class _Pusher:
    def __init__(self, local: _Local, target: Target, http: httpx.Client, batch: int) -> None:
        self.local = local
        self.target = target
        self.http = http
        self.batch_size = batch
        self.report = PushReport(target=target.store_url)

    def run(self, mode: str) -> PushReport:
        graphs = self.local.graphs()
        if mode == "auto":
            mode = "graphs" if self._ask(_ANYTHING) else "bulk"
            if mode == "graphs":
                graphs = self._changed(graphs)
        elif mode == "bulk":
            self._refuse_overlap(graphs)
        self.report.mode = mode
        total = len(graphs)
        try:
            if mode == "bulk":
                self._bulk(graphs)
            else:
                for graph in graphs:
                    self._put(graph)
        except PushError as exc:
            raise PushError(
                f"{exc} ({self.report.graphs} of {total} graphs were pushed before the failure,"
                " each one whole)"
            ) from exc
        return self.report

    # --- what to send --------------------------------------------------------------------

    def _changed(self, graphs: list[str]) -> list[str]:
        """The graphs whose copy on the server is missing or differs from ours."""
        theirs = _fingerprints(self._select)
        changed = []
        for graph in graphs:
            mine = _fingerprint(self.local.quads(graph))
            if mine[1] and theirs.get(graph) == mine:
                self.report.unchanged += 1
            else:
                changed.append(graph)
        return changed

    def _refuse_overlap(self, graphs: list[str]) -> None:
        held = {row["g"] for row in self._select(_COUNTS)}
        overlap = sorted(held.intersection(graphs))
        if overlap:
            raise PushError(
                f"{self.target.store_url} already holds {len(overlap)} of these graphs "
                f"(such as <{overlap[0]}>) and a bulk load would merge into them; "
                "use --mode auto or --mode graphs to replace them"
            )

    # --- writing ---------------------------------------------------------------------------

    def _bulk(self, graphs: list[str]) -> None:
        """Whole graphs as N-Quads, gathered until a batch holds ``batch_size`` quads."""
        names: list[str] = []
        chunks: list[bytes] = []
        count = 0
        for graph in graphs:
            quads, body = _serialize(self.local.quads(graph), as_quads=True)
            names.append(graph)
            chunks.append(body)
            count += quads
            if count >= self.batch_size:
                self._post(names, count, chunks)
                names, chunks, count = [], [], 0
        if names:
            self._post(names, count, chunks)

    def _post(self, names: list[str], quads: int, chunks: list[bytes]) -> None:
        self._send(
            "POST",
            self.target.store_url,
            content=b"".join(chunks),
            headers={"Content-Type": "application/n-quads"},
        )
        self._pushed(names, quads)

    def _put(self, graph: str) -> None:
        quads, body = _serialize(self.local.quads(graph), as_quads=False)
        self._send(
            "PUT",
            self.target.store_url,
            params={"graph": graph} if graph else {"default": ""},
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )
        self._pushed([graph], quads)

    def _pushed(self, names: list[str], quads: int) -> None:
        self.report.requests += 1
        self.report.graphs += len(names)
        self.report.quads += quads
        self.report.pushed.extend(names)

    # --- asking ----------------------------------------------------------------------------

    def _ask(self, sparql: str) -> bool:
        answer = self._query_json(sparql)
        if not isinstance(answer.get("boolean"), bool):
            raise PushError(f"{self.target.query_url} did not answer the ASK query with a boolean")
        return answer["boolean"]

    def _select(self, sparql: str) -> list[dict[str, str]]:
        answer = self._query_json(sparql)
        try:
            bindings = answer["results"]["bindings"]
            return [{name: cell["value"] for name, cell in row.items()} for row in bindings]
        except (KeyError, TypeError) as exc:
            raise PushError(
                f"{self.target.query_url} did not answer with SPARQL JSON results"
            ) from exc

    def _query_json(self, sparql: str) -> dict[str, Any]:
        response = self._send(
            "POST",
            self.target.query_url,
            data={"query": sparql},
            headers={"Accept": "application/sparql-results+json"},
        )
        try:
            answer = response.json()
        except ValueError as exc:
            raise PushError(
                f"{self.target.query_url} did not answer with SPARQL JSON results"
            ) from exc
        if not isinstance(answer, dict):
            raise PushError(f"{self.target.query_url} did not answer with SPARQL JSON results")
        return answer

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.ConnectError as exc:
            raise PushError(f"cannot reach {url}: {_reason(exc)}") from exc
        except httpx.TimeoutException as exc:
            raise PushError(f"{url} did not answer in time ({_reason(exc)})") from exc
        except httpx.HTTPError as exc:
            raise PushError(f"cannot talk to {url}: {_reason(exc)}") from exc
        _check_status(method, url, response)
        return response


def _check_status(method: str, url: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    line = _first_line(response.text)
    detail = f": {line}" if line else ""
    if response.status_code in (401, 403):
        raise PushError(
            f"authentication failed at {url}: {status}{detail} "
            "(give --user and --password, or --token)"
        )
    if response.is_redirect:
        detail = f" to {response.headers.get('Location', '?')}"
    raise PushError(f"{method} {url} answered {status}{detail}")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= _BODY_LINE_LIMIT else line[:_BODY_LINE_LIMIT] + "…"
    return ""


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _http_url(url: str, what: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushError(f"expected an http(s) URL for {what}, got {url!r}")
    return parts


# --- the local side --------------------------------------------------------------------------


class _Local(Protocol):
    """What kg pushes from. Graphs are named by IRI, the default graph by ""."""

    def graphs(self) -> list[str]:
        """The non-empty graphs, the default graph first, then by name."""
        ...

    def quads(self, graph: str) -> list[ox.Quad]:
        """The graph's quads, as pyoxigraph terms (which serialise fast and keep datatypes)."""
        ...


class _RdflibLocal:
    """An rdflib dataset, read once and grouped by graph. (Not loaded into a pyoxigraph store:
    Oxigraph keeps every integer subtype as xsd:integer, and kg's offsets are
    xsd:nonNegativeInteger. Not serialised by rdflib either: 15x slower.)"""

    def __init__(self, dataset: Dataset) -> None:
        from kg.store import to_oxigraph

        self.groups: dict[str, list[ox.Quad]] = {}
        for s, p, o, context in dataset.quads((None, None, None, None)):
            identifier = getattr(context, "identifier", context)
            key = "" if identifier in (None, DATASET_DEFAULT_GRAPH_ID) else str(identifier)
            name = ox.NamedNode(key) if key else ox.DefaultGraph()
            quad = ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), name)
            self.groups.setdefault(key, []).append(quad)

    def graphs(self) -> list[str]:
        return sorted(self.groups)

    def quads(self, graph: str) -> list[ox.Quad]:
        return self.groups[graph]


class _StoreLocal:
    """A kg store's document graphs, read one at a time. Its default graph (their union) and
    its metadata graph stay home."""

    def __init__(self, store: ox.Store, hidden: str) -> None:
        self.store = store
        self.hidden = hidden

    def graphs(self) -> list[str]:
        named = sorted(graph.value for graph in self.store.named_graphs())
        return [name for name in named if name != self.hidden and self._quads(name, 1)]

    def quads(self, graph: str) -> list[ox.Quad]:
        return self._quads(graph, None)

    def _quads(self, graph: str, limit: int | None) -> list[ox.Quad]:
        found = self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return list(islice(found, limit))


def _local(source: Any) -> _Local:
    """The source as kg can push it: an rdflib dataset, or a kg.store.GraphStore."""
    if isinstance(source, Dataset):
        return _RdflibLocal(source)
    from kg.store import META_GRAPH, GraphStore

    if isinstance(source, GraphStore):
        return _StoreLocal(source.store, META_GRAPH)
    raise PushError(f"expected a dataset or a kg store to push, got {type(source).__name__}")


def _serialize(found: list[ox.Quad], *, as_quads: bool) -> tuple[int, bytes]:
    """A graph as N-Quads (named, for a bulk POST) or N-Triples (for a PUT)."""
    if as_quads:
        return len(found), ox.serialize(found, format=ox.RdfFormat.N_QUADS)
    return len(found), ox.serialize([q.triple for q in found], format=ox.RdfFormat.N_TRIPLES)


_Fingerprint = tuple[int, frozenset[tuple[str, str]]]


def _fingerprint(quads: list[ox.Quad]) -> _Fingerprint:
    """A graph's number of triples and its documents' (content hash, extractor version)
    pairs, as ``_HASHES`` asks the server for them."""
    documents = {q.subject for q in quads if q.predicate == _TYPE and q.object == _DOCUMENT}
    hashes = {q.subject: q.object.value for q in quads if q.predicate == _CONTENT_HASH}
    used = {q.subject: q.object for q in quads if q.predicate == _USED}
    versions = {q.subject: q.object.value for q in quads if q.predicate == _EXTRACTOR_VERSION}
    pairs = set()
    for doc in documents & hashes.keys():
        found = [versions[a] for a, d in used.items() if d == doc and a in versions] or [""]
        pairs.update((hashes[doc], version) for version in found)
    return len(quads), frozenset(pairs)


def _fingerprints(select: Callable[[str], list[dict[str, str]]]) -> Mapping[str, _Fingerprint]:
    """Per named graph on the server: its number of triples and its documents' (content
    hash, extractor version) pairs."""
    counts = {row["g"]: int(row["n"]) for row in select(_COUNTS)}
    documents: dict[str, set[tuple[str, str]]] = {}
    for row in select(_HASHES):
        documents.setdefault(row["g"], set()).add((row["hash"], row.get("version", "")))
    return {graph: (count, frozenset(documents.get(graph, ()))) for graph, count in counts.items()}

"""The WSGI application behind ``kg serve``: the SPARQL endpoint, the named-question API and the UI.

Routes::

    GET  /                      the browser UI (kg/web/index.html)
    GET  /static/PATH           the UI's files under kg/web (scripts, styles, vendored packages)
    GET  /sparql?query=...      SPARQL 1.1 Protocol query operation; POST form or direct too
    GET  /api/queries           the named questions (name, title, description, parameters,
                                sparql) and the prefixes the page uses to shorten IRIs
    GET  /api/named/NAME?p=v    run a named question through kg.query.run_named, as kg's JSON

Everything is read-only and local: the page loads nothing from another origin (the
Content-Security-Policy allows only 'self'), queries pass kg.query's checks before they run,
each runs under a time limit (in a killable worker process when the app has a
``kg.sandbox.QueryPool``, as ``kg serve`` gives it), a row cap and a byte cap, and a cut result
says so in ``X-KG-Truncated`` / ``X-KG-Row-Limit`` / ``X-KG-Row-Count`` (and in the body where
the format allows); ``X-KG-Byte-Limit`` gives the byte cap. The app
needs no socket: tests call it with a WSGI environ.

A store folder is followed: each request reads the store's latest published snapshot
(``kg.snapshot.Following``), so a build that finishes while the app serves is answered from the
next request on, without a restart, and a query that started on the previous build finishes on
it.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import rdflib.plugins.sparql
from rdflib import Dataset

from kg.errors import ParameterError, QueryError, UnknownQueryError
from kg.query import QueryResult, named_queries, run_named
from kg.server.backend import (
    Backend,
    OxigraphBackend,
    RawResult,
    RdflibBackend,
    check_selection,
    prepare,
)
from kg.server.protocol import HttpError, SparqlRequest, parse_params, read_query_request
from kg.server.results import GRAPH_TYPES, RESULT_TYPES, Body, negotiate, serialise
from kg.server.runner import QueryRunner, QueryTimeout, ServerBusy
from kg.snapshot import Following, Lease
from kg.vocab import PREFIXES

if TYPE_CHECKING:
    from kg.sandbox import QueryPool

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB of query text is far more than any real question
DEFAULT_MAX_BYTES = 32 << 20  # an answer body over 32 MiB is cut to fewer rows

SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "object-src 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}

T = TypeVar("T")
StartResponse = Callable[[str, list[tuple[str, str]]], object]


@dataclass(frozen=True, slots=True)
class _View:
    """A source as requests query it: its backend and the graphs a query may name."""

    source: object
    backend: Backend
    graph_names: set[str]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


class KgApp:
    """A WSGI app answering queries over one read-only source (an rdflib Dataset or a store,
    whose newly published builds it follows; ``close`` it to close what it opened)."""

    def __init__(
        self,
        source: object,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_body: int = DEFAULT_MAX_BODY,
        max_bytes: int = DEFAULT_MAX_BYTES,
        slots: int = 4,
        pool: QueryPool | None = None,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        # process-wide: no rdflib query in this process may fetch a graph named by FROM
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        self.source = source
        self.runner = QueryRunner(timeout, slots)
        self.max_rows = max_rows
        self.max_body = max_body
        self.max_bytes = max_bytes
        self.pool = pool  # worker processes: a query over its time is killed, not abandoned
        self._following = _follow(source)
        if self._following is None:
            # a followed store is queried through the snapshots the app opens: a backend of
            # the source itself would hold its database (and files) open for the server's life
            self.backend = backend_for(source)
            self.graph_names = self.backend.graph_names()

    @property
    def follows_snapshots(self) -> bool:
        """Whether the app reads a store through snapshots it opens itself (so the source it
        was given is needed no longer)."""
        return self._following is not None

    def close(self) -> None:
        """Close the snapshots the app opened to follow a store. Idempotent."""
        if self._following is not None:
            self._following.close()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.route(environ)
        except HttpError as exc:
            response = _error(exc.status, exc.message, environ, exc.headers)
        except Exception:  # a bug, not the client's fault: log it, say little
            traceback.print_exc(file=sys.stderr)
            response = _error(500, "internal error; see the server log", environ)
        headers = [
            ("Content-Type", response.media_type),
            ("Content-Length", str(len(response.body))),
            ("Cache-Control", "no-store"),
            *SECURITY_HEADERS,
            *response.headers,
        ]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def route(self, environ: dict) -> Response:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/sparql":
            return self.sparql(environ)
        if method not in ("GET", "HEAD"):
            raise HttpError(405, f"{path} takes GET, not {method}", (("Allow", "GET, HEAD"),))
        if path in ("/", "/index.html"):
            return _static_file(WEB_DIR / "index.html")
        if path.startswith("/static/"):
            return _static_file(WEB_DIR / path.removeprefix("/static/"))
        if path == "/api/queries":
            return _json_response(200, {"queries": _catalogue(), "prefixes": PREFIXES})
        if path.startswith("/api/named/"):
            return self.named(path.removeprefix("/api/named/"), environ)
        raise HttpError(404, f"nothing at {path}")

    # --- the SPARQL endpoint -------------------------------------------------------------

    def sparql(self, environ: dict) -> Response:
        request = read_query_request(environ, self.max_body)
        with self._lease() as lease:
            return self._sparql(request, lease, environ)

    def _sparql(self, request: SparqlRequest, lease: Lease[_View], environ: dict) -> Response:
        try:
            prepared = prepare(request.query, lease.value.graph_names)
            if request.selection is not None:
                check_selection(request.selection, lease.value.graph_names)
        except QueryError as exc:
            raise HttpError(400, str(exc)) from None
        offered = GRAPH_TYPES if prepared.is_graph else RESULT_TYPES
        media_type = negotiate(environ.get("HTTP_ACCEPT"), offered)
        if media_type is None:
            raise HttpError(
                406,
                f"a {prepared.form} query answers in {', '.join(offered)}; "
                f"the request accepts none of them ({environ.get('HTTP_ACCEPT')})",
            )
        try:
            if self.pool is not None:
                result: RawResult = self._pooled(
                    "endpoint_call", request.query, request.selection, self.max_rows
                )
            else:
                result = self._run(
                    lease.share(),
                    lambda view, cancel: view.backend.execute(
                        prepared, request.selection, self.max_rows, cancel
                    ),
                )
        except QueryError as exc:  # the engine failed while evaluating
            raise HttpError(400, str(exc)) from None
        body = serialise(result, media_type, self.max_rows)
        if len(body.content) > self.max_bytes:
            result, body = self._fit(result, media_type)
        headers = (
            *self._cap_headers(result.truncated, result.size),
            ("X-KG-Byte-Limit", str(self.max_bytes)),
            ("Vary", "Accept"),
        )
        return Response(200, body.content, body.media_type, headers)

    def _fit(self, result: RawResult, media_type: str) -> tuple[RawResult, Body]:
        """The longest head of ``result`` whose body fits ``max_bytes``, marked truncated
        (a binary search over the row count: the cut is rare and serialising is cheap)."""
        low, high = 0, result.size
        best = None
        while low <= high:
            count = (low + high) // 2
            cut = replace(
                result, rows=result.rows[:count], triples=result.triples[:count], truncated=True
            )
            body = serialise(cut, media_type, self.max_rows)
            if len(body.content) <= self.max_bytes:
                best, low = (cut, body), count + 1
            else:
                high = count - 1
        if best is None:
            raise HttpError(500, f"not even an empty answer fits in {self.max_bytes} bytes")
        return best

    # --- the named questions -------------------------------------------------------------

    def named(self, name: str, environ: dict) -> Response:
        params = parse_params(environ.get("QUERY_STRING", ""), "the URL")
        repeated = sorted(key for key, values in params.items() if len(values) > 1)
        if repeated:
            raise HttpError(400, f"parameter {repeated[0]!r} is given more than once")
        given = {key: values[0] for key, values in params.items() if values[0].strip()}
        try:
            if self.pool is not None:
                result: QueryResult = self._pooled("run_named_call", name, given)
            else:
                with self._lease() as lease:
                    result = self._run(
                        lease.share(), lambda view, _cancel: run_named(view.source, name, given)
                    )
        except UnknownQueryError as exc:
            raise HttpError(404, str(exc)) from None
        except (ParameterError, QueryError) as exc:
            raise HttpError(400, str(exc)) from None
        truncated = len(result.rows) > self.max_rows
        kept = QueryResult(result.columns, result.rows[: self.max_rows])
        document = {
            "name": name,
            "columns": list(kept.columns),
            "rows": kept.as_dicts(),
            "rowCount": len(kept.rows),
            "rowLimit": self.max_rows,
            "truncated": truncated,
        }
        return _json_response(200, document, self._cap_headers(truncated, len(kept.rows)))

    # --- shared ---------------------------------------------------------------------------

    def _lease(self) -> Lease[_View]:
        """The view a request queries: the followed store's latest, else the given source."""
        if self._following is not None:
            return self._following.lease()
        return Following.fixed(_View(self.source, self.backend, self.graph_names)).lease()

    def _run(self, lease: Lease[_View], work: Callable[[_View, threading.Event], T]) -> T:
        """``work`` on the lease's view under the time limit. The work releases the lease
        when it ends, which may be after the request gave up on it."""

        def leased(cancel: threading.Event) -> T:
            try:
                return work(lease.value, cancel)
            finally:
                lease.release()

        try:
            return self.runner.run(leased)
        except QueryTimeout as exc:
            raise HttpError(503, str(exc)) from None
        except ServerBusy as exc:  # worth retrying: slots free up as workers end
            lease.release()  # the work never started
            raise HttpError(503, str(exc), (("Retry-After", "5"),)) from None

    def _pooled(self, function: str, *args: object) -> T:
        """``kg.sandbox.FUNCTION(source, *args)`` in a worker process of the pool."""
        from kg import sandbox  # imports kg.server: not at module level

        assert self.pool is not None
        try:
            return self.pool.call(getattr(sandbox, function), *args)
        except QueryTimeout as exc:
            raise HttpError(503, str(exc)) from None
        except ServerBusy as exc:
            raise HttpError(503, str(exc), (("Retry-After", "5"),)) from None

    def _cap_headers(self, truncated: bool, count: int) -> tuple[tuple[str, str], ...]:
        return (
            ("X-KG-Truncated", "true" if truncated else "false"),
            ("X-KG-Row-Limit", str(self.max_rows)),
            ("X-KG-Row-Count", str(count)),
        )


def _follow(source: object) -> Following[_View] | None:
    """For a store read from its snapshots: a view of its latest one, reopened as builds
    publish new ones."""
    from kg.store import GraphStore, open_source

    if not (isinstance(source, GraphStore) and source.read_only):
        return None
    path = source.path
    return Following(path, lambda: _view(open_source(path)), lambda view: view.source.close())


def _view(source: object) -> _View:
    backend = backend_for(source)
    return _View(source, backend, backend.graph_names())


def backend_for(source: object) -> Backend:
    """The query backend for what ``open_source`` / ``load_dataset`` returned."""
    if isinstance(source, Dataset):
        return RdflibBackend(source)
    import pyoxigraph

    from kg.store import META_GRAPH, GraphStore

    if isinstance(source, GraphStore):
        return OxigraphBackend(source.store, default_is_union=True, hidden=frozenset({META_GRAPH}))
    if isinstance(source, pyoxigraph.Store):
        return OxigraphBackend(source)
    raise TypeError(f"kg serve cannot query a {type(source).__name__}")


def _catalogue() -> list[dict[str, object]]:
    return [
        {
            "name": query.name,
            "title": query.title,
            "description": query.description,
            "parameters": [
                {"name": p.name, "description": p.description, "required": p.required}
                for p in query.parameters
            ],
            "sparql": query.sparql,
        }
        for query in named_queries().values()
    ]


def _static_file(path: Path) -> Response:
    """A file under kg/web; anything outside it, or missing, is 404."""
    resolved = path.resolve()
    if not resolved.is_relative_to(WEB_DIR) or not resolved.is_file():
        raise HttpError(404, "no such file")
    media_type = _CONTENT_TYPES.get(resolved.suffix) or (
        mimetypes.guess_type(resolved.name)[0] or "text/plain"
    )
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return Response(200, resolved.read_bytes(), media_type)


def _json_response(
    status: int, document: Mapping[str, object], headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    body = (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8", headers)


def _error(
    status: int, message: str, environ: dict, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """Errors as JSON ``{"error": ...}`` under /api/, plain text elsewhere."""
    if (environ.get("PATH_INFO") or "").startswith("/api/"):
        return _json_response(status, {"error": message, "status": status}, headers)
    return Response(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers)

"""Reading a SPARQL 1.1 Protocol query request out of a WSGI environ, or saying what is wrong.

Three ways to send a query (https://www.w3.org/TR/sparql11-protocol/#query-operation):
``GET /sparql?query=...``, ``POST`` with ``application/x-www-form-urlencoded`` (``query=`` in
the body) and ``POST`` with ``application/sparql-query`` (the body is the query). Any of them
may add ``default-graph-uri`` and ``named-graph-uri`` (in the URL; in the body too for a
form). Every problem is an ``HttpError`` carrying the status the protocol asks for:

- no query, an empty one, or two of them: 400;
- bytes that are not UTF-8, in the body or percent-encoded in a parameter: 400;
- a body type other than the two above: 415; a body over the size cap: 413;
- SPARQL Update in any form (``update=``, ``application/sparql-update``): 403, since this is a
  read-only endpoint with no update operation; an update written in ``query=`` is a malformed
  query and gets 400 from the query checks;
- any method other than GET and POST: 405.

``default-graph-uri`` / ``named-graph-uri`` given at all replace the query's dataset, as the
protocol says; each must name a graph the source holds, or the request is 400 (checked by the
app with ``kg.server.backend.check_selection``, like FROM), so nothing is ever fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from kg.server.backend import GraphSelection

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
MAX_FIELDS = 200


class HttpError(Exception):
    """A request the endpoint refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True, slots=True)
class SparqlRequest:
    query: str
    selection: GraphSelection | None


def read_query_request(environ: dict, max_body: int) -> SparqlRequest:
    """The query and the protocol dataset of a GET or POST to the query endpoint."""
    method = environ.get("REQUEST_METHOD", "GET")
    url_params = parse_params(environ.get("QUERY_STRING", ""), "the URL")
    if method == "GET":
        return _build(url_params, [])
    if method != "POST":
        raise HttpError(
            405, f"the query endpoint takes GET and POST, not {method}", (("Allow", "GET, POST"),)
        )
    media_type, charset = content_type(environ)
    if media_type == UPDATE:
        raise _read_only()
    if media_type not in (FORM, DIRECT):
        got = media_type or "no Content-Type"
        raise HttpError(415, f"expected a body of type {FORM} or {DIRECT}, got {got}")
    if charset not in (None, "utf-8", "utf8"):
        raise HttpError(415, f"expected a UTF-8 body, got charset={charset}")
    text = _decode(read_body(environ, max_body), "the request body")
    if media_type == FORM:
        return _build(url_params, [parse_params(text, "the request body")])
    if "query" in url_params:
        raise HttpError(400, "a direct POST carries the query in its body; the URL has one too")
    return _build(url_params, [{"query": [text]}])


def content_type(environ: dict) -> tuple[str, str | None]:
    """The request's media type (lower case, no parameters) and its charset, if given."""
    media_type, *params = environ.get("CONTENT_TYPE", "").split(";")
    charset = None
    for param in params:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def read_body(environ: dict, max_body: int) -> bytes:
    """The body, refused with 413 before it is read when it declares more than ``max_body``."""
    declared = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        raise HttpError(400, f"Content-Length is not a number: {declared!r}") from None
    if length < 0:
        raise HttpError(400, f"Content-Length is negative: {length}")
    if length > max_body:
        raise HttpError(413, f"the request body has {length} bytes; the limit is {max_body}")
    return environ["wsgi.input"].read(length) if length else b""


def parse_params(text: str, where: str) -> dict[str, list[str]]:
    """URL-encoded parameters, refusing percent-escapes that do not decode as UTF-8."""
    try:
        return parse_qs(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"{where} has a parameter that is not UTF-8: {exc.reason}") from None
    except ValueError as exc:  # more than MAX_FIELDS fields
        raise HttpError(400, f"{where}: {exc}") from None


def _decode(body: bytes, where: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(
            400, f"{where} is not UTF-8: byte {body[exc.start]:#04x} at offset {exc.start}"
        ) from None


def _build(url_params: dict[str, list[str]], bodies: list[dict[str, list[str]]]) -> SparqlRequest:
    merged: dict[str, list[str]] = {key: list(values) for key, values in url_params.items()}
    for body in bodies:
        for key, values in body.items():
            merged.setdefault(key, []).extend(values)
    if "update" in merged or "using-graph-uri" in merged or "using-named-graph-uri" in merged:
        raise _read_only()
    queries = merged.get("query", [])
    if not queries or not queries[0].strip():
        raise HttpError(
            400, "missing query: send it as query=... or as an application/sparql-query body"
        )
    if len(queries) > 1:
        raise HttpError(400, f"expected one query parameter, got {len(queries)}")
    default = tuple(merged.get("default-graph-uri", ()))
    named = tuple(merged.get("named-graph-uri", ()))
    selection = GraphSelection(default, named) if default or named else None
    return SparqlRequest(query=queries[0], selection=selection)


def _read_only() -> HttpError:
    return HttpError(
        403, "this endpoint is read-only: it answers SPARQL queries and runs no SPARQL Update"
    )

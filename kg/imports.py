"""Reading an ontology file, and following its ``owl:imports`` only when asked, within limits.

An ontology's imports are IRIs someone else chose: following them means network requests and
file reads that the person running kg did not write down. So by default they are not followed
(``kg.rdfio`` never fetches anything); with ``follow_imports`` they are, breadth-first, and
each import must pass four limits, every refusal being one line that names the IRI and the
option that would allow it:

- **Allow-list.** An ``http(s)`` IRI must start with an allowed prefix: scheme, host and port
  equal, path starting with the prefix's path (``https://w3id.org/`` allows all of w3id.org,
  ``https://w3id.org/kgnews/`` only that folder). A path with ``.`` or ``..`` segments is
  refused, so a server that normalises paths cannot be led out of the prefix, and so is an
  IRI with credentials. A ``file:`` IRI must name a regular file whose real path (symlinks
  followed) lies under an allowed folder; ``/etc/passwd`` is never read unless ``/etc`` is
  allowed. Other schemes are refused. A redirect is followed only to an IRI the allow-list
  allows, at most ``MAX_REDIRECTS`` times.
- **Timeout.** Each fetch, redirects included, has a wall-clock deadline: a watchdog shuts the
  socket at the deadline, so a server that trickles its headers or body a byte at a time is
  cut off too, not only one that stays silent. (Name resolution is not covered: the system
  resolver cannot be interrupted.)
- **Size.** A document declared (``Content-Length``) or found to be over ``max_bytes`` is
  refused; reading stops at ``max_bytes + 1`` bytes, and nothing asks for compression, so a
  small download cannot expand into a large one.
- **Depth.** The given file is depth 0, its imports depth 1, theirs 2, and so on; an import
  deeper than ``max_depth`` is an error rather than silently dropped, because a partly loaded
  ontology would change what inference finds without anyone noticing. An IRI already loaded
  (or declared as an ``owl:Ontology`` by a loaded document) is not loaded again, so a cycle
  A → B → A ends; nor is kg's own ontology, which every caller merges from ``kg.ttl``.

The parser comes from the served media type (``text/turtle``, ``application/rdf+xml``, …) or,
when that is missing or generic (``text/plain``, ``application/octet-stream``), from the
IRI's extension; anything else (an HTML error page) is refused, never tried with every parser.
Every document goes through ``kg.rdfio.parse_bytes``, with its refusal of DTDs, entities and
remote JSON-LD contexts.

Fetching uses ``http.client`` directly rather than ``urllib``: it never reads proxies from the
environment (``HTTP_PROXY`` set for other tools would route every import through a host the
user did not name, and past the allow-list's view), it lets redirects be checked one by one,
and it exposes the socket the watchdog needs. Behind a proxy, download the ontology and
allow its folder instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, urldefrag, urljoin, urlsplit

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg import __version__
from kg.errors import InputError, UnsupportedFormatError
from kg.rdfio import FORMATS, RdfFormat, format_for, load_dataset, parse_bytes
from kg.vocab import KG_NS

DEFAULT_TIMEOUT = 10.0
"""Seconds one import may take to arrive, redirects included."""
DEFAULT_MAX_BYTES = 20_000_000
"""Bytes one imported document may have (large public ontologies are a few megabytes)."""
DEFAULT_MAX_DEPTH = 3
"""Levels of imports of imports that may be followed."""
MAX_REDIRECTS = 5
KG_ONTOLOGY = urldefrag(KG_NS).url
"""kg's own ontology, never fetched: whoever uses an extra ontology merges kg.ttl with it."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
# The formats' own media types (kg.rdfio.FORMATS), and others a server may answer with.
_BY_MEDIA = {
    **{fmt.media_type: fmt for fmt in FORMATS.values()},
    "application/x-turtle": FORMATS["turtle"],
    "application/xml": FORMATS["xml"],
    "text/xml": FORMATS["xml"],
    "application/json": FORMATS["json-ld"],
}
# Answers that say nothing about the format: the IRI's extension decides.
_GENERIC_MEDIA = {"", "text/plain", "application/octet-stream", "binary/octet-stream"}
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 65_536
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_HEADERS = {
    "Accept": "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, "
    "application/ld+json;q=0.7, application/trig;q=0.5, application/n-quads;q=0.5",
    "Accept-Encoding": "identity",
    "User-Agent": f"kg/{__version__} (owl:imports)",
}


@dataclass(frozen=True, slots=True)
class _Prefix:
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True, slots=True)
class _AllowList:
    prefixes: tuple[_Prefix, ...]
    folders: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class _Document:
    """A fetched or read import: its bytes, its format, and the IRI it was found at."""

    data: bytes
    rdf_format: RdfFormat
    base: str


def load_ontology(
    path: Path | str,
    *,
    follow_imports: bool = False,
    allow: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Graph:
    """The triples of the ontology file at ``path`` (any format ``kg.rdfio`` reads), plus,
    with ``follow_imports``, those of its ``owl:imports`` closure within the limits above.

    ``allow`` holds IRI prefixes (``https://w3id.org/``) and folders (paths or ``file:``
    IRIs); ``timeout`` is in seconds per imported document, ``max_bytes`` per document.
    """
    if timeout <= 0 or max_bytes <= 0 or max_depth < 1:
        raise InputError(
            "import limits must be positive: timeout > 0 s, max_bytes > 0 and max_depth >= 1, "
            f"got {timeout:g} s, {max_bytes} and {max_depth}"
        )
    path = Path(path)
    root = load_dataset(path)
    merged = Graph()
    merged += _triples(root)
    if not follow_imports:
        return merged
    allowed = _allow_list(allow)
    root_iri = path.resolve().as_uri()
    visited = {root_iri, KG_ONTOLOGY, *_ontology_iris(root)}
    queue = deque((iri, 1, root_iri) for iri in _imports(root, root_iri))
    while queue:
        iri, depth, parent = queue.popleft()
        if iri in visited:
            continue
        if depth > max_depth:
            raise InputError(
                f"owl:imports <{iri}> (in <{parent}>) is {depth} levels deep, beyond the "
                f"import depth of {max_depth}: raise it with --import-depth"
            )
        visited.add(iri)
        document = _read(iri, parent, allowed, timeout, max_bytes)
        dataset = parse_bytes(
            document.data, document.rdf_format, source=f"owl:imports <{iri}>", base=document.base
        )
        visited.add(document.base)
        visited.update(_ontology_iris(dataset))
        merged += _triples(dataset)
        queue.extend((child, depth + 1, iri) for child in _imports(dataset, iri))
    return merged


# --- the allow-list ------------------------------------------------------------------------


def _allow_list(entries: Sequence[str]) -> _AllowList:
    """Prefixes and folders from ``--allow-import`` values; a value with ``://`` is an IRI,
    anything else a folder."""
    prefixes: list[_Prefix] = []
    folders: list[Path] = []
    for entry in entries:
        text = entry.strip()
        if text.lower().startswith("file:"):
            folders.append(_folder(urllib.request.url2pathname(urlsplit(text).path), entry))
            continue
        if "://" not in text:
            folders.append(_folder(text, entry))
            continue
        parts = urlsplit(text)
        prefix = _prefix(parts)
        if prefix is None or parts.query or parts.fragment:
            raise InputError(
                f"--allow-import expects an http(s) IRI prefix such as https://w3id.org/ "
                f"(no credentials, query or fragment) or a folder, got {entry!r}"
            )
        prefixes.append(prefix)
    return _AllowList(tuple(prefixes), tuple(folders))


def _folder(text: str, entry: str) -> Path:
    folder = Path(os.path.realpath(Path(text).expanduser()))
    if not folder.is_dir():
        raise InputError(f"--allow-import {entry!r}: no such folder")
    return folder


def _prefix(parts: SplitResult) -> _Prefix | None:
    """Scheme, host, port and path of an http(s) IRI; None for anything else, or for an IRI
    with credentials or a bad port."""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return _Prefix(scheme, parts.hostname, port, parts.path or "/")


def _refusal(iri: str, parent: str, allowed: _AllowList) -> str | None:
    """Why ``iri`` may not be followed, or None when the allow-list allows it."""
    parts = urlsplit(iri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _file_refusal(iri, parent, parts, allowed)
    if scheme not in _DEFAULT_PORTS:
        return (
            f"owl:imports <{iri}> (in <{parent}>): only http(s) and file: imports can be followed"
        )
    target = _prefix(parts)
    if target is None:
        return f"owl:imports <{iri}> (in <{parent}>): not a fetchable IRI (credentials or port)"
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        return f"owl:imports <{iri}> (in <{parent}>): '.' and '..' path segments not allowed"
    for prefix in allowed.prefixes:
        if (prefix.scheme, prefix.host, prefix.port) == (
            target.scheme,
            target.host,
            target.port,
        ) and target.path.startswith(prefix.path):
            return None
    origin = f"{scheme}://{parts.netloc}/"
    return (
        f"owl:imports <{iri}> (in <{parent}>) is not in the import allow-list: "
        f"allow it with --allow-import {origin} (or a longer prefix)"
    )


def _file_refusal(iri: str, parent: str, parts: SplitResult, allowed: _AllowList) -> str | None:
    if parts.netloc not in ("", "localhost"):
        return f"owl:imports <{iri}> (in <{parent}>): file: IRIs on other hosts not allowed"
    real = Path(os.path.realpath(urllib.request.url2pathname(parts.path)))
    if not any(real.is_relative_to(folder) for folder in allowed.folders):
        return (
            f"owl:imports <{iri}> (in <{parent}>) is not under an allowed folder: "
            f"allow its folder with --allow-import {real.parent}"
        )
    return None


# --- reading an import ---------------------------------------------------------------------


def _read(iri: str, parent: str, allowed: _AllowList, timeout: float, max_bytes: int) -> _Document:
    refusal = _refusal(iri, parent, allowed)
    if refusal is not None:
        raise InputError(refusal)
    if urlsplit(iri).scheme.lower() == "file":
        return _read_file(iri, max_bytes)
    return _fetch(iri, allowed, timeout, max_bytes)


def _read_file(iri: str, max_bytes: int) -> _Document:
    """A ``file:`` import, allowed already: a regular file (never a FIFO or device, which
    could block for ever), at most ``max_bytes``."""
    real = os.path.realpath(urllib.request.url2pathname(urlsplit(iri).path))
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise InputError(f"owl:imports <{iri}>: not a regular file")
        with open(real, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"owl:imports <{iri}>: cannot read: {exc.strerror or exc}") from exc
    _check_size(iri, len(data), max_bytes)
    try:
        rdf_format = format_for(real)
    except UnsupportedFormatError as exc:
        raise UnsupportedFormatError(f"owl:imports <{iri}>: {exc}") from None
    return _Document(data, rdf_format, Path(real).as_uri())


def _fetch(iri: str, allowed: _AllowList, timeout: float, max_bytes: int) -> _Document:
    """GET ``iri`` and the redirects it leads to, all within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    url = iri
    for _ in range(MAX_REDIRECTS + 1):
        status, reason, location, media_type, data = _get(iri, url, deadline, timeout, max_bytes)
        if status in _REDIRECTS:
            if location is None:
                raise InputError(f"owl:imports <{iri}>: HTTP {status} without a Location")
            target = urldefrag(urljoin(url, location)).url
            refusal = _refusal(target, url, allowed)
            if refusal is not None:
                raise InputError(f"owl:imports <{iri}> redirects: {refusal}")
            url = target
            continue
        if status != 200:
            raise InputError(f"owl:imports <{iri}>: HTTP {status} {reason}".rstrip())
        return _Document(data, _served_format(iri, url, media_type), url)
    raise InputError(f"owl:imports <{iri}>: more than {MAX_REDIRECTS} redirects")


def _get(
    iri: str, url: str, deadline: float, timeout: float, max_bytes: int
) -> tuple[int, str, str | None, str, bytes]:
    """One GET: status, reason, Location, media type and body (empty for a redirect)."""
    remaining = deadline - time.monotonic()
    too_slow = f"owl:imports <{iri}>: no complete answer within {timeout:g} s (--import-timeout)"
    if remaining <= 0:
        raise InputError(too_slow)
    parts = urlsplit(url)
    connection_class = HTTPSConnection if parts.scheme.lower() == "https" else HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=remaining)
    expired = threading.Event()
    watched: list[socket.socket] = []  # http.client drops its socket once a response holds it

    def expire() -> None:
        expired.set()
        for sock in watched:
            with contextlib.suppress(OSError):  # the base method: past any TLS layer
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    watchdog = threading.Timer(remaining, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        watched.append(connection.sock)
        if expired.is_set():
            raise TimeoutError  # the deadline passed while connecting
        connection.request("GET", _request_target(parts), headers=_HEADERS)
        with connection.getresponse() as response:
            location = response.getheader("Location")
            media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            data = b""
            if response.status == 200:
                declared = _declared_length(response.getheader("Content-Length"))
                _check_size(iri, declared, max_bytes)
                data = _read_body(iri, response, expired, max_bytes)
    except (OSError, HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise InputError(too_slow) from None
        raise InputError(f"owl:imports <{iri}>: cannot fetch {url}: {_reason(exc)}") from None
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():  # the shutdown can look like the end of a body sent without a length
        raise InputError(too_slow)
    return response.status, response.reason, location, media_type, data


def _read_body(iri: str, response: HTTPResponse, expired: threading.Event, max_bytes: int) -> bytes:
    """The body, read as it arrives: a byte trickling in at a time stops at the deadline."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_CHUNK):
        if expired.is_set():
            raise TimeoutError
        size += len(chunk)
        _check_size(iri, size, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _request_target(parts: SplitResult) -> str:
    """The path and query as http.client sends them: non-ASCII characters percent-encoded."""
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    return f"{target}?{quote(parts.query, safe=_PATH_SAFE + '?')}" if parts.query else target


def _declared_length(header: str | None) -> int:
    try:
        return int(header) if header is not None else 0
    except ValueError:
        return 0


def _check_size(iri: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"owl:imports <{iri}> is larger than {max_bytes:,} bytes: "
            "raise the limit with --import-max-bytes"
        )


def _served_format(iri: str, url: str, media_type: str) -> RdfFormat:
    """The format the server names, or the IRI's extension when it names none."""
    if media_type in _BY_MEDIA:
        return _BY_MEDIA[media_type]
    if media_type not in _GENERIC_MEDIA:
        raise UnsupportedFormatError(
            f"owl:imports <{iri}> is served as {media_type}, not as RDF kg reads "
            f"({', '.join(sorted(_BY_MEDIA))})"
        )
    try:
        return format_for(urlsplit(url).path)
    except UnsupportedFormatError as exc:
        raise UnsupportedFormatError(
            f"owl:imports <{iri}>: served as {media_type or 'no content type'}; {exc}"
        ) from None


def _reason(exc: BaseException) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    reason = " ".join(reason.split()) or type(exc).__name__
    if urllib.request.getproxies():
        reason += " (kg does not use the proxy settings of the environment for imports)"
    return reason


# --- reading what was loaded ---------------------------------------------------------------


def _triples(dataset: Dataset) -> Iterator[tuple]:
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        yield s, p, o


def _imports(dataset: Dataset, parent: str) -> Iterator[str]:
    """The IRIs a document imports, without fragments, in a stable order."""
    found = set()
    for _, _, target, _ in dataset.quads((None, OWL.imports, None, None)):
        if not isinstance(target, URIRef):
            raise InputError(f"owl:imports in <{parent}> expects an IRI, got {target.n3()}")
        found.add(urldefrag(str(target)).url)
    yield from sorted(found)


def _ontology_iris(dataset: Dataset) -> set[str]:
    return {
        urldefrag(str(s)).url
        for s, _, _, _ in dataset.quads((None, RDF.type, OWL.Ontology, None))
        if isinstance(s, URIRef)
    }

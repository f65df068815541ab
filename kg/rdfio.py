"""Reading and writing RDF files safely.

Writing: the dataset is serialised into a temporary file next to the target, flushed to disk
and renamed over it, so a failure half-way (rdflib truncates the target before it serialises)
leaves the previous file byte for byte as it was. Quad formats (TriG, N-Quads, JSON-LD) keep one
named graph per document; triple formats (Turtle, N-Triples, RDF/XML) hold the union of the
graphs, and provenance survives the merge because every fact node cites its sentences, which
cite their document.

Reading never fetches anything: RDF/XML with a DOCTYPE or entity declarations and JSON-LD with
a remote or relative ``@context`` (or ``@import``) are refused before any parser sees them, and
the format comes from the extension or an explicit name, never from guessing.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re
import secrets
import xml.sax
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from kg.errors import InputError, OutputError, RdfError, StoreLockedError, UnsupportedFormatError
from kg.rdf import new_dataset


@dataclass(frozen=True, slots=True)
class RdfFormat:
    """An RDF serialisation kg reads and writes."""

    name: str
    rdflib: str
    extensions: tuple[str, ...]
    quads: bool
    media_type: str


FORMATS: dict[str, RdfFormat] = {
    fmt.name: fmt
    for fmt in (
        RdfFormat("turtle", "turtle", (".ttl",), False, "text/turtle"),
        RdfFormat("trig", "trig", (".trig",), True, "application/trig"),
        RdfFormat("nquads", "nquads", (".nq",), True, "application/n-quads"),
        RdfFormat("ntriples", "nt", (".nt",), False, "application/n-triples"),
        RdfFormat("json-ld", "json-ld", (".jsonld", ".json"), True, "application/ld+json"),
        RdfFormat("xml", "xml", (".rdf", ".owl", ".xml"), False, "application/rdf+xml"),
    )
}
"""Format name -> format; ``format_for`` also takes an extension (``ttl``, ``.nq``) as a name."""

_BY_EXTENSION = {ext: fmt for fmt in FORMATS.values() for ext in fmt.extensions}
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_XML_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Encodings an XML parser may read a file in; the byte order fixes the alignment from byte 0.
_XML_ENCODINGS = ("latin-1", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def format_for(path: Path | str, explicit: str | None = None) -> RdfFormat:
    """The format named by ``explicit`` (a name or an extension), else by the path's extension."""
    if explicit is not None:
        key = explicit.strip().lower()
        fmt = FORMATS.get(key) or _BY_EXTENSION.get(key if key.startswith(".") else f".{key}")
        if fmt is None:
            raise UnsupportedFormatError(
                f"unknown RDF format {explicit!r}: expected one of {_valid_choices()}"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    fmt = _BY_EXTENSION.get(suffix)
    if fmt is None:
        raise UnsupportedFormatError(
            f"{path}: cannot tell the RDF format from the extension {suffix or '(none)'!r}: "
            f"expected one of {_valid_choices()}, or name the format"
        )
    return fmt


def write_dataset(dataset: Dataset, path: Path | str, fmt: str | None = None) -> int:
    """Write ``dataset`` to ``path`` atomically; the number of quads (or triples) written."""
    path = Path(path)
    rdf_format = format_for(path, fmt)
    if rdf_format.quads:
        data: Graph = dataset
        count = sum(1 for _ in dataset.quads((None, None, None, None)))
    else:
        data = _union(dataset)
        count = len(data)

    options = {"auto_compact": True} if rdf_format.name == "json-ld" else {}

    def serialise(stream: BinaryIO) -> None:
        data.serialize(destination=stream, format=rdf_format.rdflib, encoding="utf-8", **options)

    atomic_write(path, serialise)
    return count


def load_dataset(path: Path | str, fmt: str | None = None) -> Dataset:
    """Parse an RDF file into a new dataset (triple formats fill its default graph)."""
    path = Path(path)
    rdf_format = format_for(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_bytes(data, rdf_format, source=str(path), base=path.resolve().as_uri())


def parse_bytes(data: bytes, rdf_format: RdfFormat, *, source: str, base: str) -> Dataset:
    """Parse ``data`` with the same refusals as ``load_dataset``; ``source`` names it in
    errors and ``base`` resolves its relative IRIs (``kg.imports`` parses fetched ontologies
    with it, named by their IRI)."""
    if rdf_format.name == "xml":
        _refuse_xml_declarations(source, data)
    elif rdf_format.name == "json-ld":
        _refuse_remote_contexts(source, data)
    scratch = new_dataset()
    try:
        scratch.parse(data=data, format=rdf_format.rdflib, publicID=base)
    except RecursionError:
        raise RdfError(f"{source}: nesting too deep for the {rdf_format.name} parser") from None
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise RdfError(f"{source}: {_parse_problem(exc)}") from exc
    _refuse_bad_iris(source, scratch)
    return scratch


def atomic_write(path: Path | str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a temporary file next to ``path``, then rename it over ``path``.

    On any failure the temporary file is removed, ``path`` is left untouched and an
    ``OutputError("cannot write PATH: reason")`` is raised. A new file gets the permissions
    a plain ``open`` would give; a replaced one keeps its own. When the target is a symlink,
    the link itself is replaced by the new file.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    temp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        # 0o666 minus the umask, as open() would give; O_EXCL: never reuse a file.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if not isinstance(exc, Exception):
            raise
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise OutputError(f"cannot write {path}: {reason}") from exc
    _fsync_folder(folder)


@contextlib.contextmanager
def output_lock(path: Path | str) -> Iterator[None]:
    """Hold the single-writer lock of an output file: an exclusive ``flock`` on ``PATH.lock``
    (which then holds our pid), so a second build of the same file fails at once with
    ``StoreLockedError`` instead of racing the first to the rename. Taking it removes the
    temporary files of a writer that was killed."""
    path = Path(path)
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise StoreLockedError(
                f"{path} is locked by another kg build (pid {holder}); "
                "wait for it to finish, or stop it, and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        _remove_stale_temps(path)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _remove_stale_temps(path: Path) -> None:
    """``atomic_write``'s temporary files for ``path`` left by a writer killed before its
    rename; only the holder of the output lock may remove them."""
    for temp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            temp.unlink()


def _union(dataset: Dataset) -> Graph:
    """All the triples of all the graphs in one graph, with the dataset's prefixes."""
    union = Graph()
    for prefix, namespace in dataset.namespaces():
        union.bind(prefix, namespace, override=True, replace=True)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _valid_choices() -> str:
    names = ", ".join(FORMATS)
    extensions = ", ".join(_BY_EXTENSION)
    return f"{names} (extensions {extensions})"


def _refuse_xml_declarations(path: Path | str, data: bytes) -> None:
    """No DTD, no entities: nothing an XML parser could expand or fetch."""
    for encoding in _XML_ENCODINGS:
        if _XML_DECLARATION.search(data.decode(encoding, errors="ignore")):
            raise RdfError(f"{path}: entity declarations not allowed in RDF/XML")


def _refuse_remote_contexts(path: Path | str, data: bytes) -> None:
    """Only inline JSON-LD contexts: a string context is a document the parser would fetch."""
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RdfError(f"{path}: {_parse_problem(exc)}") from exc
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            context = node.get("@context")
            contexts = context if isinstance(context, list) else [context]
            if any(isinstance(item, str) for item in contexts) or "@import" in node:
                raise RdfError(
                    f"{path}: remote or relative JSON-LD contexts not allowed, "
                    "expected inline @context objects only"
                )
            stack.extend(node.values())


def _refuse_bad_iris(path: Path | str, dataset: Dataset) -> None:
    """rdflib accepts IRIs with spaces, braces or controls, which no writer can write back."""
    for quad in dataset.quads((None, None, None, None)):
        for term in quad:
            if isinstance(term, URIRef) and _BAD_IRI.search(term):
                raise RdfError(f"{path}: invalid IRI <{term[:200]}>")


def _parse_problem(exc: BaseException) -> str:
    """One line saying what the parser disliked, with the line number where it gives one."""
    if isinstance(exc, BadSyntax):
        # rdflib's own line count drifts; count in the text it was reading instead
        newline = b"\n" if isinstance(exc._str, bytes) else "\n"
        line = exc._str.count(newline, 0, exc._i) + 1
        column = exc._i - exc._str.rfind(newline, 0, exc._i)
        return f"line {line}: {exc._why} at column {column}"
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}: {exc.getMessage()}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}: {exc.msg}"
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if len(message) <= 200 else message[:200] + "…"


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

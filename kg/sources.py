"""Read inputs (files, directories, stdin) into cleaned ``Document`` records, one at a time.

``read_documents`` is a generator, so a corpus of any size streams through in bounded memory:
one document's file at a time, and JSONL one line at a time under a per-line byte cap.

Formats, chosen by extension (case-insensitive):

- ``.txt``: optional ``source:`` / ``title:`` / ``date:`` header lines, then a blank line.
- ``.md`` / ``.markdown``: YAML front matter for metadata; Markdown syntax stripped lightly.
- ``.html`` / ``.htm``: visible text only, read with ``html.parser`` (nothing is fetched, no
  entity beyond HTML's own is resolved, entities are decoded exactly once).
- ``.jsonl``: one JSON object per line with ``text`` and optional ``id``, ``title``,
  ``date``, ``source``.
- ``-``: stdin, read as ``.txt`` with the document id ``stdin``.

Bytes are decoded as UTF-8 (a UTF-8 BOM is dropped), or as UTF-16 when they start with a
UTF-16 BOM; nothing else is guessed, so a file in another encoding fails with the byte offset
where it stops being UTF-8. The text is then passed through ``kg.text.clean_text``, and the
header is never part of ``Document.text``, so fact offsets index the body.

Errors: a bad argument (missing path, a named file of an unsupported type, stdin named twice)
always raises ``InputError``, before any document is read. Errors in one document (or one
JSONL line) go to ``on_error(path, error)`` when given and reading continues; without
``on_error`` they raise.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date as Date
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Literal, TextIO

from kg.errors import DecodingError, EmptyInputError, InputError, UnsupportedFormatError
from kg.records import Document
from kg.text import clean_label, clean_text

SUPPORTED_EXTENSIONS = (".htm", ".html", ".jsonl", ".markdown", ".md", ".txt")
STDIN = "-"
STDIN_ID = "stdin"
MAX_JSONL_LINE_BYTES = 10 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
MAX_DOCUMENT_CHARS = 1_000_000
"""The longest document text kg parses: spaCy's own ``max_length`` (its error E088), since
the parser and NER need about 1 GB of memory per 100,000 characters past it. A longer
document is rejected whole, not cut, so no fact is read from half an article."""

ErrorHandler = Callable[[str, InputError], None]
"""Called with the path and the error for each document (or JSONL line) that cannot be read."""

_STDIN_NAME = "<stdin>"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# ---------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class _Input:
    """One validated command-line input."""

    kind: Literal["stdin", "file", "directory"]
    path: Path


@dataclass(frozen=True, slots=True)
class _File:
    """One file to read, with the document id it yields (the id prefix for JSONL)."""

    path: Path
    doc_id: str


def read_documents(
    inputs: Iterable[str | Path],
    *,
    stdin: TextIO | BinaryIO | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[Document]:
    """Yield one ``Document`` per file, per JSONL line, or for stdin (``"-"``).

    Directories are read recursively in sorted order, skipping hidden files and folders and
    files without a supported extension. Every input is checked before the first document
    is read. Document ids must be unique in one run; a repeated id is an error naming both
    places it came from. ``stdin`` defaults to ``sys.stdin``.
    """
    checked = _check_inputs(inputs)
    seen: dict[str, _Origin] = {}
    for item in checked:
        for origin, result in _read_input(item, stdin):
            if isinstance(result, Document) and result.id in seen:
                result = InputError(
                    f"duplicate document id {result.id!r}: {seen[result.id]} and {origin}"
                )
            if isinstance(result, InputError):
                if on_error is None:
                    raise result
                on_error(origin.path, result)
                continue
            seen[result.id] = origin
            yield result


def count_inputs(inputs: Iterable[str | Path]) -> int | None:
    """The number of files ``read_documents`` will open (a JSONL file counts once), for a
    progress bar; None when stdin is among the inputs, since its size is unknown."""
    checked = _check_inputs(inputs)
    if any(item.kind == "stdin" for item in checked):
        return None
    return sum(
        1 if item.kind == "file" else sum(isinstance(f, _File) for f in _walk(item.path))
        for item in checked
    )


def _check_inputs(inputs: Iterable[str | Path]) -> list[_Input]:
    checked: list[_Input] = []
    for raw in inputs:
        if str(raw) == STDIN:
            if any(item.kind == "stdin" for item in checked):
                raise InputError("stdin ('-') is named more than once; it can be read only once")
            checked.append(_Input("stdin", Path(STDIN)))
            continue
        path = Path(raw)
        if path.is_dir():
            checked.append(_Input("directory", path))
        elif path.exists():
            _check_extension(path)
            checked.append(_Input("file", path))
        else:
            raise InputError(f"no such file or directory: {path}")
    return checked


def _check_extension(path: Path) -> None:
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        found = f"'{path.suffix}'" if path.suffix else "no extension"
        raise UnsupportedFormatError(
            f"{path}: unsupported file type ({found}); supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a document or an error comes from: a path, and a line for JSONL records."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


_Result = tuple[_Origin, Document | InputError]


def _read_input(item: _Input, stdin: TextIO | BinaryIO | None) -> Iterator[_Result]:
    """Yield each document, or the error that stopped it, with where it came from."""
    if item.kind == "stdin":
        yield _Origin(_STDIN_NAME), _capture(_read_stdin, stdin)
    elif item.kind == "file":
        yield from _read_file(_File(item.path, _clean_id(item.path.stem)))
    else:
        for found in _walk(item.path):
            if isinstance(found, InputError):
                yield _Origin(str(item.path)), found
            else:
                yield from _read_file(found)


def _walk(root: Path) -> Iterator[_File | InputError]:
    """Files under ``root`` with a supported extension, depth first in name order, skipping
    hidden entries; a symlinked folder is followed once (a loop cannot recur)."""
    visited: set[tuple[int, int]] = set()
    stack: list[Iterator[os.DirEntry[str]]] = []

    def enter(directory: str) -> InputError | None:
        try:
            status = os.stat(directory)
            if (status.st_dev, status.st_ino) in visited:
                return None
            visited.add((status.st_dev, status.st_ino))
            with os.scandir(directory) as entries:
                stack.append(iter(sorted(entries, key=lambda entry: entry.name)))
        except OSError as exc:
            return InputError(f"{directory}: cannot list folder: {exc.strerror or exc}")
        return None

    if (error := enter(str(root))) is not None:
        yield error
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif entry.name.startswith("."):
            continue
        elif entry.is_dir():
            if (error := enter(entry.path)) is not None:
                yield error
        elif Path(entry.name).suffix.lower() in SUPPORTED_EXTENSIONS:
            relative = Path(entry.path).relative_to(root).with_suffix("")
            yield _File(Path(entry.path), _clean_id(relative.as_posix()))


def _clean_id(doc_id: str) -> str:
    """Ids from file names get the same cleaning as text (NFC, so a name written on macOS
    matches the same name elsewhere, and no surrogates from undecodable names)."""
    return clean_text(doc_id).strip()


def _capture(read: Callable[..., Document], *args: object) -> Document | InputError:
    """The document, or the InputError that stopped it, as a value to pass on."""
    try:
        return read(*args)
    except InputError as exc:
        return exc


def _read_file(file: _File) -> Iterator[_Result]:
    suffix = file.path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(file)
    else:
        yield _Origin(str(file.path)), _capture(_read_single, file, _PARSERS[suffix])


def _read_single(file: _File, parse: Callable[[str, _File], Document]) -> Document:
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{file.path}: cannot read: {exc.strerror or exc}") from exc
    return parse(_decode(data, str(file.path)), file)


def _read_stdin(stream: TextIO | BinaryIO | None) -> Document:
    stream = sys.stdin if stream is None else stream
    source = getattr(stream, "buffer", stream)  # bytes when possible: exact error offsets
    try:
        data = source.read()
    except UnicodeDecodeError as exc:
        raise DecodingError(f"{_STDIN_NAME}: not valid text ({exc.reason})") from exc
    raw = _decode(data, _STDIN_NAME) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    return _parse_txt_text(raw, STDIN_ID, _STDIN_NAME, None)


# -------------------------------------------------------------------------------- decoding


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (BOM dropped) or, after a UTF-16 BOM, UTF-16; offsets in errors count the BOM."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodingError(
                f"{name}: not valid UTF-16 at byte {exc.start}; re-save the file as UTF-8"
            ) from exc
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise DecodingError(f"{name}: looks like a binary file, not text")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodingError(
            f"{name}: not valid UTF-8 at byte {bom + exc.start}; re-save the file as UTF-8"
        ) from exc


# ---------------------------------------------------------------------------------- dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_FLAGS = re.IGNORECASE | re.ASCII
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)", re.ASCII)
_DAY_MONTH_YEAR = re.compile(
    rf"{_WEEKDAY}(\d{{1,2}}){_ORDINAL}\s+([a-z]+)\.?,?\s+(\d{{4}})(?!\w)", _DATE_FLAGS
)
_MONTH_DAY_YEAR = re.compile(
    rf"{_WEEKDAY}([a-z]+)\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})(?!\w)", _DATE_FLAGS
)
_MONTH_YEAR = re.compile(r"([a-z]+)\.?,?\s+(\d{4})(?!\w)", _DATE_FLAGS)


def parse_header_date(value: str) -> str | None:
    """The ISO 8601 date a header value starts with, at the precision it gives, else None.

    ``2024``, ``2024-11``, ``2024-11-26`` (also ``2024-11-26/27``, ``2024-12 (note)``,
    ``2024-11-26T10:00Z``), ``24 November 2022``, ``October 24, 2022``, ``26 Jul, 2021``
    and ``Nov 2022`` are understood; anything else (``undated``) or an impossible date
    (``2024-02-30``) gives None rather than a guess.
    """
    value = value.strip()
    if match := _ISO_DATE.match(value):
        year, month, day = match.groups()
        return _iso(int(year), int(month) if month else None, int(day) if day else None)
    if match := _DAY_MONTH_YEAR.match(value):
        day, month, year = match.groups()
        return _iso(int(year), _MONTHS.get(month.lower()), int(day), require_month=True)
    if match := _MONTH_DAY_YEAR.match(value):
        month, day, year = match.groups()
        return _iso(int(year), _MONTHS.get(month.lower()), int(day), require_month=True)
    if match := _MONTH_YEAR.match(value):
        month, year = match.groups()
        return _iso(int(year), _MONTHS.get(month.lower()), None, require_month=True)
    return None


def _iso(
    year: int, month: int | None, day: int | None, *, require_month: bool = False
) -> str | None:
    if month is None:
        return None if require_month else f"{year:04d}"
    try:
        Date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}"


# -------------------------------------------------------------------------- single formats

_NEWLINES = re.compile("\r\n?")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_HEADER_LINE = re.compile(r"(source|title|date)[ \t]*:(.*)", re.IGNORECASE)


def _document(
    doc_id: str,
    body: str,
    name: str,
    path: Path | None,
    *,
    title: str | None = None,
    date: str | None = None,
    source: str | None = None,
) -> Document:
    """The document with its body cleaned and its blank edges stripped; empty is an error."""
    text = _LEADING_BLANK_LINES.sub("", clean_text(body)).rstrip()
    if not text.strip():
        raise EmptyInputError(f"{name}: empty document")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InputError(
            f"{name}: document too long: {len(text):,} characters, at most "
            f"{MAX_DOCUMENT_CHARS:,} (spaCy's max_length, error E088); split it into "
            "smaller documents"
        )
    return Document(
        id=doc_id,
        text=text,
        title=_label_or_none(title),
        date=date,
        source=_label_or_none(source),
        path=None if path is None else str(path),
    )


def _label_or_none(value: str | None) -> str | None:
    return (clean_label(value) or None) if value is not None else None


def _parse_txt(raw: str, file: _File) -> Document:
    return _parse_txt_text(raw, file.doc_id, str(file.path), file.path)


def _parse_txt_text(raw: str, doc_id: str, name: str, path: Path | None) -> Document:
    fields, body = _split_header(_NEWLINES.sub("\n", raw), name)
    date = fields.get("date")
    return _document(
        doc_id,
        body,
        name,
        path,
        title=fields.get("title"),
        date=None if date is None else parse_header_date(date),
        source=fields.get("source"),
    )


def _split_header(text: str, name: str) -> tuple[dict[str, str], str]:
    """Split ``source:``/``title:``/``date:`` lines and the blank line after them from the
    body. Only a first line that is one of those keys starts a header."""
    if not _HEADER_LINE.fullmatch(text.partition("\n")[0]):
        return {}, text
    lines = text.split("\n", 4)  # at most three keys, then the blank line, then the body
    fields: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            return fields, "\n".join(lines[number:])
        match = _HEADER_LINE.fullmatch(line)
        if match is None:
            raise InputError(
                f"{name}:{number}: expected a header line (source:, title:, date:) or the "
                f"blank line that ends the header, got {line[:60]!r}"
            )
        key = match[1].lower()
        if key in fields:
            raise InputError(f"{name}:{number}: header key {key!r} appears twice")
        fields[key] = match[2].strip()
    return fields, ""


_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FRONT_MATTER_LINE = re.compile(r"(title|date|source)[ \t]*:(.*)", re.IGNORECASE)


def _parse_markdown(raw: str, file: _File) -> Document:
    fields, body = _split_front_matter(_NEWLINES.sub("\n", raw))
    date = fields.get("date")
    return _document(
        file.doc_id,
        _strip_markdown(body),
        str(file.path),
        file.path,
        title=fields.get("title"),
        date=None if date is None else parse_header_date(date),
        source=fields.get("source"),
    )


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Read ``title``/``date``/``source`` from a YAML front matter block (``---`` to ``---``
    or ``...``) as flat ``key: value`` lines, without a YAML dependency; other keys are
    ignored. A first ``---`` with no closing line is a thematic break, not front matter."""
    first, _, rest = text.partition("\n")
    if first.rstrip() != "---" or (end := _FRONT_MATTER_END.search(rest)) is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in rest[: end.start()].split("\n"):
        if match := _FRONT_MATTER_LINE.fullmatch(line):
            fields.setdefault(match[1].lower(), _unquote(match[2].strip()))
    return fields, rest[end.end() :]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


# Spans are bounded (``{1,300}``, no nested brackets) so that a line of unmatched markers
# costs linear time: unbounded, 20,000 ``_a`` took 13 s and 40,000 ``[`` 5 s.
_MD_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_MD_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]+|$)")
_MD_LINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^ {0,3}\[[^\]]+\]:\s*\S.*$", ""),  # link reference definition
        (r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$", ""),  # thematic break, setext underline
        (r"^ {0,3}(?:>[ \t]?)+", ""),  # block quote
        (r"^[ \t]*[-*+][ \t]+", ""),  # bullet
        (r"!\[[^\[\]]{0,300}\](?:\([^()]{0,2000}\)|\[[^\[\]]{0,300}\])", ""),  # image
        (r"\[([^\[\]]{0,300})\](?:\([^()]{0,2000}\)|\[[^\[\]]{0,300}\])", r"\1"),  # link
        (r"<((?:https?|mailto):[^<>\s]+)>", r"\1"),  # autolink
        (r"(`+)(.{1,300}?)\1", r"\2"),  # inline code
        (r"(?<!\\)(\*\*|__)(?=\S)(.{1,300}?)(?<=[^\s\\])\1", r"\2"),  # strong
        (r"(?<!\\)~~(?=\S)(.{1,300}?)(?<=[^\s\\])~~", r"\1"),  # strikethrough
        (r"(?<![\\\w*])\*(?=[^\s*])(.{1,300}?)(?<=[^\s\\*])\*(?![\w*])", r"\1"),  # emphasis
        (r"(?<![\\\w])_(?=[^\s_])(.{1,300}?)(?<=[^\s\\_])_(?!\w)", r"\1"),  # emphasis
        (r"\\([\\`*_{}\[\]()#+\-.!<>~|])", r"\1"),  # backslash escape
    )
)


def _strip_markdown(body: str) -> str:
    """Plain text from Markdown, lightly: markup goes, words stay. Fenced code is kept as
    text (only the fences go), HTML comments and images are dropped, links keep their text."""
    lines: list[str] = []
    fence: str | None = None
    for line in _MD_COMMENT.sub("", body).split("\n"):
        marker = _MD_FENCE.match(line)
        if fence is not None:
            if marker and marker[1][0] == fence[0] and len(marker[1]) >= len(fence):
                fence = None
            else:
                lines.append(line)
        elif marker:
            fence = marker[1]
        else:
            if heading := _MD_HEADING.match(line):
                line = _without_closing_hashes(line[heading.end() :])
            for pattern, replacement in _MD_LINE_RULES:
                line = pattern.sub(replacement, line)
            lines.append(line)
    return "\n".join(lines)


def _without_closing_hashes(heading: str) -> str:
    """``Title ##`` -> ``Title`` (string methods: a regex backtracks on long blank runs)."""
    text = heading.rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        return bare.rstrip(" \t")
    return text


_HTML_SKIPPED = frozenset({"head", "noscript", "script", "style", "svg", "template"})
_HTML_HEAD_CONTENT = frozenset(
    {"base", "link", "meta", "noscript", "script", "style", "template", "title"}
)
# fmt: off
_HTML_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})
# fmt: on
_HTML_CELLS = frozenset({"td", "th"})
_HTML_DATE_META = frozenset(
    {"date", "article:published_time", "dc.date", "dcterms.date", "datepublished"}
)
_DOCTYPE_SUBSET = re.compile(r"\A\s*<!DOCTYPE[^>\[]*\[[^\]]*\]\s*>", re.IGNORECASE)
_HTML_SPACE = re.compile("[ \t\n\r\f]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _VisibleText(HTMLParser):
    """Collects the text a browser would show, plus title, date and canonical URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities decoded once, in data and attrs
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.pre = 0
        self.title_parts: list[str] | None = None
        self.title: str | None = None
        self.date: str | None = None
        self.canonical: str | None = None
        self.og_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, dict(attrs), void=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, dict(attrs), void=True)

    def _start(self, tag: str, attrs: dict[str, str | None], *, void: bool) -> None:
        if tag == "meta":
            self._meta(attrs)
        elif tag == "link":
            rel = (attrs.get("rel") or "").lower().split()
            if "canonical" in rel and attrs.get("href") and self.canonical is None:
                self.canonical = attrs["href"]
        if "head" in self.skipping and (
            tag == "body" or (self.skipping == ["head"] and tag not in _HTML_HEAD_CONTENT)
        ):
            del self.skipping[self.skipping.index("head") :]  # the head ends implicitly
        if tag == "title" and not void and self.title is None and set(self.skipping) <= {"head"}:
            self.title_parts = []
        elif tag in _HTML_SKIPPED:
            if not void:
                self.skipping.append(tag)
        elif not self.skipping:
            if tag == "pre" and not void:
                self.pre += 1
            self._break(tag, start=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = "".join(self.title_parts)
            self.title_parts = None
        elif tag in self.skipping:
            del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag) :]
        elif not self.skipping:
            if tag == "pre" and self.pre:
                self.pre -= 1
            self._break(tag, start=False)

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
        elif self.pre:
            self.parts.append(data)
        elif not self.skipping:
            self._inline(_HTML_SPACE.sub(" ", data))

    def _inline(self, text: str) -> None:
        """Append text, collapsing whitespace across text nodes as browsers do."""
        if text.startswith(" ") and (not self.parts or self.parts[-1].endswith((" ", "\n"))):
            text = text[1:]
        if text:
            self.parts.append(text)

    def _break(self, tag: str, *, start: bool) -> None:
        if tag in _HTML_BLOCKS:
            self.parts.append("\n")
        elif tag in _HTML_CELLS and start:
            self._inline(" ")

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").lower()
        content = attrs.get("content")
        if content is None:
            return
        if key in _HTML_DATE_META and self.date is None:
            self.date = parse_header_date(content)
        elif key == "og:url" and self.og_url is None:
            self.og_url = content.strip()

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """``<![...`` is a bogus comment up to the next ``>``, as browsers read it in HTML;
        the base class raises AssertionError on ``<![`` without a known keyword."""
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1

    def close(self) -> None:
        """Drop a tag, comment or declaration left open at the end, as browsers do. Letting
        ``HTMLParser.close`` re-scan it is quadratic (``"<a " * 40_000`` took 166 s)."""
        if self.rawdata.startswith("<"):
            self.rawdata = ""
        super().close()

    def text(self) -> str:
        lines = (line.strip(" ") for line in "".join(self.parts).split("\n"))
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines))


def _parse_html(raw: str, file: _File) -> Document:
    """Visible text of an HTML page.

    Charset precedence: a BOM (UTF-8 or UTF-16) decides; otherwise the bytes are decoded as
    UTF-8. ``<meta charset>`` and ``http-equiv`` declarations are ignored, so a page saved
    in another charset fails with the byte offset instead of being read as mojibake.
    Dropped: ``head`` (except ``<title>``, which becomes the title), ``script``, ``style``,
    ``noscript``, ``template``, ``svg``, comments, a tag or comment left open at the end (as
    in browsers) and declarations (a DOCTYPE's internal subset is dropped unread: its entities
    are never resolved, so ``&e;`` stays literal). Metadata: ``<meta name="date">`` or
    ``property="article:published_time"`` -> date; ``<link rel="canonical">``, else
    ``<meta property="og:url">`` -> source.
    """
    parser = _VisibleText()
    parser.feed(_DOCTYPE_SUBSET.sub("", raw))
    parser.close()
    return _document(
        file.doc_id,
        parser.text(),
        str(file.path),
        file.path,
        title=parser.title,
        date=parser.date,
        source=parser.canonical or parser.og_url,
    )


_PARSERS: dict[str, Callable[[str, _File], Document]] = {
    ".txt": _parse_txt,
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
}


# ----------------------------------------------------------------------------------- JSONL


def _read_jsonl(file: _File) -> Iterator[_Result]:
    """One document per non-blank line, streamed; a bad line is an error for that line only."""
    name = str(file.path)
    try:
        with file.path.open("rb") as handle:
            head = handle.read(BINARY_SNIFF_BYTES)
            if head.startswith(_UTF16_BOMS) or b"\x00" in head:
                raise DecodingError(f"{name}: looks like a binary or UTF-16 file, not UTF-8 JSONL")
            handle.seek(0)
            for number, offset, line in _lines(handle):
                origin = _Origin(name, number)
                if line is None:
                    message = f"{origin}: line longer than {MAX_JSONL_LINE_BYTES:,} bytes"
                    yield origin, InputError(message)
                    continue
                if number == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8) :]
                    offset += len(codecs.BOM_UTF8)
                if line.strip():
                    yield origin, _capture(_jsonl_document, line, origin, offset, file)
    except OSError as exc:
        yield _Origin(name), InputError(f"{name}: cannot read: {exc.strerror or exc}")
    except InputError as exc:
        yield _Origin(name), exc


def _lines(handle: BinaryIO) -> Iterator[tuple[int, int, bytes | None]]:
    """``(line number, byte offset, bytes)`` per line; the bytes are None for a line over the
    cap, which is read in chunks and dropped so memory stays bounded."""
    number = offset = 0
    while line := handle.readline(MAX_JSONL_LINE_BYTES + 1):
        number += 1
        size = len(line)
        if size > MAX_JSONL_LINE_BYTES and not line.endswith(b"\n"):
            while chunk := handle.readline(1 << 20):
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            yield number, offset, None
            offset += size
        else:
            yield number, offset, line
            offset += size


def _jsonl_document(line: bytes, origin: _Origin, offset: int, file: _File) -> Document:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodingError(
            f"{origin}: not valid UTF-8 at byte {offset + exc.start}; re-save the file as UTF-8"
        ) from exc
    record = _load_json(text, origin, truncated=not line.endswith(b"\n"))
    if not isinstance(record, dict):
        raise InputError(f"{origin}: expected a JSON object, got {_json_type(record)}")
    if "text" not in record:
        raise InputError(f'{origin}: missing "text"')
    body = _string_field(record, "text", origin)
    fields = {key: _string_field(record, key, origin) for key in ("title", "date", "source")}
    date = fields["date"]
    return _document(
        _jsonl_id(record, origin, file),
        body or "",
        str(origin),
        file.path,
        title=fields["title"],
        date=None if date is None else parse_header_date(date),
        source=fields["source"],
    )


def _load_json(text: str, origin: _Origin, *, truncated: bool) -> object:
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_nan)
    except RecursionError as exc:
        raise InputError(f"{origin}: JSON nested too deeply") from exc
    except json.JSONDecodeError as exc:
        what = "truncated last line" if truncated else "invalid JSON"
        raise InputError(f"{origin}: {what}: {exc.msg} at column {exc.colno}") from exc
    except ValueError as exc:  # raised by the hooks below
        raise InputError(f"{origin}: invalid JSON: {exc}") from exc


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Reject duplicate keys: JSON leaves their meaning open and Python keeps the last."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"duplicate key {duplicate!r}")
    return record


def _nan(constant: str) -> object:
    raise ValueError(f"{constant} is not valid JSON")


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    names[type(None)] = "null"
    return names.get(type(value), "a number")


def _string_field(record: dict[str, object], key: str, origin: _Origin) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f'{origin}: "{key}" must be a string, got {_json_type(value)}')


def _jsonl_id(record: dict[str, object], origin: _Origin, file: _File) -> str:
    """The record's ``id`` (a string or an integer), else ``{file id}/{line number}``."""
    value = record.get("id")
    if value is None:
        return f"{file.doc_id}/{origin.line}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f'{origin}: "id" must be a string or an integer, got {_json_type(value)}')
    doc_id = _clean_id(str(value))
    if not doc_id:
        raise InputError(f'{origin}: "id" is empty')
    return doc_id

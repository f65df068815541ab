"""The endpoint's answers in the SPARQL 1.1 results formats and in RDF, from raw terms.

Written here rather than borrowed from rdflib so that both engines share them and so that a
result cut by the row cap says so inside the body where the format has room: the SPARQL JSON
document gets a top-level ``"kg"`` member (``truncated``, ``rowLimit``, ``rowCount``), which
standard readers ignore; SPARQL XML, Turtle and N-Triples get a comment. CSV, TSV and
JSON-LD have no such place; the response headers say it for every format.

Media types are chosen by content negotiation (``negotiate``): SELECT and ASK answer in
SPARQL JSON (the default), SPARQL XML, CSV or TSV; CONSTRUCT and DESCRIBE in Turtle (the
default), N-Triples or JSON-LD.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal
from rdflib.namespace import XSD
from rdflib.term import Identifier

from kg.server.backend import RawResult
from kg.vocab import PREFIXES

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"

# in order of preference: the first is the default when the client accepts anything
RESULT_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
GRAPH_TYPES = (TURTLE, NTRIPLES, JSONLD)
# other names clients use for the same formats
ALIASES = {"application/json": SPARQL_JSON, "application/xml": SPARQL_XML, "text/xml": SPARQL_XML}

_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


@dataclass(frozen=True, slots=True)
class Body:
    """A serialised answer: its bytes and the Content-Type to send them with."""

    content: bytes
    media_type: str


def negotiate(accept: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered media type the ``Accept`` header likes best; None when none is acceptable.

    Each offered type takes the quality of the most specific range that matches it
    (``type/subtype`` over ``type/*`` over ``*/*``); ties go to the order of ``offered``.
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges = [_parse_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[float, int] | None = None
    chosen = None
    for position, media_type in enumerate(offered):
        quality = _quality(media_type, ranges)
        if quality > 0 and (best is None or (quality, -position) > best):
            best, chosen = (quality, -position), media_type
    return chosen


def _parse_range(part: str) -> tuple[str, float]:
    media, *params = (piece.strip() for piece in part.split(";"))
    quality = 1.0
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                quality = max(0.0, min(1.0, float(value)))
            except ValueError:
                quality = 0.0
    media = media.lower()
    return ALIASES.get(media, media), quality


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    kind = media_type.split("/")[0]
    for pattern in (media_type, f"{kind}/*", "*/*"):
        matches = [quality for media, quality in ranges if media == pattern]
        if matches:
            return max(matches)
    return 0.0


def serialise(result: RawResult, media_type: str, limit: int) -> Body:
    """The result in ``media_type`` (one of RESULT_TYPES or GRAPH_TYPES, as fits its form)."""
    writer = _WRITERS[media_type]
    text = writer(result, limit)
    return Body(text.encode("utf-8"), f"{media_type}; charset=utf-8")


# --- SELECT and ASK ----------------------------------------------------------------------


def _json(result: RawResult, limit: int) -> str:
    document: dict[str, object]
    if result.form == "ASK":
        document = {"head": {}, "boolean": bool(result.boolean)}
    else:
        bindings = [
            {
                name: _json_term(term)
                for name, term in zip(result.variables, row, strict=True)
                if term is not None
            }
            for row in result.rows
        ]
        document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    document["kg"] = {"truncated": result.truncated, "rowLimit": limit, "rowCount": result.size}
    return json.dumps(document, ensure_ascii=False) + "\n"


def _json_term(term: Identifier) -> dict[str, str]:
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        entry = {"type": "literal", "value": str(term)}
        if term.language:
            entry["xml:lang"] = term.language
        elif term.datatype is not None and term.datatype != XSD.string:
            entry["datatype"] = str(term.datatype)
        return entry
    return {"type": "uri", "value": str(term)}


def _xml(result: RawResult, limit: int) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f"<sparql xmlns={quoteattr(_RESULTS_NS)}>"]
    if result.truncated:
        lines.append(f"  <!-- kg: truncated: only the first {limit} rows -->")
    if result.form == "ASK":
        lines += ["  <head/>", f"  <boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        lines.append("  <head>")
        lines += [f"    <variable name={quoteattr(name)}/>" for name in result.variables]
        lines += ["  </head>", "  <results>"]
        for row in result.rows:
            lines.append("    <result>")
            for name, term in zip(result.variables, row, strict=True):
                if term is not None:
                    lines.append(
                        f"      <binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
                    )
            lines.append("    </result>")
        lines.append("  </results>")
    lines.append("</sparql>")
    return "\n".join(lines) + "\n"


def _xml_term(term: Identifier) -> str:
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            attribute = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype is not None and term.datatype != XSD.string:
            attribute = f" datatype={quoteattr(str(term.datatype))}"
        else:
            attribute = ""
        return f"<literal{attribute}>{escape(str(term))}</literal>"
    return f"<uri>{escape(str(term))}</uri>"


def _csv(result: RawResult, _limit: int) -> str:
    """SPARQL 1.1 CSV: plain values (IRIs and lexical forms), RFC 4180 quoting and CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = [(result.boolean,)] if result.form == "ASK" else result.rows
    writer.writerow(("ask",) if result.form == "ASK" else result.variables)
    writer.writerows([_csv_value(term) for term in row] for row in rows)
    return buffer.getvalue()


def _csv_value(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, bool):
        return "true" if term else "false"
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv(result: RawResult, _limit: int) -> str:
    """SPARQL 1.1 TSV: ``?var`` headers and terms in Turtle syntax, tabs between them."""
    if result.form == "ASK":
        return "?ask\n" + ('"true"' if result.boolean else '"false"') + f"^^<{XSD.boolean}>\n"
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    lines += ["\t".join(_turtle_term(term) for term in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _turtle_term(term: Identifier | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = (
            str(term)
            .replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    return f"<{term}>"


# --- CONSTRUCT and DESCRIBE ----------------------------------------------------------------


def _graph(result: RawResult) -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for triple in result.triples:
        graph.add(triple)
    return graph


def _rdf_writer(rdflib_format: str, comments: bool) -> Callable[[RawResult, int], str]:
    def write(result: RawResult, limit: int) -> str:
        text = _graph(result).serialize(format=rdflib_format)
        if comments and result.truncated:
            text = f"# kg: truncated: only the first {limit} triples\n" + text
        return text

    return write


_WRITERS: dict[str, Callable[[RawResult, int], str]] = {
    SPARQL_JSON: _json,
    SPARQL_XML: _xml,
    CSV: _csv,
    TSV: _tsv,
    TURTLE: _rdf_writer("turtle", comments=True),
    NTRIPLES: _rdf_writer("nt", comments=True),
    JSONLD: _rdf_writer("json-ld", comments=False),
}

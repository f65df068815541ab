"""Named SPARQL questions and ad-hoc queries over a kg dataset, with results as plain values.

Named questions are data, one file each: ``kg/queries/NAME.rq``. NAME is lower-case words
joined by hyphens (``member-counts``). The file opens with a header comment::

    # title: Members of an organisation
    # description: Who is a member of ORGANISATION, since when, and which sentence says so.
    # param: organisation = any label of the organisation (case-insensitive)
    # param: entity (required) = any label of the entity, or its IRI

The header is the run of ``#`` lines at the top of the file; it ends at the first other line,
so free comments go after a blank line. Each header line must be one of the forms above:
``title`` and ``description`` exactly once, ``param`` any number of times. Parameters are
optional unless marked ``(required)``, and each must appear in the query as a variable.
Anything else fails on load with ``QueryError("FILE: bad header line N: ...")``.

A parameter binds the SPARQL variable of the same name (``?organisation``) to a plain string
literal through the engine's initial bindings, never by editing the query text, so a value
cannot inject SPARQL. An optional parameter that is not given leaves its variable unbound, so
the questions test it as ``FILTER(IF(BOUND(?organisation), <match>, true))`` (IF rather than
``!BOUND(...) || ...`` because rdflib evaluates every operand of ``||``), or, where it names
the entity whose facts to read, as a group joined before the facts:
``{ FILTER(!BOUND(?organisation)) } UNION { ?org <labels> ?name FILTER(BOUND(?organisation)
&& <match>) }`` is one empty solution when the parameter is unbound and the entities it names
when bound, so the store reads only their facts (a FILTER on each fact reads them all, and
an EXISTS with a join inside costs pyoxigraph a scan on every row). A bound variable is
bound everywhere in rdflib, so the questions use parameter variables only inside FILTERs; a
result column that shares a parameter's name is projected from the entity's preferred label,
so it shows the canonical name whatever spelling was asked for. Names match case-insensitively
against any ``skos:prefLabel``, ``skos:altLabel`` or ``rdfs:label``, or the entity's IRI.

Only reads run: SELECT, ASK, CONSTRUCT and DESCRIBE. A query longer than ``MAX_QUERY_CHARS``
or nesting brackets deeper than ``MAX_QUERY_NESTING`` is refused first (``query too large`` /
``query too complex``): deep nesting overflows rdflib's parser and crashes pyoxigraph's.
SPARQL Update (which includes LOAD),
SERVICE, and FROM / FROM NAMED naming a graph that the dataset does not hold are refused before
evaluation, and rdflib's graph loading is switched off while a query runs, so a query never
reaches the network or the file system.

The engine sits behind ``QueryEngine``: ``RdflibEngine`` for an rdflib ``Dataset`` (a graph
file), ``OxigraphEngine`` for an on-disk kg store (``kg.store.GraphStore``) or a pyoxigraph
``Store``; ``run_query`` and ``run_named`` take any of them and answer the same. pyoxigraph
binds parameters differently (its ``substitutions`` only replace projected variables), so
``OxigraphEngine`` binds them in the query text, safely: see ``bind_values``.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import rdflib.plugins.sparql
from pyparsing import ParseBaseException
from rdflib import BNode, Dataset, Literal, URIRef, Variable
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from kg.errors import ParameterError, QueryError, UnknownQueryError
from kg.vocab import XSD_INTEGER_SUBTYPES

if TYPE_CHECKING:
    import pyoxigraph

    from kg.store import GraphStore

QUERY_DIR = Path(__file__).parent / "queries"
FORMATS = ("table", "csv", "tsv", "json")
TABLE_CELL_WIDTH = 60

_HEADER_LINE = re.compile(r"#\s*(title|description|param)\s*:\s*(\S.*?)\s*")
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(\(required\))?\s*=\s*(\S.*)")
_QUERY_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TSV_BREAKS = re.compile(r"[\t\r\n]")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    description: str
    required: bool


@dataclass(frozen=True, slots=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    sparql: str
    path: Path


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A query's answer as plain Python values, ready for tables, CSV or JSON.

    IRIs and strings are ``str``, ``xsd:integer`` (and its subtypes) ``int``, ``xsd:decimal``
    and ``xsd:double`` ``float``, booleans ``bool``, dates of any precision (``xsd:date``,
    ``xsd:gYear``, ``xsd:gYearMonth``) their ISO lexical form as ``str``, unbound ``None``.
    ASK answers in one column ``ask``; CONSTRUCT and DESCRIBE in ``subject``, ``predicate``,
    ``object``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    def as_dicts(self) -> list[dict[str, object]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class QueryEngine(Protocol):
    """Runs one read-only query (SELECT, ASK, CONSTRUCT or DESCRIBE) over the union of the
    named graphs, binding each ``?name`` to its value as a plain string literal."""

    def select(self, sparql: str, bindings: Mapping[str, str]) -> QueryResult: ...


class RdflibEngine:
    """Queries an rdflib ``Dataset`` (its default graph the union of the named graphs)."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset

    def select(self, sparql: str, bindings: Mapping[str, str]) -> QueryResult:
        query = _parse_read_only(sparql)
        _refuse_unknown_graphs(query, {str(graph.identifier) for graph in self._dataset.graphs()})
        initial = {name: Literal(value) for name, value in bindings.items()}
        try:
            with _graph_loading_disabled():
                # rdflib evaluates lazily: convert inside the guard so errors surface here
                return _from_rdflib(self._dataset.query(query, initBindings=initial))
        except Exception as exc:  # rdflib raises bare Exception for evaluation failures
            raise QueryError(f"SPARQL query failed: {exc}") from exc


class OxigraphEngine:
    """Queries a kg store (``kg.store.GraphStore``) or any pyoxigraph ``Store``.

    A kg store's default graph is the union of its document graphs, each triple once (as
    an rdflib default-union ``Dataset`` shows it), and ``GRAPH`` sees only document graphs,
    never the store's metadata graph. Any other pyoxigraph store is read with its default
    graph as the union of all its graphs (``use_default_graph_as_union``, which repeats a
    triple that several graphs state). Before pyoxigraph sees a query, rdflib's parser
    runs the same checks as for ``RdflibEngine``: no update, no SERVICE, FROM only graphs
    the store holds. Parameters are bound by ``bind_values``; values are read from
    pyoxigraph's terms as ``_from_rdflib`` reads rdflib's (``_oxigraph_value``).
    """

    def __init__(self, store: GraphStore | pyoxigraph.Store) -> None:
        import pyoxigraph as ox

        from kg.store import META_GRAPH, GraphStore

        self._store = store.store if isinstance(store, GraphStore) else store
        self._meta = ox.NamedNode(META_GRAPH)
        self._kg_store = self._store.contains_named_graph(self._meta)

    def select(self, sparql: str, bindings: Mapping[str, str]) -> QueryResult:
        query = _parse_read_only(sparql)
        bound = _bound_query(sparql, tuple(sorted(bindings.items())))
        options: dict[str, object] = {}
        if query.algebra.datasetClause:  # the query's own FROM / FROM NAMED
            _refuse_unknown_graphs(query, {graph.value for graph in self._graphs()})
        elif not self._kg_store:
            options["use_default_graph_as_union"] = True
        elif bound.uses_graph and not out_of_reach(self._store, query, self._meta):
            options["named_graphs"] = self._graphs()
        try:
            return _from_oxigraph(self._store.query(bound.text, **options), dict(bound.columns))
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL: {' '.join(str(exc).split())}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"SPARQL query failed: {' '.join(str(exc).split())}") from exc

    def _graphs(self) -> list[pyoxigraph.NamedNode]:
        """The store's named graphs but the metadata graph. Listed only for a query that
        names graphs (FROM or GRAPH): it reads every graph name in the store."""
        import pyoxigraph as ox

        names = self._store.named_graphs()
        return [g for g in names if isinstance(g, ox.NamedNode) and g != self._meta]


def out_of_reach(store: pyoxigraph.Store, query: Query, graph: pyoxigraph.NamedNode) -> bool:
    """Whether no GRAPH pattern of ``query`` can match in ``graph`` (a store's metadata
    graph), so that the store answers alike with that graph in view and the list of the
    others need not be passed: pyoxigraph runs ``GRAPH ?g`` over a given list graph by graph,
    which with thousands of documents costs more than the query (the named questions' GRAPH
    patterns all ask for document triples, which the metadata graph never holds)."""
    return all(_matches_nothing_in(store, graph, part.p) for part in _parts(query, "Graph"))


def _matches_nothing_in(store: pyoxigraph.Store, graph: object, pattern: object) -> bool:
    """True only when ``pattern`` (a part of rdflib's algebra) surely has no solution in
    ``graph``: a triple it requires is not there. Anything else, such as an aggregate (which
    answers even over nothing) or a property path, counts as a match."""
    if not isinstance(pattern, CompValue):
        return False
    if pattern.name == "BGP":
        return any(_absent_from(store, graph, triple) for triple in pattern.triples)
    if pattern.name == "Join":
        return any(_matches_nothing_in(store, graph, p) for p in (pattern.p1, pattern.p2))
    if pattern.name == "Union":
        return all(_matches_nothing_in(store, graph, p) for p in (pattern.p1, pattern.p2))
    if pattern.name in ("LeftJoin", "Minus"):
        return _matches_nothing_in(store, graph, pattern.p1)
    if pattern.name in _NARROWING_PARTS:
        return _matches_nothing_in(store, graph, pattern.p)
    return False


def _absent_from(store: pyoxigraph.Store, graph: object, triple: tuple[object, ...]) -> bool:
    from kg.store import to_oxigraph

    terms = [None if isinstance(term, Variable | BNode) else term for term in triple]
    if not all(term is None or isinstance(term, URIRef | Literal) for term in terms):
        return False  # a property path
    if isinstance(terms[0], Literal) or isinstance(terms[1], Literal):
        return True  # matches nothing anywhere
    try:
        pattern = [None if term is None else to_oxigraph(term) for term in terms]
    except ValueError:  # an IRI pyoxigraph refuses: pyoxigraph reports it
        return False
    return next(iter(store.quads_for_pattern(*pattern, graph)), None) is None


def named_queries(directory: Path | None = None) -> dict[str, NamedQuery]:
    """Every ``*.rq`` question in ``directory`` (the bundled ones by default), sorted by name."""
    folder = QUERY_DIR if directory is None else Path(directory)
    if not folder.is_dir():
        raise QueryError(f"expected a folder of .rq files, got {folder}")
    paths = sorted(folder.glob("*.rq"), key=lambda path: path.stem)
    return {query.name: query for query in map(_load_named_query_once, paths)}


def get_named_query(name: str) -> NamedQuery:
    queries = named_queries()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, queries, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UnknownQueryError(f"no named query {name!r}{hint} (known: {', '.join(queries)})")


def run_query(
    source: Dataset | GraphStore | pyoxigraph.Store,
    sparql: str,
    params: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run read-only SPARQL over a dataset or store, binding ``?name`` to each param as a
    string."""
    return _engine(source).select(sparql, params or {})


def run_named(
    source: Dataset | GraphStore | pyoxigraph.Store,
    name: str,
    params: Mapping[str, str] | None = None,
) -> QueryResult:
    query = get_named_query(name)
    given = dict(params or {})
    _check_params(query, given)
    return run_query(source, query.sparql, given)


def _engine(source: Dataset | GraphStore | pyoxigraph.Store) -> QueryEngine:
    import pyoxigraph as ox

    from kg.store import GraphStore

    if isinstance(source, GraphStore | ox.Store):
        return OxigraphEngine(source)
    return RdflibEngine(source)


def check_format(fmt: str) -> None:
    """Refuse an output format ``format_result`` does not know, before any query runs."""
    if fmt not in _FORMATTERS:
        raise QueryError(f"unknown output format {fmt!r}; valid formats: {', '.join(FORMATS)}")


def format_result(result: QueryResult, fmt: str) -> str:
    """Render a result as ``table`` (for people), ``csv`` (RFC 4180), ``tsv`` or ``json``."""
    check_format(fmt)
    return _FORMATTERS[fmt](result)


# --- named questions -------------------------------------------------------------------


def _load_named_query_once(path: Path) -> NamedQuery:
    """``_load_named_query``, read again only when the file changes (its modification time
    or size): every ``run_named`` looks its question up, and reading and checking the
    folder costs milliseconds."""
    stat = path.stat()
    return _load_named_query_version(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _load_named_query_version(path: Path, mtime_ns: int, size: int) -> NamedQuery:
    """The question in ``path``; ``mtime_ns`` and ``size`` only key the cache."""
    return _load_named_query(path)


def _load_named_query(path: Path) -> NamedQuery:
    if not _QUERY_NAME.fullmatch(path.stem):
        raise QueryError(f"{path.name}: a query name is lower-case words joined by hyphens")
    sparql = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    parameters: list[Parameter] = []
    for number, line in enumerate(sparql.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _HEADER_LINE.fullmatch(line)
        if match is None:
            raise _bad_header(path, number, "expected '# title|description|param: ...'")
        key, value = match.groups()
        if key == "param":
            parameter = _parse_parameter(path, number, value)
            if any(p.name == parameter.name for p in parameters):
                raise _bad_header(path, number, f"parameter {parameter.name!r} declared twice")
            parameters.append(parameter)
        elif key in fields:
            raise _bad_header(path, number, f"a second '# {key}:' line")
        else:
            fields[key] = value
    for key in ("title", "description"):
        if key not in fields:
            raise QueryError(f"{path.name}: header has no '# {key}:' line")
    for parameter in parameters:
        if not re.search(rf"[?$]{parameter.name}\b", sparql):
            raise QueryError(
                f"{path.name}: parameter {parameter.name!r} is declared "
                f"but ?{parameter.name} does not appear in the query"
            )
    return NamedQuery(
        name=path.stem,
        title=fields["title"],
        description=fields["description"],
        parameters=tuple(parameters),
        sparql=sparql,
        path=path,
    )


def _parse_parameter(path: Path, number: int, text: str) -> Parameter:
    match = _PARAM.fullmatch(text)
    if match is None:
        raise _bad_header(path, number, "expected '# param: name [(required)] = description'")
    name, required, description = match.groups()
    return Parameter(name=name, description=description, required=required is not None)


def _bad_header(path: Path, number: int, expected: str) -> QueryError:
    return QueryError(f"{path.name}: bad header line {number}: {expected}")


def _check_params(query: NamedQuery, given: Mapping[str, str]) -> None:
    declared = [parameter.name for parameter in query.parameters]
    for name in given:
        if name not in declared:
            valid = ", ".join(declared) if declared else "none"
            raise ParameterError(
                f"query {query.name!r} has no parameter {name!r}; valid parameters: {valid}"
            )
    for parameter in query.parameters:
        if parameter.required and parameter.name not in given:
            raise ParameterError(
                f"query {query.name!r} needs parameter {parameter.name!r}: {parameter.description}"
            )


# --- parsing and safety ----------------------------------------------------------------


MAX_QUERY_CHARS = 100_000
"""Longest query text any engine sees; the named questions are under 3,000 characters."""
MAX_QUERY_NESTING = 20
"""Deepest nesting of ``(``, ``{`` and ``[`` any engine sees. rdflib's recursive parser fails
at about 25 parentheses or 38 braces and pyoxigraph crashes the process at a few thousand;
the named questions nest at most 8 deep."""


def check_complexity(sparql: str) -> None:
    """Refuse a query too long or too deeply nested, before any parser or engine sees it."""
    if len(sparql) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query too large: {len(sparql):,} characters, the limit is {MAX_QUERY_CHARS:,}"
        )
    depth = deepest = 0
    for token in _sparql_tokens(sparql):
        if token.kind != "punct":
            continue
        if token.text in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif token.text in ")}]":
            depth = max(depth - 1, 0)
    if deepest > MAX_QUERY_NESTING:
        raise QueryError(
            f"query too complex: brackets nest {deepest} deep, the limit is {MAX_QUERY_NESTING}"
        )


@lru_cache(maxsize=256)
def _parse_read_only(sparql: str) -> Query:
    """Parse a query, refusing updates and SERVICE, with the parser's message on failure.

    Cached: rdflib's parser takes 40-250 ms on a named question, far longer than running
    it, and a prepared query is only read when it runs."""
    check_complexity(sparql)
    _ensure_parser_stack()
    try:
        query = prepareQuery(sparql)
    except RecursionError:
        raise QueryError("query too complex for the SPARQL parser") from None
    except ParseBaseException as exc:
        if _is_update(sparql):
            raise QueryError(
                "SPARQL Update is not allowed: kg runs only SELECT, ASK, CONSTRUCT "
                "and DESCRIBE queries"
            ) from None
        found = f", found {exc.found}" if exc.found else ""
        raise QueryError(
            f"malformed SPARQL: {exc.msg}{found} (line {exc.lineno}, column {exc.col})"
        ) from None
    except Exception as exc:  # rdflib raises bare Exception, e.g. for an unknown prefix
        raise QueryError(f"malformed SPARQL: {exc}") from exc
    if _contains(query.algebra, "ServiceGraphPattern"):
        raise QueryError("SERVICE is not allowed: kg queries only the local dataset")
    return query


_PARSER_FRAMES = 1500
"""Python frames rdflib's parser may need: about 40 a nesting level, times the nesting limit,
with room to spare."""


def _ensure_parser_stack() -> None:
    """Let the parser recurse ``_PARSER_FRAMES`` deeper than here, whatever the caller's own
    depth (the limit is only raised, never lowered: other threads may be deep too)."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    if sys.getrecursionlimit() < depth + _PARSER_FRAMES:
        sys.setrecursionlimit(depth + _PARSER_FRAMES)


def _refuse_unknown_graphs(query: Query, known: set[str]) -> None:
    """FROM may only pick graphs the dataset holds; anything else would be fetched."""
    for clause in query.algebra.datasetClause or ():
        keyword = "FROM" if "default" in clause else "FROM NAMED"
        iri = clause["default"] if "default" in clause else clause["named"]
        if str(iri) not in known:
            raise QueryError(
                f"{keyword} <{iri}> names no graph in the dataset; "
                "kg does not load graphs from the web or from files"
            )


def _is_update(sparql: str) -> bool:
    """True when the text parses as SPARQL Update with at least one operation."""
    try:
        update = parseUpdate(sparql)
    except ParseBaseException:
        return False
    return "request" in update


_NARROWING_PARTS = frozenset(
    ("Filter", "Extend", "Project", "Distinct", "Reduced", "Slice", "OrderBy", "ToMultiSet")
)
"""rdflib algebra parts whose solutions are some of (or extend) those of their part ``p``."""


def _parts(node: object, name: str) -> Iterator[CompValue]:
    """Every part of a parsed or translated query called ``name``, at any depth (inside
    expressions too: EXISTS holds a pattern)."""
    if isinstance(node, Query):
        node = node.algebra
    if isinstance(node, CompValue):
        if node.name == name:
            yield node
        for value in node.values():
            yield from _parts(value, name)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _parts(item, name)


def _contains(node: object, name: str) -> bool:
    """Whether a parsed or translated query holds a part called ``name``, at any depth."""
    if isinstance(node, CompValue):
        return node.name == name or any(_contains(value, name) for value in node.values())
    if isinstance(node, list | tuple):
        return any(_contains(item, name) for item in node)
    return False


@contextmanager
def _graph_loading_disabled() -> Iterator[None]:
    saved = rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    try:
        yield
    finally:
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = saved


# --- binding parameters in the query text (pyoxigraph) ---------------------------------

_SPARQL_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<skip>\s+|#[^\r\n]*)",
            r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
            r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
            r'|"(?:[^"\\\r\n]|\\.)*"'
            r"|'(?:[^'\\\r\n]|\\.)*')",
            r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
            r"(?P<var>[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+)",
            r"(?P<word>[A-Za-z_][\w.\-]*(?::[\w.\-:%]*)?|:[\w.\-:%]*)",
            r"(?P<punct>.)",
        ]
    ),
    re.DOTALL,
)
_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int

    def is_word(self, word: str) -> bool:
        return self.kind == "word" and self.text.upper() == word


def bind_values(sparql: str, bindings: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """``sparql`` with each ``?name`` of ``bindings`` bound to its value as a plain string
    wherever the WHERE clause uses it, as rdflib's initial bindings bind it; and the result
    columns to name back (renamed variable -> parameter).

    Inside the WHERE clause the variable is renamed apart (``?kg_param_name``), and the
    WHERE group and every group that uses it open with ``VALUES (?kg_param_name)
    { ("value") }``: the value is an escaped literal in a data block, so it cannot end the
    block or the query. Renaming keeps a projection ``(?label AS ?name)`` apart from the
    parameter, as in rdflib; a parameter projected as itself (``SELECT ?name``) is renamed
    there too and its column named back. Parameters not given stay unbound.
    """
    import pyoxigraph as ox

    tokens = _sparql_tokens(sparql)
    used = {token.text[1:] for token in tokens if token.kind == "var"}
    given = {name: value for name, value in sorted(bindings.items()) if name in used}
    closing = _matching_braces(tokens)
    where = _where_group(tokens, closing) if given else None
    if where is None:
        return sparql, {}
    first, last = where
    fresh = {name: _fresh_variable(name, used) for name in given}
    aliases = {
        tokens[i + 1].text[1:]
        for i in range(first - 1)
        if tokens[i].is_word("AS") and tokens[i + 1].kind == "var"
    }
    edits: list[tuple[int, int, str]] = []
    mentions: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        name = token.text[1:] if token.kind == "var" else ""
        if name in given and (first < i < last or name not in aliases):
            edits.append((token.start, token.end, f"?{fresh[name]}"))
            mentions.append((i, name))
    for i in _pattern_groups(tokens, first, last):
        names = sorted(given if i == first else {n for j, n in mentions if i < j < closing[i]})
        if names:
            variables = " ".join(f"?{fresh[name]}" for name in names)
            values = " ".join(str(ox.Literal(given[name])) for name in names)
            edits.append((tokens[i].end, tokens[i].end, f" VALUES ({variables}) {{ ({values}) }}"))
    text = sparql
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, {fresh[name]: name for name in given if name not in aliases}


def _sparql_tokens(sparql: str) -> list[_Token]:
    """Strings, IRIs, variables, words and punctuation; whitespace and comments dropped."""
    return [
        _Token(match.lastgroup or "", match.group(), *match.span())
        for match in _SPARQL_TOKEN.finditer(sparql)
        if match.lastgroup != "skip"
    ]


def _matching_braces(tokens: list[_Token]) -> dict[int, int]:
    """The index of each ``{`` token -> the index of its ``}``."""
    closing: dict[int, int] = {}
    stack: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind == "punct" and token.text == "{":
            stack.append(i)
        elif token.kind == "punct" and token.text == "}":
            if not stack:
                raise QueryError("malformed SPARQL: a '}' that closes nothing")
            closing[stack.pop()] = i
    if stack:
        raise QueryError("malformed SPARQL: a '{' that is never closed")
    return closing


def _where_group(tokens: list[_Token], closing: dict[int, int]) -> tuple[int, int] | None:
    """The token indices of the WHERE clause's braces (after a CONSTRUCT template)."""
    forms = (i for i, token in enumerate(tokens) if token.kind == "word")
    form = next((i for i in forms if tokens[i].text.upper() in _FORMS), None)
    if form is None:
        return None
    start = form + 1
    if tokens[form].is_word("CONSTRUCT") and start in closing:
        start = closing[start] + 1  # the template
    first = next((i for i in range(start, len(tokens)) if i in closing), None)
    return None if first is None else (first, closing[first])


def _pattern_groups(tokens: list[_Token], first: int, last: int) -> Iterator[int]:
    """The ``{`` of every group from ``first`` to ``last`` that may open with a VALUES
    block: neither a VALUES data block nor the braces around a sub-select."""
    data_blocks = set()
    for i in range(first, last):
        if tokens[i].is_word("VALUES"):
            data_blocks.add(next(j for j in range(i, last) if tokens[j].text == "{"))
    for i in range(first, last):
        opens = tokens[i].kind == "punct" and tokens[i].text == "{"
        if opens and i not in data_blocks and not tokens[i + 1].is_word("SELECT"):
            yield i


def _fresh_variable(name: str, used: set[str]) -> str:
    fresh = f"kg_param_{name}"
    while fresh in used:
        fresh += "_"
    return fresh


def _uses_graph(sparql: str) -> bool:
    return any(token.is_word("GRAPH") for token in _sparql_tokens(sparql))


@dataclass(frozen=True, slots=True)
class _BoundQuery:
    """A query as ``OxigraphEngine`` sends it: ``bind_values``'s text and columns to name
    back, and whether it says GRAPH (the store's graphs must then be listed)."""

    text: str
    columns: tuple[tuple[str, str], ...]
    uses_graph: bool


@lru_cache(maxsize=256)
def _bound_query(sparql: str, bindings: tuple[tuple[str, str], ...]) -> _BoundQuery:
    """Cached: tokenising a named question takes milliseconds, as long as some questions
    take to run; asked again with the same values, the text is the same."""
    text, columns = bind_values(sparql, dict(bindings))
    return _BoundQuery(text, tuple(columns.items()), _uses_graph(text))


# --- results ---------------------------------------------------------------------------


def _from_rdflib(result: Result) -> QueryResult:
    if result.type == "ASK":
        return QueryResult(("ask",), ((bool(result.askAnswer),),))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        triples = sorted(result.graph, key=lambda triple: tuple(term.n3() for term in triple))
        rows = tuple(tuple(_to_python(term) for term in triple) for triple in triples)
        return QueryResult(("subject", "predicate", "object"), rows)
    columns = tuple(str(variable) for variable in result.vars or ())
    return QueryResult(columns, tuple(tuple(_to_python(term) for term in row) for row in result))


def _from_oxigraph(answer: object, columns: Mapping[str, str]) -> QueryResult:
    """Convert pyoxigraph's answer as ``_from_rdflib`` converts rdflib's, so that both
    engines give the same values; ``columns`` renames variables back (``bind_values``)."""
    import pyoxigraph as ox

    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(("ask",), ((bool(answer),),))
    if isinstance(answer, ox.QueryTriples):
        found = {tuple(map(_rdflib_term, triple)) for triple in answer}
        triples = sorted(found, key=lambda triple: tuple(term.n3() for term in triple))
        rows = tuple(tuple(_to_python(term) for term in triple) for triple in triples)
        return QueryResult(("subject", "predicate", "object"), rows)
    assert isinstance(answer, ox.QuerySolutions)
    variables = [variable.value for variable in answer.variables]
    read = _memoised(_oxigraph_value)
    rows = tuple(tuple(map(read, row)) for row in answer)
    return QueryResult(tuple(columns.get(name, name) for name in variables), rows)


def _memoised(convert: Callable[[object], object]) -> Callable[[object], object]:
    """``convert`` run once per distinct term: an answer repeats its labels, documents,
    rules and dates row after row, and a lookup costs a fraction of a conversion."""
    seen: dict[object, object] = {}

    def read(term: object) -> object:
        value = seen.get(term, seen)
        if value is seen:
            value = seen[term] = convert(term)
        return value

    return read


_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = f"{_XSD}string"
_INTEGER_LEXICAL = re.compile(r"[+-]?[0-9]+")
_DECIMAL_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEAN_LEXICAL = {"true": True, "1": True, "false": False, "0": False}
_INTEGER_TYPES = {f"{_XSD}integer", *XSD_INTEGER_SUBTYPES}
_FLOAT_TYPES = {
    f"{_XSD}decimal": _DECIMAL_LEXICAL,
    f"{_XSD}double": _DOUBLE_LEXICAL,
    f"{_XSD}float": _DOUBLE_LEXICAL,
}
_XSD_BOOLEAN = f"{_XSD}boolean"


def _oxigraph_value(term: object) -> object:
    """``_to_python(_rdflib_term(term))`` without building an rdflib term per value, which
    took longer than running some questions: IRIs, blank nodes, strings and the lexical
    forms of numbers and booleans that rdflib reads the same way directly; any other
    literal (dates, ill-typed forms, other datatypes) through rdflib, once per literal."""
    import pyoxigraph as ox

    kind = type(term)
    if kind is ox.NamedNode:
        return term.value
    if kind is ox.Literal:
        if term.language is not None:
            return term.value
        lexical, datatype = term.value, term.datatype.value
        if datatype == _XSD_STRING:
            return lexical
        if datatype in _INTEGER_TYPES and _INTEGER_LEXICAL.fullmatch(lexical):
            return int(lexical)
        pattern = _FLOAT_TYPES.get(datatype)
        if pattern is not None and pattern.fullmatch(lexical):
            return float(lexical)
        if datatype == _XSD_BOOLEAN and lexical in _BOOLEAN_LEXICAL:
            return _BOOLEAN_LEXICAL[lexical]
        return _literal_value(lexical, datatype)
    if kind is ox.BlankNode:
        return f"_:{term.value}"
    return None if term is None else _to_python(_rdflib_term(term))  # unbound, RDF-star


@lru_cache(maxsize=4096)
def _literal_value(lexical: str, datatype: str) -> object:
    """A typed literal's value as rdflib reads it (dates, ill-typed forms, other types)."""
    return _to_python(Literal(lexical, datatype=URIRef(datatype), normalize=True))


def _rdflib_term(term: object) -> object:
    import pyoxigraph as ox

    from kg.store import to_rdflib

    if isinstance(term, ox.Triple):  # RDF-star: shown as its N-Triples text
        return Literal(str(term))
    return to_rdflib(term)


def _to_python(term: object) -> object:
    """The plain value of an RDF term; anything without a number or boolean value stays text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, bool | int):
            return value
        if isinstance(value, Decimal | float):
            return float(value)
        return str(term)  # strings, dates of any precision, ill-typed literals: lexical form
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


# --- formats ---------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _format_table(result: QueryResult) -> str:
    def shorten(text: str) -> str:
        text = _one_line(text)
        return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"

    cells = [[shorten(_cell(value)) for value in row] for row in result.rows]
    widths = [max(map(len, column)) for column in zip(result.columns, *cells, strict=True)]
    numeric = [
        [isinstance(value, int | float) and not isinstance(value, bool) for value in row]
        for row in result.rows
    ]
    lines = [
        "  ".join(name.ljust(width) for name, width in zip(result.columns, widths, strict=True)),
        "  ".join("-" * width for width in widths),
    ]
    for row, flags in zip(cells, numeric, strict=True):
        parts = zip(row, widths, flags, strict=True)
        lines.append("  ".join(t.rjust(w) if n else t.ljust(w) for t, w, n in parts))
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _format_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the default dialect is RFC 4180: CRLF, minimal quoting
    writer.writerow(result.columns)
    writer.writerows([_cell(value) for value in row] for row in result.rows)
    return buffer.getvalue()


def _format_tsv(result: QueryResult) -> str:
    """Tab-separated values cannot escape tabs or line breaks, so those become spaces."""
    lines = ["\t".join(result.columns)]
    lines.extend(
        "\t".join(_TSV_BREAKS.sub(" ", _cell(value)) for value in row) for row in result.rows
    )
    return "\n".join(lines) + "\n"


def _format_json(result: QueryResult) -> str:
    document = {"columns": list(result.columns), "rows": result.as_dicts()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_FORMATTERS: dict[str, Callable[[QueryResult], str]] = {
    "table": _format_table,
    "csv": _format_csv,
    "tsv": _format_tsv,
    "json": _format_json,
}

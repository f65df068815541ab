"""Running one read-only query for the endpoint, keeping the engine's RDF terms.

``kg.query.run_query`` answers in plain Python values, which is right for tables but loses
what the SPARQL results formats must carry (datatypes, language tags, blank nodes). The
endpoint therefore evaluates through a small backend of its own, after the same pre-checks
as ``kg.query`` (``_parse_read_only``: syntax, no Update, no SERVICE;
``_refuse_unknown_graphs``: FROM / FROM NAMED only naming graphs the source holds), plus the
same check for the protocol's ``default-graph-uri`` / ``named-graph-uri``. Terms come back as
rdflib terms whatever the engine, so one set of serialisers serves both.

Results are read row by row, at most ``limit + 1`` of them (the extra one only tells that the
cap cut the result), and a ``cancel`` event is checked between rows so that a query whose
client has given up stops at its next row. An engine that computes everything before the
first row (ORDER BY, aggregates, CONSTRUCT in rdflib) cannot be stopped that way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier

from kg.errors import QueryError
from kg.query import _parse_read_only, _refuse_unknown_graphs, out_of_reach

FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


T = TypeVar("T")


class QueryCancelled(Exception):
    """The caller stopped waiting (time limit); the worker gives up at its next row."""


@dataclass(frozen=True, slots=True)
class GraphSelection:
    """The protocol's ``default-graph-uri`` / ``named-graph-uri``: the RDF dataset to query.

    Given at all, it replaces the whole dataset, as the protocol says: the default graph is the
    merge of ``default`` (empty when none is listed) and ``GRAPH`` sees only ``named``.
    """

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query that passed the pre-checks: its text, its form and rdflib's parse of it."""

    sparql: str
    form: str
    query: Query

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


@dataclass(slots=True)
class RawResult:
    """An answer in RDF terms: rows for SELECT, a boolean for ASK, triples otherwise."""

    form: str
    variables: tuple[str, ...] = ()
    rows: list[tuple[Identifier | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Identifier, Identifier, Identifier]] = field(default_factory=list)
    truncated: bool = False

    @property
    def size(self) -> int:
        return len(self.triples) if self.form in ("CONSTRUCT", "DESCRIBE") else len(self.rows)


class Backend(Protocol):
    """Evaluates prepared queries over one source."""

    def graph_names(self) -> set[str]: ...

    def execute(
        self,
        prepared: Prepared,
        selection: GraphSelection | None,
        limit: int,
        cancel: threading.Event,
    ) -> RawResult: ...


def prepare(sparql: str, graph_names: set[str]) -> Prepared:
    """Parse and check a query before anything is evaluated; ``QueryError`` says why not."""
    query = _parse_read_only(sparql)
    _refuse_unknown_graphs(query, graph_names)
    return Prepared(sparql=sparql, form=FORMS[query.algebra.name], query=query)


def check_selection(selection: GraphSelection, graph_names: set[str]) -> None:
    """The protocol's graph IRIs may only name graphs the source holds, like FROM."""
    for iri in selection.default:
        _refuse_unknown("default-graph-uri", iri, graph_names)
    for iri in selection.named:
        _refuse_unknown("named-graph-uri", iri, graph_names)


def _refuse_unknown(keyword: str, iri: str, graph_names: set[str]) -> None:
    if iri not in graph_names:
        raise QueryError(
            f"{keyword} <{iri}> names no graph in the dataset; "
            "kg does not load graphs from the web or from files"
        )


class RdflibBackend:
    """An in-memory rdflib ``Dataset`` whose default graph is the union of its named graphs."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset

    def graph_names(self) -> set[str]:
        return {str(graph.identifier) for graph in self._dataset.graphs()}

    def execute(
        self,
        prepared: Prepared,
        selection: GraphSelection | None,
        limit: int,
        cancel: threading.Event,
    ) -> RawResult:
        query = prepared.query
        if prepared.form == "CONSTRUCT" and query.algebra.get("template") is None:
            raise QueryError(
                "rdflib does not evaluate the short form CONSTRUCT WHERE { ... }; "
                "write CONSTRUCT { ... } WHERE { ... } (a kg store folder takes both)"
            )
        if selection is not None:
            # the protocol's dataset replaces the query's own FROM / FROM NAMED clauses, on a
            # copy: kg.query caches parsed queries, so the parse must stay as it was
            algebra = query.algebra.clone()
            algebra["datasetClause"] = [
                *(CompValue("DatasetClause", default=URIRef(iri)) for iri in selection.default),
                *(CompValue("DatasetClause", named=URIRef(iri)) for iri in selection.named),
            ]
            query = Query(query.prologue, algebra)
        try:
            result = self._dataset.query(query)
            if result.type == "ASK":
                return RawResult(form="ASK", boolean=bool(result.askAnswer))
            if result.type in ("CONSTRUCT", "DESCRIBE"):
                triples, truncated = _take(iter(result.graph), limit, cancel)
                return RawResult(form=prepared.form, triples=triples, truncated=truncated)
            variables = tuple(str(variable) for variable in result.vars or ())
            rows, truncated = _take((tuple(row) for row in result), limit, cancel)
            return RawResult(form="SELECT", variables=variables, rows=rows, truncated=truncated)
        except QueryCancelled:
            raise
        except Exception as exc:  # rdflib raises bare Exception for evaluation failures
            raise QueryError(f"SPARQL query failed: {exc}") from exc


class OxigraphBackend:
    """A pyoxigraph ``Store``.

    A kg store (``kg.store.GraphStore``) keeps the union of its document graphs in the default
    graph (``default_is_union``) and a bookkeeping graph that queries must not see
    (``hidden``): ``GRAPH ?g`` then ranges over the other named graphs only, and FROM or the
    protocol cannot name a hidden one. A plain store is read with its default graph as the
    union of its named graphs.
    """

    def __init__(
        self,
        store: ox.Store,
        *,
        default_is_union: bool = False,
        hidden: frozenset[str] = frozenset(),
    ) -> None:
        self._store = store
        self._default_is_union = default_is_union
        self._hidden = hidden
        self._visible = sorted(
            graph.value
            for graph in store.named_graphs()
            if isinstance(graph, ox.NamedNode) and graph.value not in hidden
        )
        self._hidden_nodes = [ox.NamedNode(iri) for iri in sorted(hidden)]
        self._visible_nodes: list[ox.NamedNode] | None = None  # made once, when first needed

    def graph_names(self) -> set[str]:
        return set(self._visible)

    def _dataset_options(
        self, prepared: Prepared, selection: GraphSelection | None
    ) -> dict[str, object]:
        if selection is not None:
            return {
                "default_graph": [ox.NamedNode(iri) for iri in selection.default],
                "named_graphs": [ox.NamedNode(iri) for iri in selection.named],
            }
        if prepared.query.algebra.datasetClause:
            return {}  # the query's own FROM / FROM NAMED, checked to name visible graphs only
        options: dict[str, object] = {}
        if self._hides_graphs_from(prepared):
            if self._visible_nodes is None:
                self._visible_nodes = [ox.NamedNode(iri) for iri in self._visible]
            options["named_graphs"] = self._visible_nodes
        if not self._default_is_union:
            options["use_default_graph_as_union"] = True
        return options

    def _hides_graphs_from(self, prepared: Prepared) -> bool:
        """Whether the query needs the list of visible graphs to keep the hidden ones out of
        its GRAPH patterns. A query without GRAPH reads no named graph (``out_of_reach``
        finds no GRAPH pattern in the parse it already has); and the list costs a query time
        in proportion to the store's documents (pyoxigraph runs ``GRAPH ?g`` over it graph by
        graph): passed to every query, it made a cheap query on a store of 50,000 documents
        take 0.8 s."""
        if not self._hidden:
            return False
        store, query = self._store, prepared.query
        return not all(out_of_reach(store, query, node) for node in self._hidden_nodes)

    def execute(
        self,
        prepared: Prepared,
        selection: GraphSelection | None,
        limit: int,
        cancel: threading.Event,
    ) -> RawResult:
        options = self._dataset_options(prepared, selection)
        try:
            answer = self._store.query(prepared.sparql, **options)
            if isinstance(answer, ox.QueryBoolean):
                return RawResult(form="ASK", boolean=bool(answer))
            if isinstance(answer, ox.QueryTriples):
                triples_in = (tuple(map(_from_oxigraph, triple)) for triple in answer)
                triples, truncated = _take(triples_in, limit, cancel)
                return RawResult(form=prepared.form, triples=triples, truncated=truncated)
            variables = tuple(variable.value for variable in answer.variables)
            rows_in = (
                tuple(_from_oxigraph(solution[name]) for name in variables) for solution in answer
            )
            rows, truncated = _take(rows_in, limit, cancel)
            return RawResult(form="SELECT", variables=variables, rows=rows, truncated=truncated)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(f"SPARQL query failed: {exc}") from exc


def _take(items: Iterable[T], limit: int, cancel: threading.Event) -> tuple[list[T], bool]:
    """At most ``limit`` items and whether there were more, stopping when cancelled."""
    taken: list[T] = []
    iterator: Iterator[T] = iter(items)
    for item in iterator:
        if cancel.is_set():
            raise QueryCancelled
        if len(taken) == limit:
            return taken, True
        taken.append(item)
    return taken, False


def _from_oxigraph(term: object) -> Identifier | None:
    """The rdflib term for a pyoxigraph one, lexical forms as the store holds them; an
    RDF-star triple term is shown as text."""
    from kg.store import to_rdflib

    if isinstance(term, ox.Triple):
        return Literal(str(term))
    return to_rdflib(term, keep_lexical=True)

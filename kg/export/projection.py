"""kg's RDF as a networkx graph a researcher can look at: the entity graph or the RDF graph.

The graph is read only through SPARQL (``kg.query.run_query``, the ``.rq`` files beside this
module), so the same code reads a graph file and an on-disk store.

**Entity projection** (the default). Nodes are the entities (countries, organisations of every
kind, people, treaties, operations); edges are the facts between two of them, one edge per
(subject, predicate, object) however many documents report it, read from the qualified fact
nodes so that their qualifiers and provenance fold into the edge:

==============================  ============================================================
fact                            edge (label; attributes beyond documents and sources)
==============================  ============================================================
membership                      member -memberOf-> organisation; ``since``, ``until``
treaty action                   agent -adopted/signed/ratified/acceded-> treaty; ``date``
operation report                operation -coordinatedBy-> agency, operation -participant->
                                party; ``start``, ``end``, ``arrests``, ``participant_count``
position                        person -holds-> organisation (the post folded away); ``role``
==============================  ============================================================

Facts about one entity become node attributes: a position whose organisation the text does not
name adds its title to the person's ``roles`` (every title does), a statement counts in the
speaker's ``statements``, a member count sets the organisation's ``member_count`` (the largest
reported; ``member_counts`` lists them when sources disagree), an operation report sets the
operation's ``start``, ``end``, ``arrests`` and ``participant_count``. When documents disagree
an edge or node keeps the earliest ``since``/``start``/``date``, the latest ``until``/``end``,
the largest count and every role.

**RDF projection.** Every IRI and literal is a node (a literal's id is ``literal:`` and 16 hex
digits of a hash of its text, datatype and language, so it is stable), every triple an edge
labelled by the predicate's prefixed name; ``documents`` counts the named graphs that hold the
triple, and ``weight`` is that count but at least 1. A SPARQL CONSTRUCT exports its result
this way.

Every value is a string, an int, a float or a bool: lists are joined with `` | `` and missing
values leave their key out, because GraphML, GEXF and CSV cannot carry anything else. Labels
and other text are cleaned by ``kg.text.clean_label`` (no control, bidi or zero-width
characters). Each node also gets ``color`` (by type, from ``kg/data/export/colours.tsv``),
``degree``, ``pagerank`` (weighted by ``weight``), ``community`` (Louvain with a fixed seed,
numbered from the largest) and ``size`` (PageRank, or degree, scaled to 10..50).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import networkx as nx

from kg.errors import InputError, QueryError, RuleError
from kg.export.common import period
from kg.query import run_query
from kg.text import clean_label
from kg.vocab import KG, ORG, PREFIXES

QUERY_DIR = Path(__file__).parent / "queries"
COLOURS_PATH = Path(__file__).resolve().parent.parent / "data" / "export" / "colours.tsv"

PROJECTIONS = ("entity", "rdf")
SIZE_MEASURES = ("pagerank", "degree")
ENTITY_TYPES = (
    "Country",
    "InternationalOrganisation",
    "LawEnforcementAgency",
    "LegislativeBody",
    "Organisation",
    "Person",
    "Treaty",
    "Operation",
)
EDGE_PREDICATES: dict[str, str] = {
    "memberOf": str(ORG.memberOf),
    "adopted": str(KG.adopted),
    "signed": str(KG.signed),
    "ratified": str(KG.ratified),
    "acceded": str(KG.acceded),
    "coordinatedBy": str(KG.coordinatedBy),
    "participant": str(KG.participant),
    "holds": str(ORG.holds),
}
"""Entity-projection edge label -> predicate IRI (``holds`` links a person to the organisation
of the post, where RDF has person ``org:holds`` post ``org:postIn`` organisation)."""

TREATY_ACTIONS = ("adopted", "signed", "ratified", "acceded")
_ENTITY_EDGE_LABELS = {iri: label for label, iri in EDGE_PREDICATES.items()}

COMMUNITY_SEED = 42
MIN_SIZE, MAX_SIZE = 10.0, 50.0
LITERAL_LABEL_LENGTH = 80
FALLBACK_TYPE = "Resource"

_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


# --- public --------------------------------------------------------------------------


def to_networkx(
    source: object,
    *,
    projection: str = "entity",
    types: Iterable[str] | None = None,
    predicates: Iterable[str] | None = None,
    documents: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    construct: str | None = None,
    size_by: str = "pagerank",
    name: str | None = None,
) -> nx.MultiDiGraph:
    """The graph of ``source`` (anything ``kg.query.run_query`` reads) as a MultiDiGraph.

    Subsets: ``types`` keeps entities of those kg classes (local names: ``Country``),
    ``predicates`` keeps edges with those labels or predicate IRIs (and the nodes they join),
    ``documents`` keeps what those document ids report, ``since``/``until`` (ISO year, month
    or day) keep facts whose dates overlap the range, a fact without dates of its own being
    dated by its document. ``construct`` is a CONSTRUCT query whose result is exported as the
    rdf projection; it cannot be combined with the other subsets.
    """
    subset = check_options(
        projection=projection,
        types=types,
        predicates=predicates,
        documents=documents,
        since=since,
        until=until,
        construct=construct,
        size_by=size_by,
    )
    if construct is not None:
        graph = _construct_graph(source, construct)
    elif projection == "rdf":
        graph = _rdf_graph(source, subset)
    else:
        graph = _entity_graph(source, subset)
    graph.graph["name"] = name or f"kg {graph.graph['projection']} graph"
    _add_measures(graph, size_by)
    return graph


def check_options(
    *,
    projection: str = "entity",
    types: Iterable[str] | None = None,
    predicates: Iterable[str] | None = None,
    documents: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    construct: str | None = None,
    size_by: str = "pagerank",
) -> Subset:
    """The subset ``to_networkx`` options ask for, or an ``InputError`` saying what is wrong
    with them; callers check before they open a large graph."""
    if projection not in PROJECTIONS:
        raise InputError(f"unknown projection {projection!r}; expected one of: entity, rdf")
    if size_by not in SIZE_MEASURES:
        raise InputError(f"unknown size measure {size_by!r}; expected one of: pagerank, degree")
    subset = Subset.parse(types, predicates, documents, since, until)
    if construct is not None and subset.active:
        raise InputError(
            "a CONSTRUCT query chooses the subset itself; it cannot be combined with "
            "types, predicates, documents, since or until"
        )
    if construct is None and projection == "rdf" and subset.span is not None:
        raise InputError("since and until apply to the entity projection only")
    if projection == "entity" and construct is None:
        _check_known("type", subset.types, ENTITY_TYPES)
        _entity_predicates(subset.predicates)
    return subset


@cache
def colours() -> dict[str, str]:
    """Type -> ``#rrggbb`` from the data table, in its order (which is also precedence)."""
    table: dict[str, str] = {}
    lines = COLOURS_PATH.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*)\t(#[0-9a-f]{6})", line)
        if match is None:
            raise RuleError(f"{COLOURS_PATH.name}:{number}: expected 'Type<TAB>#rrggbb'")
        table[match[1]] = match[2]
    if FALLBACK_TYPE not in table:
        raise RuleError(f"{COLOURS_PATH.name}: no colour for {FALLBACK_TYPE!r}")
    return table


def colour_of(node_type: str) -> str:
    table = colours()
    return table.get(node_type, table[FALLBACK_TYPE])


# --- subsets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subset:
    """The part of the graph a researcher asked for; empty sets mean everything."""

    types: frozenset[str] = frozenset()
    predicates: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    span: tuple[date | None, date | None] | None = None

    @classmethod
    def parse(
        cls,
        types: Iterable[str] | None,
        predicates: Iterable[str] | None,
        documents: Iterable[str] | None,
        since: str | None,
        until: str | None,
    ) -> Subset:
        start = _bound(since, "since", 0)
        end = _bound(until, "until", 1)
        if start and end and start > end:
            raise InputError(f"since {since} is after until {until}")
        span = None if start is None and end is None else (start, end)
        return cls(
            frozenset(types or ()), frozenset(predicates or ()), frozenset(documents or ()), span
        )

    @property
    def active(self) -> bool:
        return bool(self.types or self.predicates or self.documents or self.span)

    @property
    def selects_facts(self) -> bool:
        """Whether only some facts count, so only the entities they name are nodes."""
        return bool(self.predicates or self.documents or self.span)

    def overlaps(self, span: tuple[date | None, date | None] | None) -> bool:
        if self.span is None:
            return True
        if span is None:
            return False
        (low, high), (start, end) = span, self.span
        return (low is None or end is None or low <= end) and (
            high is None or start is None or high >= start
        )


def _bound(text: str | None, name: str, end: int) -> date | None:
    if text is None:
        return None
    bounds = period(text)
    if bounds is None:
        raise InputError(f"{name} expects a date YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    return bounds[end]


def _check_known(kind: str, asked: Iterable[str], known: Iterable[str]) -> None:
    valid = sorted(set(known))
    unknown = sorted(set(asked) - set(valid))
    if unknown:
        shown = ", ".join(valid[:20]) + (", ..." if len(valid) > 20 else "")
        raise InputError(f"unknown {kind} {', '.join(map(repr, unknown))}; known: {shown}")


# --- the entity projection -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """What one fact node contributes: an edge when ``target`` is set, else attributes of
    ``source``; with the documents it was read from and the time it covers."""

    source: str
    predicate: str | None
    target: str | None
    attributes: tuple[tuple[str, object], ...]
    documents: frozenset[str]
    span: tuple[date | None, date | None] | None


@dataclass(slots=True)
class _Provenance:
    documents: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    dates: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def claim(
        self,
        fact: str,
        source: str,
        target: str | None = None,
        predicate: str | None = None,
        span: tuple[date | None, date | None] | None = None,
        **attributes: object,
    ) -> Claim:
        """A claim of ``fact``; ``span`` None means undated, so the documents' dates count."""
        kept = tuple(sorted((k, v) for k, v in attributes.items() if v is not None))
        own = span if span is not None and span != (None, None) else self._document_span(fact)
        docs = frozenset(self.documents.get(fact, ()))
        return Claim(source, predicate, target, kept, docs, own)

    def _document_span(self, fact: str) -> tuple[date, date] | None:
        bounds = [b for b in map(period, self.dates.get(fact, ())) if b is not None]
        if not bounds:
            return None
        return min(b[0] for b in bounds), max(b[1] for b in bounds)


def _entity_graph(source: object, subset: Subset) -> nx.MultiDiGraph:
    wanted_predicates = _entity_predicates(subset.predicates)
    entities = _entities(source)
    provenance = _provenance(source)
    _check_known("document", subset.documents, _all_documents(provenance))
    claims = [
        claim
        for claim in _claims(source, provenance)
        if subset.overlaps(claim.span)
        and (not subset.documents or claim.documents & subset.documents)
    ]
    if wanted_predicates:
        claims = [c for c in claims if c.target is not None and c.predicate in wanted_predicates]
    node_ids = set() if subset.selects_facts else set(entities)
    for claim in claims:
        node_ids.update(x for x in (claim.source, claim.target) if x is not None)
    if subset.types:
        node_ids = {n for n in node_ids if _node_type(entities.get(n)) in subset.types}
    graph = nx.MultiDiGraph(projection="entity")
    for node in sorted(node_ids):
        graph.add_node(node, **_entity_attributes(node, entities.get(node)))
    _fold_claims(graph, claims)
    return graph


def _entity_predicates(asked: frozenset[str]) -> set[str]:
    _check_known("predicate", asked, [*EDGE_PREDICATES, *EDGE_PREDICATES.values()])
    return {EDGE_PREDICATES.get(p, p) for p in asked}


@dataclass(slots=True)
class _Entity:
    classes: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    details: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _entities(source: object) -> dict[str, _Entity]:
    entities: dict[str, _Entity] = defaultdict(_Entity)
    for row in _select(source, "entities"):
        entity = entities[row["entity"]]
        entity.classes.add(_local_name(row["class"]))
        for key, bag in (("label", entity.labels), ("name", entity.names)):
            if row[key] is not None:
                bag.add(str(row[key]))
    for row in _select(source, "entity-details"):
        if row["entity"] in entities:
            entities[row["entity"]].details[row["key"]].add(str(row["value"]))
    return dict(entities)


def _node_type(entity: _Entity | None) -> str:
    if entity is None:
        return FALLBACK_TYPE
    return next((t for t in ENTITY_TYPES if t in entity.classes), FALLBACK_TYPE)


def _entity_attributes(node: str, entity: _Entity | None) -> dict[str, object]:
    """Label, type, IRI and names of one entity (the measures come later)."""
    attributes: dict[str, object] = {"label": _label(node, entity), "type": _node_type(entity)}
    attributes["iri"] = node
    if entity is not None:
        for key, values in sorted(entity.details.items()):
            cleaned = sorted({clean_label(v) for v in values} - {attributes["label"], ""})
            if cleaned:
                attributes[key] = " | ".join(cleaned)
    attributes["documents"] = 0
    attributes["color"] = colour_of(str(attributes["type"]))
    return attributes


def _label(node: str, entity: _Entity | None) -> str:
    candidates = sorted(entity.labels) + sorted(entity.names) if entity else []
    for candidate in [*candidates, _local_name(node), node]:
        label = clean_label(candidate)
        if label:
            return label
    return node


def _provenance(source: object) -> _Provenance:
    provenance = _Provenance()
    for row in _select(source, "fact-documents"):
        provenance.documents[row["fact"]].add(clean_label(str(row["document"])))
        if row["date"] is not None:
            provenance.dates[row["fact"]].append(str(row["date"]))
    return provenance


def _all_documents(provenance: _Provenance) -> set[str]:
    return set().union(*provenance.documents.values())


def _claims(source: object, provenance: _Provenance) -> list[Claim]:
    claims: list[Claim] = []
    for query, read in _FAMILIES:
        for row in _select(source, query):
            claims.extend(read(row, provenance))
    return claims


def _membership(row: dict[str, object], p: _Provenance) -> list[Claim]:
    since, until = _text(row["since"]), _text(row["until"])
    span = (_first_day(since), _last_day(until))
    member, organisation = str(row["member"]), str(row["organisation"])
    return [
        p.claim(
            str(row["fact"]),
            member,
            organisation,
            EDGE_PREDICATES["memberOf"],
            span,
            since=since,
            until=until,
        )
    ]


def _treaty_action(row: dict[str, object], p: _Provenance) -> list[Claim]:
    action = str(row["action"])
    if action not in TREATY_ACTIONS:
        return []
    predicate = EDGE_PREDICATES[action]
    when = _text(row["date"])
    span = (_first_day(when), _last_day(when))
    agent, treaty = str(row["agent"]), str(row["treaty"])
    return [p.claim(str(row["fact"]), agent, treaty, predicate, span, date=when)]


def _operation(row: dict[str, object], p: _Provenance) -> list[Claim]:
    start, end = _text(row["start"]), _text(row["end"])
    qualifiers = {
        "start": start,
        "end": end,
        "arrests": _int(row["arrests"]),
        "participant_count": _int(row["participant_count"]),
    }
    span = (_first_day(start), _last_day(end))
    fact, operation = str(row["fact"]), str(row["operation"])
    claims = [p.claim(fact, operation, span=span, **qualifiers)]
    if row["party"] is not None:
        predicate = EDGE_PREDICATES[str(row["role"])]
        claims.append(p.claim(fact, operation, str(row["party"]), predicate, span, **qualifiers))
    return claims


def _position(row: dict[str, object], p: _Provenance) -> list[Claim]:
    fact, person, role = str(row["fact"]), str(row["person"]), clean_label(str(row["role"]))
    claims = [p.claim(fact, person, roles=role)]
    if row["organisation"] is not None:
        organisation = str(row["organisation"])
        claims.append(p.claim(fact, person, organisation, EDGE_PREDICATES["holds"], role=role))
    return claims


def _statement(row: dict[str, object], p: _Provenance) -> list[Claim]:
    return [p.claim(str(row["fact"]), str(row["speaker"]), statements=1)]


def _member_count(row: dict[str, object], p: _Provenance) -> list[Claim]:
    count = _int(row["count"])
    return [p.claim(str(row["fact"]), str(row["organisation"]), member_count=count)]


_FAMILIES: tuple[tuple[str, Callable[[dict[str, object], _Provenance], list[Claim]]], ...] = (
    ("memberships", _membership),
    ("treaty-actions", _treaty_action),
    ("operations", _operation),
    ("positions", _position),
    ("statements", _statement),
    ("member-counts", _member_count),
)


def _fold_claims(graph: nx.MultiDiGraph, claims: Sequence[Claim]) -> None:
    """Aggregate the claims into one edge per (subject, predicate, object) and into node
    attributes; count each node's documents."""
    edges: dict[tuple[str, str, str], list[Claim]] = defaultdict(list)
    node_claims: dict[str, list[Claim]] = defaultdict(list)
    node_documents: dict[str, set[str]] = defaultdict(set)
    for claim in claims:
        ends = [claim.source] if claim.target is None else [claim.source, claim.target]
        for end in ends:
            if end in graph:
                node_documents[end] |= claim.documents
        if not all(end in graph for end in ends):
            continue
        if claim.target is None or claim.predicate is None:
            node_claims[claim.source].append(claim)
        else:
            edges[(claim.source, claim.predicate, claim.target)].append(claim)
    for node, docs in node_documents.items():
        graph.nodes[node]["documents"] = len(docs)
    for node, found in node_claims.items():
        graph.nodes[node].update(_merge(found))
    for index, ((source, predicate, target), found) in enumerate(sorted(edges.items())):
        docs = sorted(set().union(*(c.documents for c in found)))
        attributes: dict[str, object] = {
            "label": _ENTITY_EDGE_LABELS[predicate],
            "predicate": predicate,
            "documents": len(docs),
        }
        if docs:
            attributes["sources"] = " | ".join(docs)
        attributes["weight"] = len(docs)
        attributes.update(_merge(found))
        graph.add_edge(source, target, key=f"e{index}", **attributes)


def _merge(claims: Sequence[Claim]) -> dict[str, object]:
    """One value per attribute from several claims, by the rules in the module docstring."""
    values: dict[str, list[object]] = defaultdict(list)
    for claim in claims:
        for key, value in claim.attributes:
            values[key].append(value)
    merged: dict[str, object] = {}
    for key, found in sorted(values.items()):
        rule = _MERGE_RULES.get(key, _joined)
        merged[key] = rule(found)
    counts = sorted({v for v in values.get("member_count", ()) if isinstance(v, int)})
    if len(counts) > 1:
        merged["member_counts"] = " | ".join(map(str, counts))
    return merged


def _earliest(values: list[object]) -> object:
    return min(values, key=lambda v: (_first_day(str(v)) or date.max, str(v)))


def _latest(values: list[object]) -> object:
    return max(values, key=lambda v: (_last_day(str(v)) or date.min, str(v)))


def _joined(values: list[object]) -> str:
    return " | ".join(sorted({str(v) for v in values}))


_MERGE_RULES: dict[str, Callable[[list[object]], object]] = {
    "since": _earliest,
    "start": _earliest,
    "date": _earliest,
    "until": _latest,
    "end": _latest,
    "arrests": max,
    "participant_count": max,
    "member_count": max,
    "statements": sum,
}


# --- the rdf projection --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One end of a triple: an IRI, a blank node or a literal (text, datatype, language)."""

    kind: str  # "iri", "blank" or "literal"
    text: str
    datatype: str = ""
    language: str = ""

    @property
    def node_id(self) -> str:
        if self.kind != "literal":
            return self.text
        key = "\x1f".join((self.text, self.datatype, self.language)).encode("utf-8", "replace")
        return "literal:" + hashlib.sha256(key).hexdigest()[:16]


Triple = tuple[Term, str, Term]


def _rdf_graph(source: object, subset: Subset) -> nx.MultiDiGraph:
    graphs = {
        str(row["g"]): clean_label(str(row["document"]))
        for row in _select(source, "graph-documents")
    }
    _check_known("document", subset.documents, graphs.values())
    sources: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for row in _select(source, "graph-triples"):
        name = str(row["g"])
        sources[_row_key(row)].add(graphs.get(name) or clean_label(name))
    triples: list[Triple] = []
    documents: dict[Triple, set[str]] = {}
    for row in _select(source, "triples"):
        triple = (_term(row["s"]), str(row["p"]), _term(row["o"], row["datatype"], row["language"]))
        triples.append(triple)
        documents[triple] = sources.get(_row_key(row), set())
    if subset.documents:
        triples = [t for t in triples if documents[t] & subset.documents]
    if subset.predicates:
        triples = [t for t in triples if _predicate_matches(t[1], subset.predicates)]
    return _triples_graph(source, triples, documents, subset.types)


def _construct_graph(source: object, construct: str) -> nx.MultiDiGraph:
    result = run_query(source, construct)
    if result.columns != ("subject", "predicate", "object"):
        raise QueryError("expected a CONSTRUCT (or DESCRIBE) query, got one that selects rows")
    iris = {str(row["iri"]) for row in _select(source, "iris")}
    iris.update(str(row[0]) for row in result.rows)
    triples = [
        (_guess_term(s, iris, subject=True), str(p), _guess_term(o, iris))
        for s, p, o in result.rows
    ]
    return _triples_graph(source, triples, {}, frozenset())


def _triples_graph(
    source: object,
    triples: Sequence[Triple],
    sources: dict[Triple, set[str]],
    types: frozenset[str],
) -> nx.MultiDiGraph:
    classes: dict[str, set[str]] = defaultdict(set)
    for row in _select(source, "classes"):
        if not str(row["class"]).startswith("_:"):
            classes[str(row["s"])].add(_local_name(str(row["class"])))
    if types:
        triples = [t for t in triples if _resource_type(t[0], classes) in types]
    labels = _resource_labels(source)
    graph = nx.MultiDiGraph(projection="rdf")
    for term in sorted({end for s, _, o in triples for end in (s, o)}, key=lambda t: t.node_id):
        graph.add_node(term.node_id, **_term_attributes(term, classes, labels))
    documents: dict[str, set[str]] = defaultdict(set)
    unique = sorted(set(triples), key=lambda t: (t[0].node_id, t[1], t[2].node_id))
    for index, triple in enumerate(unique):
        subject, predicate, obj = triple
        docs = sorted(sources.get(triple, ()))
        documents[subject.node_id].update(docs)
        documents[obj.node_id].update(docs)
        attributes: dict[str, object] = {
            "label": _prefixed(predicate),
            "predicate": predicate,
            "documents": len(docs),
        }
        if docs:
            attributes["sources"] = " | ".join(docs)
        attributes["weight"] = max(1, len(docs))
        graph.add_edge(subject.node_id, obj.node_id, key=f"e{index}", **attributes)
    for node, docs in documents.items():
        graph.nodes[node]["documents"] = len(docs)
    return graph


def _row_key(row: dict[str, object]) -> tuple[object, ...]:
    """A triple as plain values, the type in too (``True`` equals ``1`` in Python)."""
    return (row["s"], row["p"], type(row["o"]).__name__, row["o"])


def _term(value: object, datatype: object = None, language: object = None) -> Term:
    """An IRI, blank node (``_:`` as ``run_query`` writes them) or literal (it has a
    datatype) from a query's plain values."""
    if datatype is not None:
        return Term("literal", _lexical(value), str(datatype), str(language or ""))
    text = str(value)
    return Term("blank" if text.startswith("_:") else "iri", text)


def _lexical(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _guess_term(value: object, iris: set[str], subject: bool = False) -> Term:
    """A CONSTRUCT result's term: results are plain values, so a string is an IRI when it is
    one the graph or the result uses as an IRI, a blank node when it reads ``_:``."""
    if isinstance(value, str):
        if value.startswith("_:"):
            return Term("blank", value)
        if subject or (_ABSOLUTE_IRI.fullmatch(value) and value in iris):
            return Term("iri", value)
        return Term("literal", value)
    return Term("literal", _lexical(value), _PYTHON_DATATYPES.get(type(value), ""))


_PYTHON_DATATYPES = {  # a float may have been a decimal or a double: left unsaid
    bool: "http://www.w3.org/2001/XMLSchema#boolean",
    int: "http://www.w3.org/2001/XMLSchema#integer",
}


def _resource_labels(source: object) -> dict[str, str]:
    best: dict[str, tuple[int, str]] = {}
    for row in _select(source, "labels"):
        label = clean_label(str(row["label"]))
        if not label:
            continue
        candidate = (int(row["rank"]), label)
        subject = str(row["s"])
        if subject not in best or candidate < best[subject]:
            best[subject] = candidate
    return {subject: label for subject, (_, label) in best.items()}


def _resource_type(term: Term, classes: dict[str, set[str]]) -> str:
    if term.kind == "literal":
        return "Literal"
    found = classes.get(term.text, set())
    known = next((t for t in colours() if t in found), None)
    if known is not None:
        return known
    named = sorted(filter(None, (_NOT_NAME.sub("_", c).strip("_") for c in found)))
    return named[0] if named else FALLBACK_TYPE


def _term_attributes(
    term: Term, classes: dict[str, set[str]], labels: dict[str, str]
) -> dict[str, object]:
    node_type = _resource_type(term, classes)
    if term.kind == "literal":
        value = clean_label(term.text)
        attributes: dict[str, object] = {
            "label": clean_label(term.text, LITERAL_LABEL_LENGTH) or '""',
            "type": node_type,
            "value": value,
        }
        if term.datatype:
            attributes["datatype"] = term.datatype
        if term.language:
            attributes["language"] = term.language
    else:
        label = labels.get(term.text) or clean_label(_prefixed(term.text)) or term.text
        attributes = {"label": label, "type": node_type, "iri": term.text}
    attributes["documents"] = 0
    attributes["color"] = colour_of(node_type)
    return attributes


def _predicate_matches(predicate: str, asked: frozenset[str]) -> bool:
    return bool({predicate, _local_name(predicate), _prefixed(predicate)} & asked)


# --- measures ------------------------------------------------------------------------


def _add_measures(graph: nx.MultiDiGraph, size_by: str) -> None:
    """Degree, PageRank, community and size of every node, for viewers to size and colour by."""
    ranks = pagerank(graph)
    communities = louvain_communities(graph)
    for node, degree in graph.degree():
        graph.nodes[node]["degree"] = int(degree)
        graph.nodes[node]["pagerank"] = ranks[node]
        graph.nodes[node]["community"] = communities[node]
    measure = "pagerank" if size_by == "pagerank" else "degree"
    values = [float(graph.nodes[n][measure]) for n in graph]
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    for node in graph:
        value = float(graph.nodes[node][measure])
        share = (value - low) / (high - low) if high > low else 0.5
        graph.nodes[node]["size"] = round(MIN_SIZE + share * (MAX_SIZE - MIN_SIZE), 3)


def pagerank(
    graph: nx.MultiDiGraph, alpha: float = 0.85, tolerance: float = 1e-6, max_iter: int = 100
) -> dict[str, float]:
    """Weighted PageRank by power iteration, as ``networkx.pagerank`` computes it (same
    damping, tolerance and iteration cap).

    Written out because networkx's own needs SciPy, a large dependency for one measure.
    Parallel edges add their weights; a node without out-edges spreads its rank evenly.
    """
    nodes = list(graph)
    if not nodes:
        return {}
    share = 1.0 / len(nodes)
    out_weight = dict.fromkeys(nodes, 0.0)
    for source, _, weight in graph.edges(data="weight", default=1):
        out_weight[source] += float(weight)
    links = [
        (source, target, alpha * float(weight) / out_weight[source])
        for source, target, weight in graph.edges(data="weight", default=1)
        if out_weight[source]
    ]
    dangling = [node for node in nodes if not out_weight[node]]
    rank = dict.fromkeys(nodes, share)
    for _ in range(max_iter):
        base = (1.0 - alpha) * share + alpha * share * sum(rank[n] for n in dangling)
        new = dict.fromkeys(nodes, base)
        for source, target, factor in links:
            new[target] += factor * rank[source]
        error = sum(abs(new[n] - rank[n]) for n in nodes)
        rank = new
        if error < len(nodes) * tolerance:
            break
    return {node: round(value, 10) for node, value in rank.items()}


def louvain_communities(graph: nx.MultiDiGraph) -> dict[str, int]:
    """Community number of each node: Louvain with a fixed seed on the undirected graph
    (parallel edge weights summed), numbered from the largest community."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph))
    for source, target, weight in graph.edges(data="weight", default=1):
        if source == target:
            continue
        previous = simple.get_edge_data(source, target, {"weight": 0})["weight"]
        simple.add_edge(source, target, weight=previous + max(float(weight), 0.0))
    found = nx.community.louvain_communities(simple, weight="weight", seed=COMMUNITY_SEED)
    ordered = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    return {node: index for index, members in enumerate(ordered) for node in members}


# --- helpers -------------------------------------------------------------------------


@cache
def _query_text(name: str) -> str:
    return (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")


def _select(source: object, name: str) -> list[dict[str, object]]:
    return run_query(source, _query_text(name)).as_dicts()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_day(text: str | None) -> date | None:
    bounds = period(text) if text else None
    return bounds[0] if bounds else None


def _last_day(text: str | None) -> date | None:
    bounds = period(text) if text else None
    return bounds[1] if bounds else None


def _local_name(iri: str) -> str:
    return re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri


def _prefixed(iri: str) -> str:
    """``org:memberOf`` for a known namespace, else the local name."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and not re.search(r"[/#]", local):
            return f"{prefix}:{local}"
    return _local_name(iri)

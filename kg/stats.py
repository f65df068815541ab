"""What a graph holds, in numbers a researcher can quote: ``kg stats``.

Counts come from SPARQL over the graph (so they mean what a query would find): entities by
type, facts by family (the qualified fact nodes, one per document that states the fact),
plain statements by predicate, documents per entity (the documents whose facts name the
entity, through each fact's sentence) and facts over time (by the year of a membership's
start, a treaty action's date and an operation's start). Centrality and communities come
from the entity projection of ``kg.export.projection``: PageRank, degree and the community
of each entity, as every graph export carries them.

``write_plots`` draws the same numbers as PNG charts for a paper (matplotlib, Agg, 200 dpi).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kg.query import QueryResult, format_result, run_query
from kg.records import FAMILY_OF
from kg.vocab import PREFIXES

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FAMILIES: tuple[str, ...] = tuple(FAMILY_OF.values())
DATED_FAMILIES: tuple[str, ...] = ("member_of", "treaty_action", "operation")
COMMUNITY_MEMBERS = 5
PLOT_DPI = 200
PLOT_FILES = (
    "entities-by-type.png",
    "facts-over-time.png",
    "top-actors-pagerank.png",
    "documents-per-entity.png",
)

_PREFIXES = """\
PREFIX kg: <https://w3id.org/kgnews/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# One row per entity: its kg class and preferred label.
_ENTITIES = (
    _PREFIXES
    + """
SELECT ?entity (MIN(?className) AS ?type) (MIN(STR(?name)) AS ?label)
WHERE {
  VALUES ?class {
    kg:Country kg:InternationalOrganisation kg:LawEnforcementAgency kg:LegislativeBody
    kg:Organisation kg:Person kg:Treaty kg:Operation
  }
  ?entity a ?class .
  BIND(STRAFTER(STR(?class), "#") AS ?className)
  OPTIONAL { ?entity skos:prefLabel ?name }
}
GROUP BY ?entity
"""
)

# How many documents state a fact that names each resource, through the fact's sentences.
# A query of its own: as an OPTIONAL of the one above, rdflib took five times as long.
_ENTITY_DOCUMENTS = (
    _PREFIXES
    + """
SELECT ?entity (COUNT(DISTINCT ?doc) AS ?documents)
WHERE {
  ?fact prov:wasDerivedFrom ?sentence ; ?slot ?entity .
  ?sentence nif:referenceContext ?doc .
  FILTER(isIRI(?entity))
}
GROUP BY ?entity
"""
)

_FACTS = (
    _PREFIXES
    + """
SELECT ?family (COUNT(DISTINCT ?fact) AS ?facts)
WHERE {
  VALUES (?class ?family) {
    (kg:Membership "member_of") (kg:MemberCount "member_count")
    (kg:Adoption "treaty_action") (kg:Signature "treaty_action")
    (kg:Ratification "treaty_action") (kg:Accession "treaty_action")
    (kg:OperationReport "operation") (kg:PositionHolding "position")
    (kg:Statement "statement")
  }
  ?fact a ?class .
}
GROUP BY ?family
"""
)

# The plain statements about entities (every fact's easy-SPARQL triple), without types and
# labels; distinct triples, so a statement made by two documents counts once.
_PREDICATES = (
    _PREFIXES
    + """
SELECT ?predicate (COUNT(*) AS ?statements)
WHERE {
  SELECT DISTINCT ?entity ?predicate ?value
  WHERE {
    VALUES ?class {
      kg:Country kg:InternationalOrganisation kg:LawEnforcementAgency kg:LegislativeBody
      kg:Organisation kg:Person kg:Treaty kg:Operation
    }
    ?entity a ?class ; ?predicate ?value .
    FILTER(?predicate NOT IN (rdf:type, skos:prefLabel, skos:altLabel, rdfs:label))
  }
}
GROUP BY ?predicate
"""
)

_DATED = (
    _PREFIXES
    + """
SELECT DISTINCT ?fact ?family (STR(?when) AS ?date)
WHERE {
  {
    ?fact a kg:Membership ; kg:since ?when .
    BIND("member_of" AS ?family)
  } UNION {
    VALUES ?class { kg:Adoption kg:Signature kg:Ratification kg:Accession }
    ?fact a ?class ; kg:date ?when .
    BIND("treaty_action" AS ?family)
  } UNION {
    ?fact a kg:OperationReport ; kg:startDate ?when .
    BIND("operation" AS ?family)
  }
}
"""
)

_TOTALS = (
    _PREFIXES
    + """
SELECT (COUNT(DISTINCT ?doc) AS ?documents) WHERE { ?doc a kg:Document }
"""
)

_TRIPLES = "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"

_YEAR = re.compile(r"-?\d{4,}")


@dataclass(frozen=True, slots=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class DocumentBucket:
    """How many entities are named by facts from exactly ``documents`` documents."""

    documents: int
    entities: int


@dataclass(frozen=True, slots=True)
class EntityDocuments:
    iri: str
    label: str
    type: str
    documents: int


@dataclass(frozen=True, slots=True)
class Actor:
    iri: str
    label: str
    type: str
    pagerank: float
    degree: int
    documents: int
    community: int


@dataclass(frozen=True, slots=True)
class Community:
    id: int
    size: int
    members: tuple[str, ...]  # labels of its most central members, most central first


@dataclass(frozen=True, slots=True)
class YearCount:
    year: int
    family: str
    facts: int


@dataclass(frozen=True, slots=True)
class GraphStats:
    """Every number ``kg stats`` reports; lists are sorted biggest first."""

    documents: int
    entities: int
    facts: int
    triples: int
    entities_by_type: tuple[Count, ...]
    facts_by_family: tuple[Count, ...]
    statements_by_predicate: tuple[Count, ...]
    documents_per_entity: tuple[DocumentBucket, ...]  # by number of documents
    most_documented: tuple[EntityDocuments, ...]
    by_pagerank: tuple[Actor, ...]
    by_degree: tuple[Actor, ...]
    community_count: int
    single_entity_communities: int
    largest_communities: tuple[Community, ...]
    facts_by_year: tuple[YearCount, ...]
    type_colours: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n"


def compute_stats(
    source: object, *, top: int = 10, projection: nx.MultiDiGraph | None = None
) -> GraphStats:
    """The numbers of ``source`` (a dataset or store, anything ``kg.query.run_query`` reads),
    with ``top`` entries in each ranked list.

    Centrality and communities are read from ``projection``, the entity projection of
    ``source`` (``kg.export.projection.to_networkx``, computed here when not given).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    if projection is None:
        from kg.export.projection import to_networkx

        projection = to_networkx(source, projection="entity")
    entities = _entity_documents(run_query(source, _ENTITIES), run_query(source, _ENTITY_DOCUMENTS))
    facts = _counts(run_query(source, _FACTS), "family", "facts", FAMILIES)
    predicates = run_query(source, _PREDICATES)
    actors = _actors(projection, {e.iri: e.documents for e in entities})
    communities = _communities(actors)
    return GraphStats(
        documents=_single(run_query(source, _TOTALS)),
        entities=len(entities),
        facts=sum(count.count for count in facts),
        triples=_single(run_query(source, _TRIPLES)),
        entities_by_type=_ranked(Counter(entity.type for entity in entities)),
        facts_by_family=facts,
        statements_by_predicate=_ranked(
            {_curie(str(row["predicate"])): int(row["statements"]) for row in predicates.as_dicts()}
        ),
        documents_per_entity=tuple(
            DocumentBucket(docs, n)
            for docs, n in sorted(Counter(entity.documents for entity in entities).items())
        ),
        most_documented=tuple(
            sorted(entities, key=lambda e: (-e.documents, e.label.casefold(), e.iri))[:top]
        ),
        by_pagerank=tuple(sorted(actors, key=lambda a: (-a.pagerank, -a.degree, a.label))[:top]),
        by_degree=tuple(sorted(actors, key=lambda a: (-a.degree, -a.pagerank, a.label))[:top]),
        community_count=len(communities),
        single_entity_communities=sum(1 for c in communities if c.size == 1),
        largest_communities=communities[:top],
        facts_by_year=_facts_by_year(run_query(source, _DATED)),
        type_colours=_type_colours(projection),
    )


# --- reading the answers ---------------------------------------------------------------


def _entity_documents(entities: QueryResult, documents: QueryResult) -> list[EntityDocuments]:
    counts = {str(row["entity"]): int(row["documents"]) for row in documents.as_dicts()}
    return [
        EntityDocuments(
            iri=str(row["entity"]),
            label=str(row["label"] or row["entity"]),
            type=str(row["type"]),
            documents=counts.get(str(row["entity"]), 0),
        )
        for row in entities.as_dicts()
    ]


def _actors(projection: nx.MultiDiGraph, documents: dict[str, int]) -> list[Actor]:
    return [
        Actor(
            iri=str(node),
            label=str(attrs.get("label", node)),
            type=str(attrs.get("type", "")),
            pagerank=float(attrs.get("pagerank", 0.0)),
            degree=int(attrs.get("degree", projection.degree(node))),
            documents=documents.get(str(node), int(attrs.get("documents", 0))),
            community=int(attrs.get("community", 0)),
        )
        for node, attrs in projection.nodes(data=True)
    ]


def _communities(actors: Sequence[Actor]) -> tuple[Community, ...]:
    groups: defaultdict[int, list[Actor]] = defaultdict(list)
    for actor in actors:
        groups[actor.community].append(actor)
    communities = [
        Community(
            id=community,
            size=len(members),
            members=tuple(
                a.label
                for a in sorted(members, key=lambda a: (-a.pagerank, a.label))[:COMMUNITY_MEMBERS]
            ),
        )
        for community, members in groups.items()
    ]
    return tuple(sorted(communities, key=lambda c: (-c.size, c.id)))


def _facts_by_year(result: QueryResult) -> tuple[YearCount, ...]:
    counts: Counter[tuple[int, str]] = Counter()
    for row in result.as_dicts():
        match = _YEAR.match(str(row["date"]))
        if match:
            counts[int(match.group()), str(row["family"])] += 1
    return tuple(YearCount(year, family, n) for (year, family), n in sorted(counts.items()))


def _type_colours(projection: nx.MultiDiGraph) -> dict[str, str]:
    colours: dict[str, str] = {}
    for _, attrs in projection.nodes(data=True):
        if "type" in attrs and "color" in attrs:
            colours.setdefault(str(attrs["type"]), str(attrs["color"]))
    return dict(sorted(colours.items()))


def _counts(result: QueryResult, key: str, value: str, names: Sequence[str]) -> tuple[Count, ...]:
    """Every one of ``names`` with its count (zero when absent), in that order."""
    found = {str(row[key]): int(row[value]) for row in result.as_dicts()}
    return tuple(Count(name, found.get(name, 0)) for name in names)


def _ranked(counts: Counter[str] | dict[str, int]) -> tuple[Count, ...]:
    return tuple(Count(name, n) for name, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])))


def _single(result: QueryResult) -> int:
    return int(result.rows[0][0] or 0) if result.rows else 0


def _curie(iri: str) -> str:
    """``org:memberOf`` for the IRI of a term in one of kg's prefixes, else the IRI."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


# --- text and JSON ---------------------------------------------------------------------


def format_stats(stats: GraphStats) -> str:
    """The numbers as plain-text tables, one section after another."""
    sections = [
        f"{stats.documents} documents, {stats.entities} entities, {stats.facts} facts, "
        f"{stats.triples} triples\n",
        _section(
            "Entities by type",
            ("type", "entities"),
            [(c.name, c.count) for c in stats.entities_by_type],
        ),
        _section(
            "Facts by family (one fact per document that states it)",
            ("family", "facts"),
            [(c.name, c.count) for c in stats.facts_by_family],
        ),
        _section(
            "Statements by predicate (distinct triples about entities)",
            ("predicate", "statements"),
            [(c.name, c.count) for c in stats.statements_by_predicate],
        ),
        _section(
            "Documents per entity" + _summary(stats),
            ("documents", "entities"),
            [(b.documents, b.entities) for b in stats.documents_per_entity],
        ),
        _section(
            "Entities in the most documents",
            ("label", "type", "documents"),
            [(e.label, e.type, e.documents) for e in stats.most_documented],
        ),
        _section(
            "Most central actors by PageRank",
            ("rank", "label", "type", "pagerank", "degree", "documents"),
            [
                (rank, a.label, a.type, round(a.pagerank, 4), a.degree, a.documents)
                for rank, a in enumerate(stats.by_pagerank, start=1)
            ],
        ),
        _section(
            "Most connected actors by degree",
            ("rank", "label", "type", "degree", "pagerank"),
            [
                (rank, a.label, a.type, a.degree, round(a.pagerank, 4))
                for rank, a in enumerate(stats.by_degree, start=1)
            ],
        ),
        _section(
            f"Communities: {stats.community_count}, {stats.single_entity_communities} of them "
            "a single entity (largest first)",
            ("community", "size", "most central members"),
            [(c.id, c.size, ", ".join(c.members)) for c in stats.largest_communities],
        ),
        _section(
            "Facts over time (year of membership start, treaty action, operation start)",
            ("year", *DATED_FAMILIES, "total"),
            _year_rows(stats.facts_by_year),
        ),
    ]
    return "\n".join(sections)


def _section(title: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    table = format_result(QueryResult(columns, tuple(rows)), "table")
    return f"{title}\n{table}"


def _summary(stats: GraphStats) -> str:
    values = [b.documents for b in stats.documents_per_entity for _ in range(b.entities)]
    if not values:
        return ""
    mean, median = statistics.fmean(values), statistics.median(values)
    return f": mean {mean:.2f}, median {median:g}, max {max(values)}"


def _year_rows(years: Sequence[YearCount]) -> list[tuple[object, ...]]:
    table: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for entry in years:
        table[entry.year][entry.family] += entry.facts
    return [
        (year, *(table[year][f] for f in DATED_FAMILIES), sum(table[year].values()))
        for year in sorted(table)
    ]


# --- plots -----------------------------------------------------------------------------


def write_plots(stats: GraphStats, folder: Path | str) -> list[Path]:
    """Write the four charts of ``stats`` into ``folder`` (created if missing), atomically."""
    from kg.errors import OutputError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    drawers: tuple[Callable[[GraphStats], Figure], ...] = (
        _plot_entities_by_type,
        _plot_facts_over_time,
        _plot_top_actors,
        _plot_documents_per_entity,
    )
    written = []
    for name, draw in zip(PLOT_FILES, drawers, strict=True):
        _save(draw(stats), folder / name)
        written.append(folder / name)
    return written


_FAMILY_COLOURS = {"member_of": "#4e79a7", "treaty_action": "#f28e2b", "operation": "#59a14f"}
_DEFAULT_COLOUR = "#4e79a7"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _figure(title: str, width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    figure.suptitle(title, x=0.01, ha="left", fontsize=13)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=10)
    return figure, axes


def _save(figure: Figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from kg.rdfio import atomic_write

    FigureCanvasAgg(figure)

    def write(handle: BinaryIO) -> None:
        figure.savefig(handle, format="png", dpi=PLOT_DPI, metadata={"Software": None})

    atomic_write(path, write)


def _no_data(axes: Axes, message: str) -> None:
    axes.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        fontsize=12,
        color="#57606a",
        transform=axes.transAxes,
    )
    axes.set_axis_off()


def _colour(stats: GraphStats, kind: str) -> str:
    colour = stats.type_colours.get(kind, _DEFAULT_COLOUR)
    return colour if _HEX.fullmatch(colour) else _DEFAULT_COLOUR


def _hbar(
    axes: Axes, labels: Sequence[str], values: Sequence[float], colours: Sequence[str], fmt: str
) -> None:
    """Horizontal bars, first item on top, each with its value at its end."""
    positions = range(len(labels))
    bars = axes.barh(positions, values, color=colours, height=0.7)
    axes.set_yticks(positions, [_shorten(label) for label in labels], fontsize=10)
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[format(v, fmt) for v in values], padding=3, fontsize=9)
    axes.margins(x=0.12)
    axes.grid(axis="x", color="#e1e4e8", linewidth=0.8)
    axes.set_axisbelow(True)


def _plot_entities_by_type(stats: GraphStats) -> Figure:
    counts = stats.entities_by_type
    figure, axes = _figure("Entities by type", 7, 1.2 + 0.42 * max(len(counts), 3))
    if not counts:
        _no_data(axes, "No entities")
        return figure
    _hbar(
        axes,
        [_words(c.name) for c in counts],
        [c.count for c in counts],
        [_colour(stats, c.name) for c in counts],
        "d",
    )
    axes.set_xlabel("Entities", fontsize=11)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return figure


def _plot_facts_over_time(stats: GraphStats) -> Figure:
    figure, axes = _figure(
        "Dated facts by year (membership start, treaty action, operation start)", 8, 4.5
    )
    if not stats.facts_by_year:
        _no_data(axes, "No dated facts")
        return figure
    rows = _year_rows(stats.facts_by_year)
    first, last = rows[0][0], rows[-1][0]
    years = list(range(int(first), int(last) + 1))  # every year, so gaps show as gaps
    by_year = {row[0]: row for row in rows}
    bottom = [0] * len(years)
    for index, family in enumerate(DATED_FAMILIES, start=1):
        values = [by_year[y][index] if y in by_year else 0 for y in years]
        axes.bar(
            years,
            values,
            bottom=bottom,
            label=family.replace("_", " "),
            width=0.8,
            color=_FAMILY_COLOURS[family],
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xlabel("Year", fontsize=11)
    axes.set_ylabel("Facts", fontsize=11)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color="#e1e4e8", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.margins(y=0.08)
    axes.legend(frameon=False, fontsize=10, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def _plot_top_actors(stats: GraphStats) -> Figure:
    actors = stats.by_pagerank
    title = f"Top {len(actors)} actors by PageRank" if actors else "Top actors by PageRank"
    figure, axes = _figure(title, 8, 1.2 + 0.38 * max(len(actors), 3))
    if not actors:
        _no_data(axes, "No entities")
        return figure
    _hbar(
        axes,
        [a.label for a in actors],
        [a.pagerank for a in actors],
        [_colour(stats, a.type) for a in actors],
        ".3f",
    )
    axes.set_xlabel("PageRank (entity graph)", fontsize=11)
    from matplotlib.patches import Patch

    kinds = sorted({a.type for a in actors})
    axes.legend(
        handles=[Patch(color=_colour(stats, kind), label=_words(kind)) for kind in kinds],
        frameon=False,
        fontsize=9,
        loc="lower right",
    )
    return figure


def _plot_documents_per_entity(stats: GraphStats) -> Figure:
    figure, axes = _figure("Documents per entity", 7, 4.5)
    if not stats.documents_per_entity:
        _no_data(axes, "No entities")
        return figure
    documents = [b.documents for b in stats.documents_per_entity]
    entities = [b.entities for b in stats.documents_per_entity]
    bars = axes.bar(documents, entities, width=0.8, color=_DEFAULT_COLOUR)
    axes.bar_label(bars, padding=2, fontsize=9)
    axes.set_xlabel("Documents whose facts name the entity", fontsize=11)
    axes.set_ylabel("Entities", fontsize=11)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color="#e1e4e8", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure


def _words(kind: str) -> str:
    """``International organisation`` for ``InternationalOrganisation``: readable in a figure."""
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", kind) or [kind]
    return " ".join([words[0], *(word.lower() for word in words[1:])])


def _shorten(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"

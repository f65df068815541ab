"""Read the system's facts out of the built graph, in the shape of the gold facts.

The evaluation measures what a researcher querying the graph gets, not kg's internal records,
so every fact here comes from the SPARQL in ``queries/`` run through ``kg.query.run_query``:
the qualified fact nodes (``kg:Membership``, ``kg:OperationReport``, ...) of every document
graph, with each entity slot filled by every label the graph holds for the entity
(``skos:prefLabel``, ``rdfs:label``, ``skos:altLabel``, preferred first) and each fact's cited
sentences (NIF offsets and text) for the provenance check.

An operation report's ``kg:operation`` entity gives the operation's name. The graph has no
flag for "unnamed": kg mints an unnamed operation's IRI from its document and offset,
``{base}id/operation/{document id slug}-{offset}`` (``ontologies/README.md``; ``kg.iri`` adds
``--`` and a hash because the key is not a slug), so an operation whose IRI has that form has
no name here, whatever words its label holds ("a two-month cybercrime operation").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.evaluate.gold import (
    FAMILIES,
    FAMILY_OF,
    FactBody,
    MemberCount,
    MemberOf,
    Names,
    Operation,
    Position,
    Statement,
    TreatyAction,
)

if TYPE_CHECKING:
    from rdflib import Dataset

    from kg.query import NamedQuery

Row = dict[str, Any]
QUERY_DIR = Path(__file__).parent / "queries"


@dataclass(frozen=True, slots=True)
class CitedSentence:
    """A sentence a fact node cites: character offsets into the document text (end
    exclusive) and the sentence text, None when the graph does not carry it."""

    begin: int
    end: int
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SystemFact:
    """One fact node of the graph, read back: its document, fact, cited sentences and IRI."""

    doc_id: str
    fact: FactBody
    sentences: tuple[CitedSentence, ...]
    iri: str

    @property
    def family(self) -> str:
        return FAMILY_OF[type(self.fact)]


def read_facts(dataset: Dataset) -> dict[str, list[SystemFact]]:
    """Every fact of the six families in ``dataset``, keyed by document id
    (``dcterms:identifier``); a document without facts maps to an empty list. Facts are in
    family order, then by IRI, so the same graph always reads out the same way."""
    graph = _Graph(dataset)
    facts: dict[str, list[SystemFact]] = {row["doc"]: [] for row in graph.rows("documents")}
    for reader in _READERS:
        for doc_id, iri, fact in reader(graph):
            cited = graph.sentences(iri)
            facts.setdefault(doc_id, []).append(SystemFact(doc_id, fact, cited, iri))
    order = {cls: index for index, cls in enumerate(FAMILIES.values())}
    for items in facts.values():
        items.sort(key=lambda item: (order[type(item.fact)], item.iri))
    return facts


class _Graph:
    """The dataset plus the two lookups every family needs: labels and cited sentences."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._labels = _labels(self.rows("labels"))
        self._sentences = _sentences(self.rows("sentences"))

    def rows(self, name: str) -> list[Row]:
        """The rows of the named query, sorted so that repeated values resolve the same way."""
        # Imported here: kg.query brings the RDF engines, and scoring imports this module's
        # records without needing them.
        from kg.query import run_query

        rows = run_query(self._dataset, _queries()[name].sparql).as_dicts()
        return sorted(rows, key=lambda row: [(key, repr(value)) for key, value in row.items()])

    def names(self, entity: str | None) -> Names:
        return self._labels.get(entity, ()) if entity is not None else ()

    def sentences(self, fact: str) -> tuple[CitedSentence, ...]:
        return self._sentences.get(fact, ())


@cache
def _queries() -> dict[str, NamedQuery]:
    """The readout's questions, ``queries/*.rq``, checked like kg's named questions."""
    from kg.query import named_queries

    return named_queries(QUERY_DIR)


def _labels(rows: list[Row]) -> dict[str, Names]:
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        ranked[row["entity"]].append((int(row["rank"]), str(row["label"])))
    return {
        entity: _unique(label for _, label in sorted(pairs)) for entity, pairs in ranked.items()
    }


def _sentences(rows: list[Row]) -> dict[str, tuple[CitedSentence, ...]]:
    cited: dict[str, set[CitedSentence]] = defaultdict(set)
    for row in rows:
        cited[row["fact"]].add(CitedSentence(int(row["begin"]), int(row["end"]), row["text"]))
    return {
        fact: tuple(sorted(items, key=lambda s: (s.begin, s.end))) for fact, items in cited.items()
    }


def _unique(names: Iterable[str]) -> Names:
    return tuple(dict.fromkeys(name for name in names if name))


def _first_per_fact(rows: list[Row]) -> dict[str, Row]:
    """One row per fact node: a node with a repeated single-valued property yields several."""
    first: dict[str, Row] = {}
    for row in rows:
        first.setdefault(row["fact"], row)
    return first


def _iso(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


Readout = Iterator[tuple[str, str, FactBody]]


def _member_of(graph: _Graph) -> Readout:
    for fact, row in _first_per_fact(graph.rows("member-of")).items():
        names = graph.names
        claim = MemberOf(names(row["member"]), names(row["organisation"]), _iso(row["since"]))
        yield row["doc"], fact, claim


def _member_count(graph: _Graph) -> Readout:
    for fact, row in _first_per_fact(graph.rows("member-count")).items():
        yield row["doc"], fact, MemberCount(graph.names(row["organisation"]), int(row["count"]))


def _treaty_action(graph: _Graph) -> Readout:
    for fact, row in _first_per_fact(graph.rows("treaty-action")).items():
        agent, treaty = graph.names(row["agent"]), graph.names(row["treaty"])
        yield row["doc"], fact, TreatyAction(row["action"], agent, treaty, _iso(row["date"]))


def _operation(graph: _Graph) -> Readout:
    parties: dict[tuple[str, str], list[Names]] = defaultdict(list)
    for row in graph.rows("operation-parties"):
        parties[row["fact"], row["role"]].append(graph.names(row["party"]))
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in graph.rows("operation-counts"):
        what = f"{row['unit']} {row['what']}" if row["unit"] else str(row["what"])
        counts[row["fact"]].append((what, int(row["value"])))
    for fact, row in _first_per_fact(graph.rows("operation")).items():
        entity = row["operation"]
        unnamed = _is_unnamed(entity, row["doc"])
        yield (
            row["doc"],
            fact,
            Operation(
                name=() if unnamed else graph.names(entity),
                coordinators=tuple(parties[fact, "coordinator"]),
                participants=tuple(parties[fact, "participant"]),
                participant_count=_int(row["participantCount"]),
                start=_iso(row["start"]),
                end=_iso(row["end"]),
                arrests=_int(row["arrests"]),
                counts=tuple(counts[fact]),
                entity=entity,
            ),
        )


def _is_unnamed(operation: str, doc_id: str) -> bool:
    """Whether ``operation`` is the IRI kg mints for an unnamed operation of ``doc_id``: its
    last segment is the document id's slug, a hyphen, an offset, and optionally ``--hash``."""
    from kg.iri import slug  # brings rdflib; the records above must stay light

    local = operation.rstrip("/").rsplit("/", 1)[-1]
    return re.fullmatch(re.escape(slug(doc_id)) + r"-\d+(?:--[0-9a-f]+)?", local) is not None


def _position(graph: _Graph) -> Readout:
    rows = graph.rows("position")
    roles: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row["role"] is not None:
            roles[row["fact"]].append(str(row["role"]))
        roles[row["fact"]].extend(graph.names(row["roleEntity"]))
    for fact, row in _first_per_fact(rows).items():
        organisation = row["organisation"]
        yield (
            row["doc"],
            fact,
            Position(
                person=graph.names(row["person"]),
                role=_unique(roles[fact]),
                organisation=None if organisation is None else graph.names(organisation),
            ),
        )


def _statement(graph: _Graph) -> Readout:
    for fact, row in _first_per_fact(graph.rows("statement")).items():
        yield row["doc"], fact, Statement(graph.names(row["speaker"]), str(row["quote"]))


_READERS: tuple[Callable[[_Graph], Readout], ...] = (
    _member_of,
    _member_count,
    _treaty_action,
    _operation,
    _position,
    _statement,
)

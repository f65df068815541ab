"""The records that cross stage boundaries: documents, mentions, facts, entities.

They are frozen dataclasses, not spaCy objects, so they outlive the Doc, pickle across
processes and can be built by hand in tests without a model.

Flow: ``Document`` -> (nlp, extract) -> ``Fact`` records whose slots are ``Mention``s ->
(resolve) -> a ``Resolution`` mapping each mention to an ``Entity`` -> (rdf) -> triples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Document:
    """One article: its text and what its header or record says about it.

    ``id`` is stable and unique within a corpus (the file's relative path without extension,
    or the JSONL ``id``); ``date`` is ISO 8601 at the precision known (``2024``, ``2024-11``,
    ``2024-11-27``) or None; ``text`` is already cleaned (NFC, no lone surrogates, no controls
    other than newline and tab) and character offsets in facts index into it.
    """

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    path: str | None = None


class EntityKind(StrEnum):
    """What an entity is; each value names a class of the kg ontology."""

    ORGANISATION = "Organisation"
    INTERNATIONAL_ORGANISATION = "InternationalOrganisation"
    LAW_ENFORCEMENT_AGENCY = "LawEnforcementAgency"
    LEGISLATIVE_BODY = "LegislativeBody"
    COUNTRY = "Country"
    PERSON = "Person"
    TREATY = "Treaty"
    OPERATION = "Operation"


@dataclass(frozen=True, slots=True)
class Sentence:
    """The sentence a fact was read from, with its character offsets in the document text."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A stretch of text naming an entity.

    ``key`` is the canonical key when the mention was recognised from the gazetteer
    (``ent.ent_id_``, e.g. ``interpol`` or ``country:ZW``), else None and resolution decides.
    ``kind`` is the best guess of what the text names. Offsets index into the document text.
    """

    text: str
    kind: EntityKind
    start: int
    end: int
    key: str | None = None


class TreatyActionKind(StrEnum):
    ADOPTED = "adopted"
    SIGNED = "signed"
    RATIFIED = "ratified"
    ACCEDED = "acceded"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact comes from: its sentences, the rule that read it, how sure the rule is."""

    sentences: tuple[Sentence, ...]
    rule: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Membership:
    member: Mention
    organisation: Mention
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class MemberCount:
    organisation: Mention
    count: int


@dataclass(frozen=True, slots=True)
class TreatyAction:
    action: TreatyActionKind
    agent: Mention
    treaty: Mention
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """A typed count reported for an operation: ``134089`` of ``malicious infrastructures
    dismantled``; ``unit`` is a currency code (``USD``) for money, else None."""

    what: str
    value: int
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class OperationReport:
    """What one document says about one operation.

    ``operation`` is the words that refer to it (``Operation Serengeti``, ``a two-month
    cybercrime operation``); ``name`` is its proper name when the text gives one. An unnamed
    operation is an entity of its own document; named ones reported by several documents are
    linked by resolution to one operation, while each document's figures stay in its graph.
    """

    operation: Mention
    name: str | None = None
    coordinators: tuple[Mention, ...] = ()
    participants: tuple[Mention, ...] = ()
    participant_count: int | None = None
    start: str | None = None
    end: str | None = None
    arrests: int | None = None
    counts: tuple[Count, ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    person: Mention
    role: str
    organisation: Mention | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    speaker: Mention
    quote: str


Claim = Membership | MemberCount | TreatyAction | OperationReport | Position | Statement


@dataclass(frozen=True, slots=True)
class Fact:
    """One extracted claim with its provenance."""

    claim: Claim
    provenance: Provenance

    @property
    def family(self) -> str:
        """The fact family name used in the corpus gold and in summaries."""
        return FAMILY_OF[type(self.claim)]


FAMILY_OF: dict[type, str] = {
    Membership: "member_of",
    MemberCount: "member_count",
    TreatyAction: "treaty_action",
    OperationReport: "operation",
    Position: "position",
    Statement: "statement",
}


@dataclass(frozen=True, slots=True)
class Entity:
    """A resolved entity: one node in the graph.

    ``key`` is canonical and stable across documents (``interpol``, ``country:ZW``,
    ``person:valdecy-urquiza``); the IRI is minted from ``kind`` and ``key`` in one place
    (``kg.iri``). ``labels`` holds every name seen for it, preferred label first.
    """

    key: str
    kind: EntityKind
    label: str
    alt_labels: tuple[str, ...] = ()
    wikidata: str | None = None


@dataclass(slots=True)
class Resolution:
    """Which entity each mention names, for a batch of documents."""

    entities: dict[str, Entity] = field(default_factory=dict)
    by_mention: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def entity_of(self, doc_id: str, mention: Mention) -> Entity:
        """The entity a mention in a document was resolved to."""
        return self.entities[self.by_mention[(doc_id, mention.start, mention.end)]]


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """Everything extracted from one document, ready to resolve and write."""

    document: Document
    facts: tuple[Fact, ...]
    mentions: tuple[Mention, ...] = ()
    aliases: tuple[tuple[Mention, Mention], ...] = ()
    """Pairs of mentions the text says name one entity: "Financial Crime and
    Anti-Corruption Centre (IFCACC)", "Operation X, renamed Operation Y"."""

"""Facts to triples: one named graph per document, every fact twice.

Each fact is written as plain triples (``?member org:memberOf ?org``) for easy SPARQL and as a
qualified ``kg:Fact`` node carrying its qualifiers and its provenance: the sentences it was read
from (one ``nif:Sentence`` node per sentence, shared by its facts), the rule, a confidence and
the document's extraction activity. Everything read from a document, including the types and
labels of the entities it mentions, goes into that document's named graph, so the graph can be
replaced or retracted on its own. The model is described in ``ontologies/README.md``.

Each document's triples are collected first and swapped into the dataset only when complete,
so a fact that cannot be written (an unresolved mention, a malformed date) leaves the dataset
as it was. No blank nodes and no timestamps: the same input gives the same graph.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from importlib import metadata
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib import namespace as rdflib_namespace
from rdflib.namespace import NamespaceManager

from kg import vocab
from kg.errors import RdfError
from kg.iri import IriMinter, country_code
from kg.records import (
    DocumentFacts,
    Entity,
    Fact,
    MemberCount,
    Membership,
    Mention,
    OperationReport,
    Position,
    Resolution,
    Sentence,
    Statement,
    TreatyAction,
    TreatyActionKind,
)
from kg.text import clean_label
from kg.vocab import PREFIXES, WD


class _Terms:
    """A namespace whose terms are looked up once: rdflib's namespaces build a new URIRef at
    every attribute access, and the writer asks for a dozen terms per fact."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace
        self._items: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        term = self._items.get(name)
        if term is None:
            term = self._items[name] = self._namespace[name]
        return term


DCTERMS, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD = (
    _Terms(getattr(rdflib_namespace, name))
    for name in ("DCTERMS", "ORG", "PROV", "RDF", "RDFS", "SKOS", "TIME", "XSD")
)
KG, NIF = _Terms(vocab.KG), _Terms(vocab.NIF)
_LITERALS = 1 << 16
"""Literals remembered by ``_literal`` and ``_typed``: labels, rule ids, dates and numbers
recur in every document, and an rdflib Literal costs microseconds to build."""

_DATE_TYPES: tuple[tuple[re.Pattern[str], URIRef, URIRef], ...] = (
    (re.compile(r"\d{4}"), XSD.gYear, TIME.inXSDgYear),
    (re.compile(r"\d{4}-(0[1-9]|1[0-2])"), XSD.gYearMonth, TIME.inXSDgYearMonth),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), XSD.date, TIME.inXSDDate),
)
_TREATY_ACTION: dict[TreatyActionKind, tuple[URIRef, URIRef]] = {
    TreatyActionKind.ADOPTED: (KG.Adoption, KG.adopted),
    TreatyActionKind.SIGNED: (KG.Signature, KG.signed),
    TreatyActionKind.RATIFIED: (KG.Ratification, KG.ratified),
    TreatyActionKind.ACCEDED: (KG.Accession, KG.acceded),
}
_WIKIDATA_ID = re.compile(r"Q[1-9][0-9]*")
_UNLIMITED = 1 << 62  # quotes are never cut short


def new_dataset() -> Dataset:
    """An empty dataset whose default graph is the union of the named graphs, prefixes bound."""
    dataset = Dataset(default_union=True)
    # Only rdflib's core prefixes, not its 30 defaults (brick, csvw, ...), then kg's own.
    dataset.namespace_manager = NamespaceManager(dataset, bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True, replace=True)
    return dataset


def document_graph(
    doc_facts: DocumentFacts,
    resolution: Resolution,
    minter: IriMinter,
    dataset: Dataset,
    *,
    extractor_version: str | None = None,
) -> Graph:
    """Write one document's facts into its named graph of ``dataset``, replacing what was there.

    ``extractor_version`` defaults to ``kg`` and the installed package version.
    """
    triples = document_triples(doc_facts, resolution, minter, extractor_version=extractor_version)
    identifier = minter.graph(doc_facts.document.id)
    dataset.remove_graph(identifier)
    graph = dataset.graph(identifier)
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


def document_triples(
    doc_facts: DocumentFacts,
    resolution: Resolution,
    minter: IriMinter,
    *,
    extractor_version: str | None = None,
) -> list[tuple[URIRef, URIRef, URIRef | Literal]]:
    """One document's triples, in order, without duplicates: what ``document_graph`` puts
    in its named graph, for writers that stream graphs without an rdflib store."""
    version = extractor_version or _default_extractor_version()
    writer = _DocumentWriter(doc_facts, resolution, minter, version)
    writer.write()
    return list(writer.triples)


def build_dataset(
    items: Iterable[DocumentFacts],
    resolution: Resolution,
    minter: IriMinter,
    *,
    extractor_version: str | None = None,
) -> Dataset:
    """A new dataset with one named graph per document; a document id seen twice is an error."""
    dataset = new_dataset()
    seen: set[str] = set()
    for doc_facts in items:
        doc_id = doc_facts.document.id
        if doc_id in seen:
            raise RdfError(f"expected each document once, got {doc_id!r} twice")
        seen.add(doc_id)
        document_graph(doc_facts, resolution, minter, dataset, extractor_version=extractor_version)
    return dataset


def date_literal(text: str) -> Literal:
    """``1980`` -> xsd:gYear, ``2024-09`` -> xsd:gYearMonth, ``1980-11-13`` -> xsd:date."""
    return _typed(text, _date_type(text)[0])


def _date_type(text: str) -> tuple[URIRef, URIRef]:
    """The XSD datatype and the OWL-Time property for an ISO date at its precision."""
    for pattern, datatype, time_property in _DATE_TYPES:
        if pattern.fullmatch(text if isinstance(text, str) else ""):
            if datatype == XSD.date:
                try:
                    date.fromisoformat(text)
                except ValueError as exc:
                    raise RdfError(f"expected a real calendar date, got {text!r}") from exc
            return datatype, time_property
    raise RdfError(f"expected an ISO date YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")


def _integer(value: int, what: str) -> Literal:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RdfError(f"expected an integer {what}, got {value!r}")
    return _typed(value, XSD.integer)


def _confidence(value: float) -> Literal:
    """xsd:decimal in plain notation (``0.85``, never ``8.5E-1``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RdfError(f"expected a confidence between 0 and 1, got {value!r}")
    number = float(value)
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise RdfError(f"expected a confidence between 0 and 1, got {value!r}")
    return _typed(f"{Decimal(repr(number)):f}", XSD.decimal)


@lru_cache(maxsize=_LITERALS, typed=True)
def _literal(text: str) -> Literal:
    return Literal(text)


@lru_cache(maxsize=_LITERALS, typed=True)
def _typed(value: str | int, datatype: URIRef) -> Literal:
    return Literal(value, datatype=datatype)


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


@cache
def _default_extractor_version() -> str:
    """``kg`` and the installed version, else the version the source tree declares."""
    try:
        return f"kg {metadata.version('kg')}"
    except metadata.PackageNotFoundError:
        from kg import __version__

        return f"kg {__version__}"


@lru_cache(maxsize=1 << 12)
def _description(iri: URIRef, entity: Entity) -> tuple[tuple[URIRef, URIRef, Any], ...]:
    """An entity's type and labels (the same in every document that names it, so built
    once)."""
    triples: list[tuple[URIRef, URIRef, Any]] = []
    label = clean_label(entity.label)
    if not label:
        raise RdfError(f"entity {entity.key!r}: expected a label, got {entity.label!r}")
    triples.append((iri, RDF.type, KG[entity.kind.value]))
    triples.append((iri, SKOS.prefLabel, _literal(label)))
    triples.append((iri, RDFS.label, _literal(label)))
    for alt in {clean_label(alt) for alt in entity.alt_labels} - {label, ""}:
        triples.append((iri, SKOS.altLabel, _literal(alt)))
    if entity.wikidata is not None:
        if not _WIKIDATA_ID.fullmatch(entity.wikidata):
            raise RdfError(
                f"entity {entity.key!r}: expected a Wikidata id like Q123, got {entity.wikidata!r}"
            )
        triples.append((iri, KG.wikidata, WD[entity.wikidata]))
    code = country_code(entity)
    if code is not None:
        triples.append((iri, KG.isoCode, _literal(code)))
    return tuple(triples)


class _DocumentWriter:
    """Collects one document's triples, in order, without duplicates; remembers the nodes
    already described. A plain dict, not a scratch Graph: rdflib's store costs more per add
    than everything else the writer does."""

    def __init__(
        self,
        doc_facts: DocumentFacts,
        resolution: Resolution,
        minter: IriMinter,
        extractor_version: str,
    ) -> None:
        self.doc_facts = doc_facts
        self.doc = doc_facts.document
        self.resolution = resolution
        self.minter = minter
        self.triples: dict[tuple[URIRef, URIRef, URIRef | Literal], None] = {}
        self.extractor_version = extractor_version
        self.doc_iri = minter.document(self.doc.id)
        self.activity = minter.extraction(self.doc.id)
        self.entities: set[URIRef] = set()
        self.sentences: set[URIRef] = set()
        self.claim_writers: dict[type, Callable[[URIRef, Any], None]] = {
            Membership: self.membership,
            MemberCount: self.member_count,
            TreatyAction: self.treaty_action,
            OperationReport: self.operation,
            Position: self.position,
            Statement: self.statement,
        }

    def add(self, subject: URIRef, predicate: URIRef, obj: URIRef | Literal) -> None:
        self.triples[(subject, predicate, obj)] = None

    def add_both(self, plain: URIRef, node: URIRef, predicate: URIRef, obj: Literal) -> None:
        """A qualifier the plain subject and the qualified node share (kg:arrests 1006)."""
        self.add(plain, predicate, obj)
        self.add(node, predicate, obj)

    def write(self) -> None:
        self.document()
        for fact in self.doc_facts.facts:
            self.fact(fact)

    def document(self) -> None:
        doc, iri = self.doc, self.doc_iri
        self.add(iri, RDF.type, KG.Document)
        self.add(iri, DCTERMS.identifier, Literal(doc.id))
        if doc.title and clean_label(doc.title):
            self.add(iri, DCTERMS.title, Literal(clean_label(doc.title)))
        if doc.date:
            self.add(iri, DCTERMS.date, date_literal(doc.date))
        if doc.source and clean_label(doc.source):
            self.add(iri, DCTERMS.source, Literal(clean_label(doc.source)))
        digest = hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).hexdigest()
        self.add(iri, KG.contentHash, Literal(digest))
        self.add(self.activity, RDF.type, PROV.Activity)
        self.add(self.activity, PROV.used, iri)
        self.add(self.activity, KG.extractorVersion, _literal(self.extractor_version))

    def sentence(self, sentence: Sentence) -> URIRef:
        """The sentence's node, written the first time a fact cites it."""
        doc = self.doc
        if sentence.doc_id != doc.id:
            raise RdfError(
                f"document {doc.id!r}: expected sentences of this document, "
                f"got one of {sentence.doc_id!r}"
            )
        iri = self.minter.sentence(doc.id, sentence.start, sentence.end)
        if iri in self.sentences:
            return iri
        if not 0 <= sentence.start < sentence.end <= len(doc.text):
            raise RdfError(
                f"document {doc.id!r}: expected sentence offsets within 0..{len(doc.text)} "
                f"with start < end, got {sentence.start}-{sentence.end}"
            )
        anchor = doc.text[sentence.start : sentence.end]
        if anchor != sentence.text:
            raise RdfError(
                f"document {doc.id!r}: the text at {sentence.start}-{sentence.end} is "
                f"{_short(anchor)}, the sentence record says {_short(sentence.text)}"
            )
        self.sentences.add(iri)
        self.add(iri, RDF.type, NIF.Sentence)
        self.add(iri, NIF.referenceContext, self.doc_iri)
        self.add(iri, NIF.beginIndex, _typed(sentence.start, XSD.nonNegativeInteger))
        self.add(iri, NIF.endIndex, _typed(sentence.end, XSD.nonNegativeInteger))
        self.add(iri, NIF.anchorOf, Literal(anchor))
        return iri

    def resolved(self, mention: Mention) -> Entity:
        try:
            return self.resolution.entity_of(self.doc.id, mention)
        except KeyError as exc:
            raise RdfError(
                f"document {self.doc.id!r}: mention {_short(mention.text)} at "
                f"{mention.start}-{mention.end} was not resolved to an entity"
            ) from exc

    def entity(self, mention: Mention) -> URIRef:
        """The IRI of the entity a mention names, typed and labelled in this graph."""
        entity = self.resolved(mention)
        iri = self.minter.entity(entity)
        if iri not in self.entities:
            self.entities.add(iri)
            self.describe(iri, entity)
        return iri

    def describe(self, iri: URIRef, entity: Entity) -> None:
        for triple in _description(iri, entity):
            self.add(*triple)

    def fact(self, fact: Fact) -> None:
        writer = self.claim_writers.get(type(fact.claim))
        if writer is None:
            raise RdfError(f"expected one of the six claim types, got {type(fact.claim).__name__}")
        provenance = fact.provenance
        if not provenance.sentences:
            raise RdfError(f"document {self.doc.id!r}: a {fact.family} fact cites no sentence")
        if not isinstance(provenance.rule, str) or not provenance.rule.strip():
            raise RdfError(f"document {self.doc.id!r}: expected a rule id, got {provenance.rule!r}")
        node = self.minter.fact(self.doc.id, fact, self.resolution)
        for sentence in provenance.sentences:
            self.add(node, PROV.wasDerivedFrom, self.sentence(sentence))
        self.add(node, KG.rule, _literal(provenance.rule))
        self.add(node, KG.confidence, _confidence(provenance.confidence))
        self.add(node, PROV.wasGeneratedBy, self.activity)
        writer(node, fact.claim)

    def membership(self, node: URIRef, claim: Membership) -> None:
        member, org = self.entity(claim.member), self.entity(claim.organisation)
        self.add(member, ORG.memberOf, org)
        self.add(node, RDF.type, KG.Membership)
        self.add(node, ORG.member, member)
        self.add(node, ORG.organization, org)
        if claim.since is None and claim.until is None:
            return
        interval = self.minter.part(node, "interval")
        self.add(node, ORG.memberDuring, interval)
        self.add(interval, RDF.type, TIME.Interval)
        bounds = (
            (claim.since, KG.since, TIME.hasBeginning, "begin"),
            (claim.until, KG.until, TIME.hasEnd, "end"),
        )
        for value, fact_property, link, name in bounds:
            if value is None:
                continue
            datatype, time_property = _date_type(value)
            literal = _typed(value, datatype)
            instant = self.minter.part(interval, name)
            self.add(node, fact_property, literal)
            self.add(interval, link, instant)
            self.add(instant, RDF.type, TIME.Instant)
            self.add(instant, time_property, literal)

    def member_count(self, node: URIRef, claim: MemberCount) -> None:
        org = self.entity(claim.organisation)
        count = _integer(claim.count, "member count")
        self.add(org, KG.memberCount, count)
        self.add(node, RDF.type, KG.MemberCount)
        self.add(node, KG.organisation, org)
        self.add(node, KG.count, count)

    def treaty_action(self, node: URIRef, claim: TreatyAction) -> None:
        cls, plain = _TREATY_ACTION[TreatyActionKind(claim.action)]
        agent, treaty = self.entity(claim.agent), self.entity(claim.treaty)
        self.add(agent, plain, treaty)
        self.add(node, RDF.type, cls)
        self.add(node, KG.agent, agent)
        self.add(node, KG.treaty, treaty)
        self.add(node, KG.action, _literal(TreatyActionKind(claim.action).value))
        if claim.date is not None:
            self.add(node, KG.date, date_literal(claim.date))

    def operation(self, node: URIRef, claim: OperationReport) -> None:
        op = self.entity(claim.operation)
        self.add(node, RDF.type, KG.OperationReport)
        self.add(node, KG.operation, op)
        for mention in claim.coordinators:
            coordinator = self.entity(mention)
            self.add(op, KG.coordinatedBy, coordinator)
            self.add(node, KG.coordinator, coordinator)
        for mention in claim.participants:
            participant = self.entity(mention)
            self.add(op, KG.participant, participant)
            self.add(node, KG.participant, participant)
        numbers = (
            (KG.participantCount, claim.participant_count, "participant count"),
            (KG.arrests, claim.arrests, "number of arrests"),
        )
        for prop, number, what in numbers:
            if number is not None:
                self.add_both(op, node, prop, _integer(number, what))
        for prop, day in ((KG.startDate, claim.start), (KG.endDate, claim.end)):
            if day is not None:
                self.add_both(op, node, prop, date_literal(day))
        for number, count in enumerate(claim.counts, start=1):
            what = clean_label(count.what)
            if not what:
                raise RdfError(
                    f"document {self.doc.id!r}: a count of {count.value} does not say of what"
                )
            count_node = self.minter.part(node, "count", number)
            self.add(node, KG.count, count_node)
            self.add(count_node, RDF.type, KG.Count)
            self.add(count_node, KG.countOf, _literal(what))
            self.add(count_node, KG.value, _integer(count.value, f"count of {what}"))
            if count.unit is not None:
                self.add(count_node, KG.unit, _literal(count.unit))

    def position(self, node: URIRef, claim: Position) -> None:
        person = self.entity(claim.person)
        title = clean_label(claim.role)
        if not title:
            raise RdfError(f"document {self.doc.id!r}: expected a role title, got {claim.role!r}")
        org_entity = self.resolved(claim.organisation) if claim.organisation else None
        post, role = self.minter.post(org_entity, title), self.minter.role(title)
        self.add(person, ORG.holds, post)
        self.add(post, RDF.type, KG.Post)
        self.add(post, ORG.role, role)
        self.add(role, RDF.type, KG.Role)
        self.add(role, RDFS.label, _literal(title))
        self.add(node, RDF.type, KG.PositionHolding)
        self.add(node, KG.person, person)
        self.add(node, KG.post, post)
        self.add(node, KG.role, _literal(title))
        if claim.organisation is None or org_entity is None:
            self.add(post, RDFS.label, _literal(title))
            return
        org = self.entity(claim.organisation)
        self.add(post, RDFS.label, _literal(f"{title} of {clean_label(org_entity.label)}"))
        self.add(post, ORG.postIn, org)
        self.add(node, KG.organisation, org)

    def statement(self, node: URIRef, claim: Statement) -> None:
        speaker = self.entity(claim.speaker)
        quote = clean_label(claim.quote, _UNLIMITED)
        if not quote:
            raise RdfError(f"document {self.doc.id!r}: expected a quote, got {claim.quote!r}")
        self.add(node, RDF.type, KG.Statement)
        self.add(node, KG.speaker, speaker)
        self.add(node, KG.quote, Literal(quote))

"""The build: documents in, a dataset of one named graph per document out.

``build_dataset`` is what ``kg build -o`` and ``kg evaluate`` call, ``build_store`` what
``kg build --store`` calls. Both stream documents through ``nlp.pipe``, keep only small fact
records per document (never the Docs), resolve each document against what earlier ones
taught (``DocumentResolver``) and write its graph as soon as it is ready, so the same
documents give the same graphs whether built into a file at once or into a store bit by bit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from rdflib import Dataset, Literal, URIRef

from kg.errors import DocumentQuarantinedError, InputError, KgError, OutputError
from kg.records import Document, DocumentFacts, Entity, EntityKind, Resolution
from kg.workers import Quarantine

if TYPE_CHECKING:
    from kg.store import OxigraphTerms

DEFAULT_BATCH_SIZE = 32
ZONE_SIZE = 256
"""Documents parsed inside one ``nlp.memory_zone()``: the strings their Docs add to the
vocabulary are freed when the zone ends, so a long build's memory stays flat."""
QUARANTINE_FILE = "quarantine.jsonl"
"""A store build lists its quarantined documents in this file of the store folder."""
STREAMED_FORMATS = frozenset({"turtle", "trig", "nquads", "ntriples"})
"""File formats ``build_file`` writes document by document through pyoxigraph's serialiser,
never holding the graph; the others go through an rdflib ``Dataset``."""


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the one-line summary and for callers."""

    documents: int = 0
    """Documents processed (parsed, read and written)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    facts: Counter = field(default_factory=Counter)
    triples: int = 0
    seconds: float = 0.0
    unchanged: int = 0
    """Store builds: documents whose content hash the store already held, left as they were."""
    removed: int = 0
    """Store builds: documents the inputs no longer hold, removed (``prune``)."""
    incremental: bool = False
    """A store build: the summary then gives unchanged and removed documents too."""
    quarantined: list[Quarantine] = field(default_factory=list)
    """Documents left out because reading them overran the budget or killed the worker
    (``kg.workers``); also written to the quarantine file next to the output."""

    def summary(self) -> str:
        by_type = ", ".join(f"{n} {family}" for family, n in sorted(self.facts.items()))
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        documents = f"{self.documents} documents"
        if self.incremental:
            documents += f" processed, {self.unchanged} unchanged, {self.removed} removed"
        if self.quarantined:
            reasons = Counter(record.reason for record in self.quarantined)
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
            why = why if len(reasons) > 1 else next(iter(reasons))  # "2 quarantined (timeout)"
            skipped += f", {len(self.quarantined)} quarantined ({why})"
        return (
            f"{documents}{skipped}; {sum(self.facts.values())} facts"
            f" ({by_type or 'none'}); {self.triples} triples; {self.seconds:.1f} s"
        )


class EntityMemory(Protocol):
    """Entity key -> (kind, preferred label), as ``DocumentResolver`` reads and extends it: a
    dict, or a store's ``kg.store.LearntEntities``, which looks entities up one at a time."""

    def get(self, key: str, /) -> tuple[str, str] | None: ...

    def __setitem__(self, key: str, value: tuple[str, str], /) -> None: ...


@dataclass(slots=True)
class ResolutionMemory:
    """What resolving earlier documents taught: the kind and preferred label each entity
    outside the gazetteer was first given (key -> (kind, label)), and the operation-name
    alias table of ``kg.resolve`` (name -> parent name). A store keeps it in its metadata
    graph, written with each document, so later builds resolve as a full build would."""

    entities: EntityMemory = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


class DocumentResolver:
    """Resolves one document at a time, so that its graph does not depend on the batch.

    ``kg.resolve.Resolver`` names an entity after the longest name a whole batch uses;
    resolved that way, a document's graph would change with whichever documents were built
    alongside it, and an incremental build could never equal a full one. Here each
    document is resolved on its own against a ``ResolutionMemory``: an entity keeps the
    kind and preferred label it was first seen with (later spellings become alternative
    labels), and operation names stay linked to the aliases earlier documents gave them.
    What is learnt is kept when a document later changes or is removed; a new store
    starts afresh.
    """

    def __init__(self, memory: ResolutionMemory | None = None) -> None:
        from kg.resolve import Resolver

        self.memory = memory if memory is not None else ResolutionMemory()
        self.resolver = Resolver()
        parents = self.resolver.operation_names.parent
        for name, parent in self.memory.aliases.items():
            parents[name] = parent
            parents.setdefault(parent, parent)  # a root is its own parent

    def resolve(self, item: DocumentFacts) -> tuple[Resolution, ResolutionMemory]:
        """The document's resolution, and what it added to the memory."""
        names = self.resolver.operation_names
        names.moved.clear()
        resolution = self.resolver.resolve([item])
        learnt = ResolutionMemory()
        for key, entity in resolution.entities.items():
            if self.resolver.gazetteer.get(key) is not None:
                continue  # the gazetteer fixes kind and label already
            known = self.memory.entities.get(key)
            if known is None:
                self.memory.entities[key] = learnt.entities[key] = (entity.kind.value, entity.label)
                continue
            kind, label = known
            if (kind, label) == (entity.kind.value, entity.label):
                continue
            alt = tuple(n for n in dict.fromkeys([entity.label, *entity.alt_labels]) if n != label)
            resolution.entities[key] = Entity(key, EntityKind(kind), label, alt, entity.wikidata)
        learnt.aliases = {name: names.parent[name] for name in names.moved}
        self.memory.aliases.update(learnt.aliases)
        return resolution, learnt


def content_hash(document: Document, *, model: str | None = None) -> str:
    """What tells a store to process a document again: SHA-256 over its id, title, date,
    source and text, and the extractor (``extractor_fingerprint``)."""
    fields = [document.id, document.title, document.date, document.source, document.text]
    payload = json.dumps([extractor_fingerprint(model), *fields], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def extractor_fingerprint(model: str | None = None) -> str:
    """kg's version, the spaCy pipeline asked for and a digest of every rule and gazetteer
    file, so that a new kg, new rules or another model rebuild every document."""
    from kg.rdf import _default_extractor_version

    data = Path(__file__).parent / "data"
    digest = hashlib.sha256()
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        digest.update(path.relative_to(data).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"{_default_extractor_version()}; model {model or 'default'}; data {digest.hexdigest()}"


def extract_documents(
    documents: Iterable[Document],
    *,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    processes: int = 1,
    on_document: Callable[[Document], None] | None = None,
    doc_timeout: float | None = None,
    on_quarantine: Callable[[Quarantine], None] | None = None,
) -> Iterator[DocumentFacts]:
    """Parse and read facts from each document, in order, streaming.

    With ``processes`` > 1 or a ``doc_timeout`` (seconds per document), kg's own worker
    processes parse and read (``kg.workers.WorkerPool``): a document that overruns the
    budget or kills its worker is left out and passed to ``on_quarantine`` instead. Without
    either, this process does it, every ``ZONE_SIZE`` documents in their own
    ``nlp.memory_zone()``: no process to start, which keeps small library builds (and tests
    that hand kg a loaded pipeline) fast, but nothing can stop a runaway document."""
    if processes < 1:
        raise ValueError(f"expected at least 1 process, got {processes}")
    if processes > 1 or doc_timeout is not None:
        from kg.workers import WorkerPool

        with WorkerPool(
            model, processes=processes, doc_timeout=doc_timeout, batch_size=batch_size
        ) as pool:
            for document, outcome in pool.run(documents):
                if not isinstance(outcome, Quarantine):
                    yield outcome
                elif on_quarantine is not None:
                    on_quarantine(outcome)
                if on_document is not None:
                    on_document(document)
        return
    from kg.extract import Extractor
    from kg.nlp import load_pipeline

    nlp = load_pipeline(model)
    extractor = Extractor(nlp)
    pairs = ((doc.text, doc) for doc in documents)
    while chunk := list(itertools.islice(pairs, ZONE_SIZE)):
        with nlp.memory_zone():
            for spacy_doc, document in nlp.pipe(chunk, as_tuples=True, batch_size=batch_size):
                yield extractor.extract(document, spacy_doc)
                if on_document is not None:
                    on_document(document)


def build_dataset(
    inputs: Iterable[str | Path],
    *,
    model: str | None = None,
    base_iri: str | None = None,
    report: BuildReport | None = None,
    on_document: Callable[[Document], None] | None = None,
    strict: bool = False,
    processes: int = 1,
    doc_timeout: float | None = None,
) -> Dataset:
    """Build the graph of every document under ``inputs``.

    Unreadable documents (empty, undecodable, bad JSONL lines) are skipped and listed in
    ``report.skipped``, unless ``strict``, where the first one raises. When nothing at all
    could be read, ``InputError`` says so. A document that overruns ``doc_timeout`` seconds
    or kills its worker (``extract_documents``) is left out and listed in
    ``report.quarantined``, unless ``strict``, where it raises ``DocumentQuarantinedError``.
    """
    from kg.iri import IriMinter
    from kg.rdf import document_graph, new_dataset

    report = report if report is not None else BuildReport()
    started = time.perf_counter()
    minter = IriMinter(base_iri) if base_iri else IriMinter()
    dataset = new_dataset()
    options = {"model": model, "on_document": on_document, "strict": strict}
    options |= {"processes": processes, "doc_timeout": doc_timeout}
    for item, resolution in _resolved(inputs, report, **options):
        document_graph(item, resolution, minter, dataset)
    if not report.documents:
        raise _nothing_read(report)
    report.triples = sum(1 for _ in dataset.quads((None, None, None, None)))
    report.seconds = time.perf_counter() - started
    return dataset


def build_store(
    inputs: Iterable[str | Path],
    store_path: str | Path,
    *,
    model: str | None = None,
    base_iri: str | None = None,
    report: BuildReport | None = None,
    on_document: Callable[[Document], None] | None = None,
    strict: bool = False,
    prune: bool = False,
    processes: int = 1,
    doc_timeout: float | None = None,
) -> BuildReport:
    """Build the documents under ``inputs`` into the store at ``store_path`` (made when
    missing), incrementally.

    A document whose ``content_hash`` the store already records is left as it is, without
    being parsed, and counted ``unchanged``; a new or changed one is processed and written
    through a ``kg.store.DocumentWriter``: new documents in batches of one bulk load each, a
    changed one in a transaction of its own, so every document is written whole or not at
    all; a build that fails keeps every document finished before the failure, and one that
    is killed loses at most the batch it was gathering. With ``prune``,
    documents the store holds that the inputs no longer yield (deleted files, and files that
    could not be read this time) are removed. The inputs are checked, and the first document
    read, before the store is opened: a bad input changes nothing. A store keeps the base IRI
    it was first built with; another one is an ``InputError``.
    """
    from kg.rdf import document_triples
    from kg.sources import read_documents
    from kg.store import GraphStore, OxigraphTerms
    from kg.workers import write_quarantine

    report = report if report is not None else BuildReport()
    report.incremental = True
    started = time.perf_counter()
    documents = read_documents([str(p) for p in inputs], on_error=_skipper(report, strict))
    first = next(documents, None)
    if first is None:
        raise _nothing_read(report)
    with GraphStore.open(store_path, create=True) as store:
        minter = store._bind_base(base_iri)
        store._repair()  # graphs a killed bulk load left without a record
        seen: set[str] | None = set() if prune else None
        hashes: dict[str, str] = {}

        def changed() -> Iterator[Document]:
            candidates = itertools.chain([first], documents)
            for document, digest in changed_documents(
                candidates, store.document_hash, seen, model, report, on_document
            ):
                hashes[document.id] = digest
                yield document

        fresh = changed()
        head = next(fresh, None)  # the model loads only when some document needs it
        if head is not None:
            items = extract_documents(
                itertools.chain([head], fresh),
                model=model,
                processes=processes,
                on_document=on_document,
                doc_timeout=doc_timeout,
                on_quarantine=_quarantiner(report, strict),
            )
            terms = OxigraphTerms()
            with store.writer() as writer:
                resolver = DocumentResolver(ResolutionMemory(writer.entities, store._aliases()))
                for item in items:
                    resolution, learnt = resolver.resolve(item)
                    graph = _as_oxigraph(document_triples(item, resolution, minter), terms)
                    digest = hashes.pop(item.document.id)
                    writer.write(
                        item.document.id,
                        graph,
                        digest,
                        entities=learnt.entities,
                        aliases=learnt.aliases,
                    )
                    report.documents += 1
                    report.facts.update(fact.family for fact in item.facts)
        if seen is not None:
            retract_gone(store, seen, report)
        report.triples = store.quad_count()
        write_quarantine(Path(store_path) / QUARANTINE_FILE, report.quarantined)
    report.seconds = time.perf_counter() - started
    return report


def changed_documents(
    documents: Iterable[Document],
    recorded: Callable[[str], str | None],
    seen: set[str] | None,
    model: str | None,
    report: BuildReport,
    on_document: Callable[[Document], None] | None,
) -> Iterator[tuple[Document, str]]:
    """The documents whose content hash is not the one the store records (``recorded``: id
    -> hash or None, ``GraphStore.document_hash``), with that hash; the others are counted
    unchanged. Every id read is added to ``seen``, when given (``--prune`` needs them)."""
    for document in documents:
        if seen is not None:
            seen.add(document.id)
        digest = content_hash(document, model=model)
        if recorded(document.id) != digest:
            yield document, digest
            continue
        report.unchanged += 1
        if on_document is not None:
            on_document(document)


def retract_gone(store, seen: set[str], report: BuildReport) -> None:
    """``--prune``: remove the documents the store holds that this build did not read."""
    gone = [doc_id for doc_id in store.documents() if doc_id not in seen]
    if gone:
        store._retract(gone)
        report.removed = len(gone)


def build_file(
    inputs: Iterable[str | Path],
    output: str | Path,
    fmt: str | None = None,
    *,
    model: str | None = None,
    base_iri: str | None = None,
    report: BuildReport | None = None,
    on_document: Callable[[Document], None] | None = None,
    strict: bool = False,
    processes: int = 1,
    doc_timeout: float | None = None,
) -> BuildReport:
    """Build the documents under ``inputs`` into the graph file ``output`` (atomically).

    The same graph as ``write_dataset(build_dataset(...))``, but Turtle, TriG, N-Quads and
    N-Triples are written one document at a time through pyoxigraph's serialiser: rdflib's
    store and serialisers cost more than parsing the text. The triple formats hold the
    union, each triple once (a set of 16-byte digests of the triples written so far).
    Quarantined documents are listed in ``OUTPUT.quarantine.jsonl`` (``quarantine_path``),
    which is removed when there are none.
    """
    from kg.rdfio import atomic_write, format_for, write_dataset
    from kg.workers import write_quarantine

    rdf_format = format_for(output, fmt)
    report = report if report is not None else BuildReport()
    options = {"model": model, "base_iri": base_iri, "report": report}
    options |= {"on_document": on_document, "strict": strict, "processes": processes}
    options |= {"doc_timeout": doc_timeout}
    if rdf_format.name not in STREAMED_FORMATS:
        write_dataset(build_dataset(inputs, **options), output, rdf_format.name)
        write_quarantine(quarantine_path(output), report.quarantined)
        return report
    started = time.perf_counter()
    quads = _document_quads(inputs, **options)
    failure: list[BaseException] = []

    def write(stream: BinaryIO) -> None:
        try:
            _serialise(quads, stream, rdf_format.name)
        except KgError as exc:  # an input problem, not a write problem: raised as it is
            failure.append(exc)
            raise

    try:
        atomic_write(output, write)
    except OutputError:
        if failure:
            raise failure[0] from None
        raise
    write_quarantine(quarantine_path(output), report.quarantined)
    report.seconds = time.perf_counter() - started
    return report


def _document_quads(
    inputs: Iterable[str | Path],
    *,
    model: str | None,
    base_iri: str | None,
    report: BuildReport,
    on_document: Callable[[Document], None] | None,
    strict: bool,
    processes: int,
    doc_timeout: float | None,
) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal, URIRef]]:
    """Each document's triples in its named graph, as ``build_dataset`` would write them."""
    from kg.iri import IriMinter
    from kg.rdf import document_triples

    minter = IriMinter(base_iri) if base_iri else IriMinter()
    options = {"model": model, "on_document": on_document, "strict": strict}
    options |= {"processes": processes, "doc_timeout": doc_timeout}
    for item, resolution in _resolved(inputs, report, **options):
        graph = minter.graph(item.document.id)
        triples = document_triples(item, resolution, minter)
        report.triples += len(triples)
        for s, p, o in triples:
            yield s, p, o, graph
    if not report.documents:
        raise _nothing_read(report)


def _resolved(
    inputs: Iterable[str | Path],
    report: BuildReport,
    *,
    model: str | None,
    on_document: Callable[[Document], None] | None,
    strict: bool,
    processes: int,
    doc_timeout: float | None,
) -> Iterator[tuple[DocumentFacts, Resolution]]:
    """Each readable document's fact records and resolution, in input order, counted in
    ``report``: what a file build writes, one document at a time."""
    from kg.sources import read_documents

    documents = read_documents([str(p) for p in inputs], on_error=_skipper(report, strict))
    resolver = DocumentResolver()
    items = extract_documents(
        documents,
        model=model,
        processes=processes,
        on_document=on_document,
        doc_timeout=doc_timeout,
        on_quarantine=_quarantiner(report, strict),
    )
    for item in items:
        resolution, _ = resolver.resolve(item)
        report.documents += 1
        report.facts.update(fact.family for fact in item.facts)
        yield item, resolution


def _serialise(
    quads: Iterable[tuple[URIRef, URIRef, URIRef | Literal, URIRef]], stream: BinaryIO, fmt: str
) -> None:
    """Write rdflib quads with pyoxigraph: the quad formats as they come, the triple formats
    as the union with each triple once."""
    import pyoxigraph as ox

    from kg.rdf import new_dataset
    from kg.store import OxigraphTerms

    namespaces = sorted(new_dataset().namespaces())
    prefixes = {prefix: str(ns) for prefix, ns in namespaces if prefix != "xml"}
    term = OxigraphTerms()

    formats = {
        "trig": ox.RdfFormat.TRIG,
        "nquads": ox.RdfFormat.N_QUADS,
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
    }
    if fmt in ("trig", "nquads"):
        data: Iterable[object] = (
            ox.Quad(term(s), term(p), term(o), term(g)) for s, p, o, g in quads
        )
    else:
        data = (ox.Triple(term(s), term(p), term(o)) for s, p, o in _union(quads))
    ox.serialize(data, stream, formats[fmt], prefixes=prefixes)


def _as_oxigraph(
    triples: Iterable[tuple[URIRef, URIRef, URIRef | Literal]], term: OxigraphTerms
) -> list[tuple[object, object, object]]:
    """A document's triples in pyoxigraph terms, which the store's writer puts in the
    document's graph and the union: no rdflib store in between."""
    return [(term(s), term(p), term(o)) for s, p, o in triples]


def _union(
    quads: Iterable[tuple[URIRef, URIRef, URIRef | Literal, URIRef]],
) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal]]:
    """The quads' triples, each once."""
    seen: set[bytes] = set()
    for s, p, o, _ in quads:
        key = hashlib.blake2b(f"{s.n3()} {p.n3()} {o.n3()}".encode(), digest_size=16).digest()
        if key not in seen:
            seen.add(key)
            yield s, p, o


def _skipper(report: BuildReport, strict: bool) -> Callable[[str, InputError], None]:
    """The ``on_error`` of ``read_documents``: list an unreadable document, or raise."""

    def skip(path: str, error: InputError) -> None:
        if strict:
            raise error
        report.skipped.append((str(error), type(error).__name__))

    return skip


def quarantine_path(output: str | Path) -> Path:
    """Where a file build lists its quarantined documents: ``OUTPUT.quarantine.jsonl``."""
    output = Path(output)
    return output.with_name(output.name + ".quarantine.jsonl")


def _quarantiner(report: BuildReport, strict: bool) -> Callable[[Quarantine], None]:
    """The ``on_quarantine`` of ``extract_documents``: list a quarantined document, or raise."""

    def quarantine(record: Quarantine) -> None:
        if strict:
            raise DocumentQuarantinedError(
                f"{record.source or record.id}: document {record.id!r} was stopped "
                f"({record.reason}: {record.detail}); a strict build stops there"
            )
        report.quarantined.append(record)

    return quarantine


def _nothing_read(report: BuildReport) -> InputError:
    reasons = "; ".join(reason for reason, _ in report.skipped[:3])
    return InputError(f"no document could be read{': ' + reasons if reasons else ''}")

"""The build: documents in, a dataset of one named graph per document out.

``build`` is what ``kg build`` and ``kg evaluate`` call; it streams documents through
``nlp.pipe`` and keeps only small fact records per document (never the Docs), resolves
entities across the whole batch, then writes RDF.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset

from kg.errors import InputError
from kg.records import Document, DocumentFacts

DEFAULT_BATCH_SIZE = 32


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the one-line summary and for callers."""

    documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    facts: Counter = field(default_factory=Counter)
    triples: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        by_type = ", ".join(f"{n} {family}" for family, n in sorted(self.facts.items()))
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"{self.documents} documents{skipped}; {sum(self.facts.values())} facts"
            f" ({by_type or 'none'}); {self.triples} triples; {self.seconds:.1f} s"
        )


def extract_documents(
    documents: Iterable[Document],
    *,
    model: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_document: Callable[[Document], None] | None = None,
) -> Iterator[DocumentFacts]:
    """Parse and read facts from each document, in order, streaming."""
    from kg.extract import Extractor
    from kg.nlp import load_pipeline

    nlp = load_pipeline(model)
    extractor = Extractor(nlp)
    pairs = ((doc.text, doc) for doc in documents)
    for spacy_doc, document in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
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
) -> Dataset:
    """Build the graph of every document under ``inputs``.

    Unreadable documents (empty, undecodable, bad JSONL lines) are skipped and listed in
    ``report.skipped``, unless ``strict``, where the first one raises. When nothing at all
    could be read, ``InputError`` says so.
    """
    from kg.iri import IriMinter
    from kg.rdf import document_graph, new_dataset
    from kg.resolve import Resolver
    from kg.sources import read_documents

    report = report if report is not None else BuildReport()
    started = time.perf_counter()

    def skip(path: str, error: InputError) -> None:
        if strict:
            raise error
        report.skipped.append((str(error), type(error).__name__))

    documents = read_documents([str(p) for p in inputs], on_error=skip)
    batch = list(extract_documents(documents, model=model, on_document=on_document))
    if not batch:
        reasons = "; ".join(reason for reason, _ in report.skipped[:3])
        raise InputError(f"no document could be read{': ' + reasons if reasons else ''}")
    resolution = Resolver().resolve(batch)
    minter = IriMinter(base_iri) if base_iri else IriMinter()
    dataset = new_dataset()
    for item in batch:
        document_graph(item, resolution, minter, dataset)
        report.documents += 1
        report.facts.update(fact.family for fact in item.facts)
    report.triples = sum(1 for _ in dataset.quads((None, None, None, None)))
    report.seconds = time.perf_counter() - started
    return dataset

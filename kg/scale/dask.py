"""Scale-out on Dask: ``kg build --engine dask`` builds a corpus into a store on a cluster.

The costly stage is spaCy: parsing takes nearly all of a build's time, and it depends on
nothing but the document. Resolution does not: ``kg.pipeline.DocumentResolver`` resolves each
document against what earlier documents taught (an entity keeps the first label and kind it
was seen with; operation aliases carry over), so its result depends on document order. To
give exactly the graph the single-process build gives, the work is split in two:

- the workers parse: the client streams the new and changed documents to the cluster in
  partitions of ``partition_size`` documents (never the whole corpus at once: at most two
  partitions per worker are in flight), and each worker turns a partition into fact records
  (``DocumentFacts``, small and picklable) with a spaCy pipeline it loads once per process;
- the client resolves the partitions' fact records in document order, writes each
  partition's graphs as one N-Quads shard (one named graph per document) into a shards
  folder, and bulk-loads the shard into the store (``GraphStore.bulk_load_documents``),
  recording the documents' hashes and what resolution learnt, so incremental reruns,
  ``--prune`` and ``kg remove`` work as on a store built in one process.

What stays on the client is not free: resolving, minting the triples and bulk-loading them
(twice: into the document graph and into the union) take about 19 ms of the client's CPU a
document of the synthetic benchmark corpus (``benchmarks/bench_dask.py``, 1,000 documents, two
cores), where one worker parses one in about 68 ms. The client therefore caps a build at
about 50 documents a second, reached at three to four such workers, however large the
cluster; a second pass (workers minting the triples against a memory the client resolved
first) would lift that cap, and is not done.

Without a scheduler address a ``LocalCluster`` of worker processes on 127.0.0.1 runs the
build and is closed afterwards; with one, the build connects to that scheduler, whose
workers need kg and the spaCy model installed (documents travel to them, so they do not
need the input files).
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import InputError, OutputError
from kg.pipeline import (
    DEFAULT_BATCH_SIZE,
    BuildReport,
    DocumentResolver,
    ResolutionMemory,
    _nothing_read,
    _skipper,
    changed_documents,
    retract_gone,
)
from kg.records import Document, DocumentFacts

if TYPE_CHECKING:
    from distributed import Client

    from kg.extract import Extractor
    from kg.iri import IriMinter
    from kg.store import GraphStore

DEFAULT_PARTITION_SIZE = 64
DEFAULT_WORKERS = 2
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a scheduler before saying it cannot be reached."""
_IN_FLIGHT_PER_WORKER = 2


def build_store_dask(
    inputs: Iterable[str | Path],
    store_path: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = DEFAULT_WORKERS,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    shards: str | Path | None = None,
    model: str | None = None,
    base_iri: str | None = None,
    report: BuildReport | None = None,
    on_document: Callable[[Document], None] | None = None,
    strict: bool = False,
    prune: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> BuildReport:
    """``kg.pipeline.build_store`` with the parsing done on a Dask cluster.

    ``scheduler`` is a scheduler address (``tcp://host:8786``); without one a local cluster
    of ``workers`` processes runs the build. Shards go to ``shards`` (kept), or to a
    temporary folder next to the store (removed afterwards). The cluster is started only
    when some document is new or changed.
    """
    from kg.sources import read_documents
    from kg.store import GraphStore

    if workers < 1 or partition_size < 1:
        raise InputError(
            f"expected at least 1 worker and 1 document a partition, "
            f"got {workers} workers and partitions of {partition_size}"
        )
    report = report if report is not None else BuildReport()
    report.incremental = True
    started = time.perf_counter()
    documents = read_documents([str(p) for p in inputs], on_error=_skipper(report, strict))
    first = next(documents, None)
    if first is None:
        raise _nothing_read(report)
    store_path = Path(store_path)
    with GraphStore.open(store_path, create=True) as store:
        minter = store._bind_base(base_iri)
        seen: set[str] | None = set() if prune else None
        fresh = changed_documents(
            itertools.chain([first], documents),
            store.document_hash,
            seen,
            model,
            report,
            on_document,
        )
        parts = _partitions(fresh, partition_size)
        head = next(parts, None)
        if head is not None:
            with (
                _shard_folder(shards, store_path) as folder,
                _client(scheduler, workers, connect_timeout) as client,
            ):
                writer = _ShardWriter(store, minter, folder, report, on_document)
                for index, items in enumerate(
                    _extracted(client, itertools.chain([head], parts), model)
                ):
                    writer.write(index, items)
        if seen is not None:
            retract_gone(store, seen, report)
        report.triples = store.quad_count()
    report.seconds = time.perf_counter() - started
    return report


def extract_partition(documents: list[Document], model: str | None) -> list[DocumentFacts]:
    """A worker's task: the fact records of a partition of documents, in order."""
    nlp, extractor = _worker_pipeline(model)
    pairs = ((doc.text, doc) for doc in documents)
    parsed = nlp.pipe(pairs, as_tuples=True, batch_size=DEFAULT_BATCH_SIZE)
    return [extractor.extract(document, spacy_doc) for spacy_doc, document in parsed]


@cache
def _worker_pipeline(model: str | None) -> tuple[Any, Extractor]:
    """The spaCy pipeline and extractor, loaded once per worker process."""
    from kg.extract import Extractor
    from kg.nlp import load_pipeline

    nlp = load_pipeline(model)
    return nlp, Extractor(nlp)


def _partitions(
    items: Iterator[tuple[Document, str]], size: int
) -> Iterator[list[tuple[Document, str]]]:
    while part := list(itertools.islice(items, size)):
        yield part


def _extracted(
    client: Client, parts: Iterator[list[tuple[Document, str]]], model: str | None
) -> Iterator[list[tuple[DocumentFacts, str]]]:
    """Each partition's fact records with their hashes, in order, with a bounded number of
    partitions submitted ahead so that the client never holds the corpus."""
    ahead = _IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})))
    pending: deque[tuple[Any, list[str]]] = deque()
    try:
        for part in itertools.chain(parts, [None]):
            if part is not None:
                documents = [document for document, _ in part]
                future = client.submit(extract_partition, documents, model, pure=False)
                pending.append((future, [digest for _, digest in part]))
            while pending and (part is None or len(pending) >= ahead):
                future, digests = pending.popleft()
                yield list(zip(future.result(), digests, strict=True))
    finally:
        for future, _ in pending:
            future.cancel()


class _ShardWriter:
    """Resolves partitions in order, writes each as an N-Quads shard and loads it."""

    def __init__(
        self,
        store: GraphStore,
        minter: IriMinter,
        folder: Path,
        report: BuildReport,
        on_document: Callable[[Document], None] | None,
    ) -> None:
        from kg.store import LearntEntities

        self.store = store
        self.minter = minter
        self.folder = folder
        self.report = report
        self.on_document = on_document
        self.learnt: dict[str, tuple[str, str]] = {}  # by the partition being written
        entities = LearntEntities(store, self.learnt)
        self.resolver = DocumentResolver(ResolutionMemory(entities, store._aliases()))

    def write(self, index: int, items: list[tuple[DocumentFacts, str]]) -> None:
        from kg.rdf import document_triples
        from kg.rdfio import atomic_write
        from kg.store import OxigraphTerms

        term = OxigraphTerms()

        quads: list[ox.Quad] = []
        aliases: dict[str, str] = {}
        for item, _ in items:
            resolution, taught = self.resolver.resolve(item)
            self.learnt.update(taught.entities)
            aliases.update(taught.aliases)
            name = ox.NamedNode(self.minter.graph(item.document.id))
            triples = document_triples(item, resolution, self.minter)
            quads += (ox.Quad(term(s), term(p), term(o), name) for s, p, o in triples)
        shard = self.folder / f"part-{index:06d}.nq"
        atomic_write(shard, lambda out: ox.serialize(quads, out, ox.RdfFormat.N_QUADS))
        hashes = {item.document.id: digest for item, digest in items}
        self.store.bulk_load_documents(shard, hashes, entities=self.learnt, aliases=aliases)
        self.learnt.clear()  # in place: the resolver's memory reads it
        for item, _ in items:
            self.report.documents += 1
            self.report.facts.update(fact.family for fact in item.facts)
            if self.on_document is not None:
                self.on_document(item.document)


@contextmanager
def _shard_folder(shards: str | Path | None, store_path: Path) -> Iterator[Path]:
    """The given shards folder (made when missing, kept), or a temporary one next to the
    store (removed afterwards)."""
    if shards is not None:
        folder = Path(shards)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create shards folder {folder}: {exc.strerror}") from None
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix=f".{store_path.name}-shards-", dir=store_path.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _client(scheduler: str | None, workers: int, timeout: float) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError("the dask engine needs dask.distributed: pip install 'kg[dask]'") from exc
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {reason}") from None
    with client:
        yield client

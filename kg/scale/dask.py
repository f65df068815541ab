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
- the client resolves the partitions' fact records in document order (a fraction of a
  millisecond a document) and sends each partition's resolutions to the worker that holds
  its fact records, a few partitions ahead of what it loads;
- that worker mints the partition's graphs (``mint_partition``): N-Quads, one named graph
  per document, and their share of the union as N-Triples, checked as a store checks what
  it is given;
- the client writes the N-Quads as the partition's shard into a shards folder and hands
  both texts to pyoxigraph's loader as they are (``GraphStore.bulk_load_minted``),
  recording the documents' hashes and what resolution learnt, so incremental reruns,
  ``--prune`` and ``kg remove`` work as on a store built in one process. Partitions are
  loaded in order, so a build stopped part-way keeps a prefix of them.

What stays on the client is resolving, pyoxigraph's loading and Dask's own traffic, with no
Python work per triple: about 10 ms of the client's CPU a document of the synthetic
benchmark corpus (``benchmarks/bench_dask.py``, 1,000 documents, the local scheduler's
threads included), where a worker takes about 52 ms, so one client keeps up with about five
such workers. When the client minted the graphs and read each shard back twice, it took
19 ms, and about 50 documents a second was its limit.

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
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import InputError, OutputError, RdfError
from kg.pipeline import (
    DEFAULT_BATCH_SIZE,
    BuildReport,
    DocumentResolver,
    ResolutionMemory,
    _as_oxigraph,
    _nothing_read,
    _skipper,
    changed_documents,
    retract_gone,
)
from kg.records import Document, DocumentFacts

if TYPE_CHECKING:
    from distributed import Client, Future

    from kg.extract import Extractor
    from kg.iri import IriMinter
    from kg.resolve import Resolution
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
                writer = _ShardWriter(client, store, minter, folder, report, on_document)
                for index, (future, items) in enumerate(
                    _extracted(client, itertools.chain([head], parts), model)
                ):
                    writer.add(index, future, items)
                writer.finish()
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


def mint_partition(
    facts: list[DocumentFacts], resolutions: list[Resolution], base_iri: str
) -> tuple[bytes, bytes]:
    """A worker's second task: the partition's graphs as N-Quads, one named graph per
    document, and their union share as N-Triples, minted from the fact records it extracted
    and the resolutions the client made of them in document order, and checked as a store
    checks what it is given (``GraphStore.bulk_load_minted`` loads them as they are)."""
    from kg.iri import IriMinter
    from kg.rdf import document_triples
    from kg.store import OxigraphTerms, checked_triples

    minter, term = IriMinter(base_iri), OxigraphTerms()
    quads: list[ox.Quad] = []
    union: list[ox.Triple] = []
    for item, resolution in zip(facts, resolutions, strict=True):
        name = ox.NamedNode(minter.graph(item.document.id))
        minted = _as_oxigraph(document_triples(item, resolution, minter), term)
        for s, p, o in checked_triples(minted, name):
            if type(s) is ox.BlankNode or type(o) is ox.BlankNode:
                raise RdfError(
                    f"document {item.document.id!r}: kg mints no blank nodes, got {s} {p} {o}"
                )
            quads.append(ox.Quad(s, p, o, name))
            union.append(ox.Triple(s, p, o))
    return (
        ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
        ox.serialize(union, format=ox.RdfFormat.N_TRIPLES),
    )


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
) -> Iterator[tuple[Future, list[tuple[DocumentFacts, str]]]]:
    """Each partition's fact records with their hashes, in order, and the future that holds
    them on a worker; with a bounded number of partitions submitted ahead so that the
    client never holds the corpus."""
    ahead = _IN_FLIGHT_PER_WORKER * _worker_count(client)
    pending: deque[tuple[Future, list[str]]] = deque()
    try:
        for part in itertools.chain(parts, [None]):
            if part is not None:
                documents = [document for document, _ in part]
                future = client.submit(extract_partition, documents, model, pure=False)
                pending.append((future, [digest for _, digest in part]))
            while pending and (part is None or len(pending) >= ahead):
                future, digests = pending.popleft()
                yield future, list(zip(future.result(), digests, strict=True))
    finally:
        for future, _ in pending:
            future.cancel()


def _worker_count(client: Client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


@dataclass(frozen=True, slots=True)
class _Minting:
    """A partition resolved on the client, its graphs being minted on a worker."""

    index: int
    future: Future
    items: list[tuple[DocumentFacts, str]]
    learnt: dict[str, tuple[str, str]]
    aliases: dict[str, str]


class _ShardWriter:
    """Resolves partitions in order, has a worker mint each one's graphs, and writes and
    loads the shards in the same order, a few partitions behind the resolving so that the
    workers never wait for the client."""

    def __init__(
        self,
        client: Client,
        store: GraphStore,
        minter: IriMinter,
        folder: Path,
        report: BuildReport,
        on_document: Callable[[Document], None] | None,
    ) -> None:
        from kg.store import LearntEntities

        self.client = client
        self.store = store
        self.minter = minter
        self.folder = folder
        self.report = report
        self.on_document = on_document
        self.ahead = _worker_count(client)
        self.minting: deque[_Minting] = deque()
        self.pending: dict[str, tuple[str, str]] = {}  # learnt by partitions not yet loaded
        entities = LearntEntities(store, self.pending)
        self.resolver = DocumentResolver(ResolutionMemory(entities, store._aliases()))

    def add(self, index: int, future: Future, items: list[tuple[DocumentFacts, str]]) -> None:
        """Resolve a partition and send its resolutions to the worker holding its facts."""
        resolutions: list[Resolution] = []
        learnt: dict[str, tuple[str, str]] = {}
        aliases: dict[str, str] = {}
        for item, _ in items:
            resolution, taught = self.resolver.resolve(item)
            resolutions.append(resolution)
            learnt.update(taught.entities)
            aliases.update(taught.aliases)
        self.pending.update(learnt)
        minted = self.client.submit(
            mint_partition, future, resolutions, self.minter.base, pure=False, priority=1
        )
        self.minting.append(_Minting(index, minted, items, learnt, aliases))
        while len(self.minting) > self.ahead:
            self._load(self.minting.popleft())

    def finish(self) -> None:
        while self.minting:
            self._load(self.minting.popleft())

    def _load(self, minting: _Minting) -> None:
        from kg.rdfio import atomic_write

        graphs, union = minting.future.result()
        atomic_write(self.folder / f"part-{minting.index:06d}.nq", lambda out: out.write(graphs))
        hashes = {item.document.id: digest for item, digest in minting.items}
        self.store.bulk_load_minted(
            graphs, union, hashes, entities=minting.learnt, aliases=minting.aliases
        )
        for key in minting.learnt:
            self.pending.pop(key, None)  # the store answers for it now
        for item, _ in minting.items:
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

"""A kg graph on disk: a pyoxigraph (RocksDB) store with one named graph per document.

A file build rewrites the whole graph; a store is built incrementally (``kg.pipeline.
build_store``): a rerun processes only new or changed documents, and each document's graph
is replaced or retracted on its own. A store is a folder::

    kg-store.json   marks the folder as a kg store (and its layout version)
    kg.lock         the writer lock (``fcntl.flock``), holding the writer's pid
    oxigraph/       the RocksDB database

Inside the database:

- one named graph per document, ``{base}graph/{doc id slug}``, holding exactly what a file
  build writes for that document (``ontologies/README.md``);
- the default graph: the union of the document graphs, each triple once. It is what an
  rdflib ``Dataset(default_union=True)`` shows as its default graph, so SPARQL reads the
  union with set semantics (pyoxigraph's ``use_default_graph_as_union`` would repeat a
  triple once for every document that states it: INTERPOL's label once per article);
- the metadata graph ``META_GRAPH``: the base IRI, each document's id and build hash (what
  decides whether a rerun must process it again), and what entity resolution learnt
  (``kg.pipeline.ResolutionMemory``), so that a document resolves the same whichever
  documents were built before it in the same run or in earlier ones. Queries through
  ``kg.query`` never see it.

pyoxigraph keeps every subtype of xsd:integer as xsd:integer (and xsd:dateTimeStamp as
xsd:dateTime). kg writes one such type, xsd:nonNegativeInteger for NIF character offsets:
``to_dataset`` gives it back (by predicate), query results hold the same numbers either way,
and any other literal whose datatype the store would change is refused, never changed.

Writes keep each document whole: an interrupted build leaves every document either as it
was (or absent) or complete. A build writes through a ``DocumentWriter``:

- new documents, whose writes only add, go in batches of about ``BATCH_QUADS`` quads, each
  batch one ``Store.bulk_extend`` of the documents' graphs, their share of the union and
  then their records (id, content hash, what resolving them taught). A bulk load is not a
  transaction, but a batch far below pyoxigraph's bulk-load batch (1M quads) is one RocksDB
  file ingestion, which lands whole or not at all; and should a load ever stop half-way,
  the records come last, so a graph without a record is what it leaves: the next writer
  retracts such graphs (``GraphStore._repair``) and the build processes their documents
  again, as it does every document without a record;
- a changed document (or one that re-teaches an alias) is one SPARQL Update request, one
  transaction: its old graph and its union share retracted (a union triple stays while
  another document states it), the new graph, share and records written.

Bulk loads write files; transactions fill RocksDB's in-memory tables, which the writer
flushes every ``_FLUSH_BYTES`` of requests, so a long build's memory stays flat (left alone,
they grow by hundreds of MB and each insert into them gets slower).

One writer at a time: the writer holds an exclusive ``flock`` on ``kg.lock`` (and RocksDB
its own ``LOCK``); a second writer gets ``StoreLockedError`` naming the first one's pid.
Readers (``read_only=True``) never open the writer's database, whose read-only opening during
a write pyoxigraph leaves undefined: closing a writer publishes a checkpoint of it
(``snapshots/N/``, named by ``snapshot.json``; ``kg.snapshot``), and readers open the latest
one. So a reader never blocks a writer and sees whole builds as they were when it opened: the
last closed build, never one in progress (a writer killed mid-build leaves the previous one).
A store without a snapshot yet (made by an older kg) is read directly when no writer is
active, else ``StoreLockedError``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import InputError, OutputError, RdfError, StoreLockedError
from kg.iri import DEFAULT_BASE, IriMinter
from kg.vocab import XSD_INTEGER_SUBTYPES

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: RocksDB's own LOCK still guards the store
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from rdflib import Dataset

STORE_MARKER = "kg-store.json"
LOCK_FILE = "kg.lock"
DATABASE = "oxigraph"
LAYOUT_VERSION = 1
META_GRAPH = "https://w3id.org/kgnews/graph/_kg-meta"
"""The metadata graph. Minted document graphs never contain ``_``, so no document takes it."""
KGS = "https://w3id.org/kgnews/store#"
"""kg's bookkeeping terms, used only inside ``META_GRAPH``."""

BATCH_QUADS = 50_000
"""Document quads a ``DocumentWriter`` gathers before bulk-loading them (with their union
share and records, about twice as many): far below pyoxigraph's 1M-quad bulk-load batch, so
each batch is one ingestion, and about 170 documents of the synthetic benchmark corpus."""
LOAD_QUADS = 100_000
"""Quads ``bulk_load_documents`` hands pyoxigraph's bulk loader at a time (with their union
copies). Its own batch is a million quads, held in memory while it sorts them for each
index: 1M quads of the benchmark graph peaked at 1.9 GB in one go, 780 MB in chunks of
250,000 and 310 MB in chunks of 100,000, for about 15% more CPU time."""
ENTITY_CACHE = 100_000
"""Entities of the resolution memory a build keeps at hand (``LearntEntities``): a few tens
of MB; past it the cache starts over and entities are looked up in the store again."""
_FLUSH_BYTES = 32 << 20
"""Bytes of SPARQL Update after which the writer flushes RocksDB's in-memory tables."""
_READ_ONLY_ATTEMPTS = 5
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_XSD_INTEGER = _XSD + "integer"
_NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
_RESTORED = {
    _NIF + "beginIndex": _XSD + "nonNegativeInteger",
    _NIF + "endIndex": _XSD + "nonNegativeInteger",
}
"""Predicate -> the integer subtype its literals had before pyoxigraph made them xsd:integer."""
_CHANGED_BY_STORE = {*XSD_INTEGER_SUBTYPES, _XSD + "dateTimeStamp"}
"""Datatypes pyoxigraph keeps as another (xsd:integer, xsd:dateTime)."""
_META = ox.NamedNode(META_GRAPH)
_BASE_IRI = ox.NamedNode(KGS + "baseIri")
_DOCUMENT_ID = ox.NamedNode(KGS + "documentId")
_BUILD_HASH = ox.NamedNode(KGS + "buildHash")
_ENTITY_KEY = ox.NamedNode(KGS + "entityKey")
_ENTITY_KIND = ox.NamedNode(KGS + "entityKind")
_ENTITY_LABEL = ox.NamedNode(KGS + "entityLabel")
_ALIAS_NAME = ox.NamedNode(KGS + "aliasName")
_ALIAS_PARENT = ox.NamedNode(KGS + "aliasParent")

# The document's triples that no other document states leave the union; then its graph and
# its metadata go. {g} is the document graph, {meta} the metadata graph, both as <IRI>.
_RETRACT = """DELETE {{ ?s ?p ?o }} WHERE {{
  GRAPH {g} {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != {g}) }}
}} ;
DROP SILENT GRAPH {g} ;
DELETE WHERE {{ GRAPH {meta} {{ {g} ?mp ?mo }} }}"""


DocumentGraph = Graph | Iterable[ox.Quad] | Iterable[tuple[object, object, object]]
"""A document's graph as a store takes it: an rdflib graph, pyoxigraph quads, or triples
of pyoxigraph terms (what a build writes: no quad objects to make only to take apart)."""


class GraphStore:
    """A kg graph in an on-disk pyoxigraph (RocksDB) store: one named graph per document.

    Open it with ``GraphStore.open``; use it as a context manager or ``close`` it, which
    releases the writer lock. Query it through ``kg.query.run_query`` / ``run_named``
    (which read the union with set semantics and hide the metadata graph) rather than
    through ``store`` directly.
    """

    def __init__(self, path: Path, store: ox.Store, lock: int | None, read_only: bool) -> None:
        self.path = path
        self.read_only = read_only
        self._store: ox.Store | None = store
        self._lock = lock
        recorded = next(store.quads_for_pattern(_META, _BASE_IRI, None, _META), None)
        self._base = recorded.object.value if recorded is not None else None
        self._repaired = False
        self._unflushed = 0  # bytes of updates since RocksDB's in-memory tables were flushed

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "writable"
        return f"GraphStore({str(self.path)!r}, {mode})"

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False, read_only: bool = False) -> GraphStore:
        """Open the store at ``path``; ``create`` makes the folder (new or empty) a store.

        A writable store takes the writer lock (``StoreLockedError`` when another process
        holds it); ``read_only`` opens the latest published snapshot and holds a shared lock
        on it, so no writer deletes it while it is open. A folder that is not a kg store is
        an ``InputError``, whatever else it holds.
        """
        path = Path(path)
        if create and read_only:
            raise ValueError("a store cannot be created read-only")
        if not is_store(path):
            if not create:
                raise InputError(_not_a_store(path))
            _make_store_folder(path)
        _check_layout(path)
        if read_only:
            store, snapshot_lock = _open_read_only(path)
            return cls(path, store, snapshot_lock, True)
        lock = _take_lock(path)
        try:
            store = _open_writable(path)
        except BaseException:
            os.close(lock)
            raise
        return cls(path, store, lock, False)

    def close(self) -> None:
        """Close the database and release the lock. Idempotent.

        A writer then publishes a snapshot for readers (``kg.snapshot.publish``, an
        ``OutputError`` if it cannot; the lock is released all the same); a reader's lock is
        the shared one on its snapshot."""
        from kg.snapshot import publish

        store, self._store = self._store, None
        lock, self._lock = self._lock, None
        writer = store is not None and not self.read_only
        if writer:
            with contextlib.suppress(OSError):
                store.flush()
        del store  # the last reference: RocksDB closes and drops its LOCK
        try:
            if writer:
                publish(self.path)
        finally:
            if lock is not None:
                os.close(lock)  # closing the descriptor releases the flock

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def store(self) -> ox.Store:
        """The pyoxigraph store. Its default graph is the union of the document graphs;
        do not keep it past ``close``, or RocksDB stays locked until it is collected."""
        if self._store is None:
            raise InputError(f"{self.path}: the store is closed")
        return self._store

    @property
    def base_iri(self) -> str:
        """The base IRI the store's documents were minted under (kg's default until the
        first document fixes it)."""
        return self._base or DEFAULT_BASE

    def documents(self) -> dict[str, str]:
        """Document id -> content hash, as recorded in the store, sorted by id."""
        ids = self._meta_values(_DOCUMENT_ID)
        hashes = self._meta_values(_BUILD_HASH)
        return dict(sorted((doc_id, hashes.get(node, "")) for node, doc_id in ids.items()))

    def document_hash(self, doc_id: str) -> str | None:
        """The content hash recorded for ``doc_id`` ("" when none is), or None when the store
        holds no such document: two index lookups, where ``documents`` reads every record,
        so that a build's memory does not grow with the store."""
        store = self.store
        for record in store.quads_for_pattern(None, _DOCUMENT_ID, ox.Literal(doc_id), _META):
            for quad in store.quads_for_pattern(record.subject, _BUILD_HASH, None, _META):
                return quad.object.value
            return ""
        return None

    def learnt_entity(self, key: str) -> tuple[str, str] | None:
        """What resolution learnt of the entity ``key``: (kind, preferred label), or None."""
        entry = ox.NamedNode(f"{META_GRAPH}#entity-{_digest(key)}")
        values = {
            quad.predicate: quad.object.value
            for quad in self.store.quads_for_pattern(entry, None, None, _META)
        }
        kind, label = values.get(_ENTITY_KIND), values.get(_ENTITY_LABEL)
        if values.get(_ENTITY_KEY) != key or kind is None or label is None:
            return None
        return kind, label

    def replace_document(self, doc_id: str, graph: DocumentGraph, content_hash: str) -> None:
        """Make ``graph`` the document's named graph and record ``content_hash``, in one
        transaction. ``graph`` is an rdflib graph, pyoxigraph quads (in the default graph
        or the document's own) or ``(subject, predicate, object)`` tuples of pyoxigraph
        terms; whatever the document's graph held before is gone."""
        self._write(doc_id, graph, content_hash)

    def remove_document(self, doc_id: str) -> bool:
        """Retract a document's graph and its hash in one transaction; False when absent."""
        if self.document_hash(doc_id) is None:
            return False
        self._retract([doc_id])
        return True

    def quad_count(self) -> int:
        """The number of quads in the document graphs (the union and metadata not counted)."""
        query = (
            f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{META_GRAPH}>) }}"
        )
        (solution,) = self.store.query(query)
        return int(solution[0].value)

    def to_dataset(self) -> Dataset:
        """The document graphs copied into a new rdflib ``Dataset`` (for small stores)."""
        from kg.rdf import new_dataset

        dataset = new_dataset()
        graphs: dict[str, Graph] = {}
        for quad in self.store.quads_for_pattern(None, None, None, None):
            name = quad.graph_name
            if isinstance(name, ox.DefaultGraph) or name == _META:
                continue
            graph = graphs.get(name.value)
            if graph is None:
                graph = graphs[name.value] = dataset.graph(URIRef(name.value))
            obj = to_rdflib(_restored(quad.predicate, quad.object))
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), obj))
        return dataset

    # --- used by kg.pipeline ------------------------------------------------------------

    def _bind_base(self, base_iri: str | None) -> IriMinter:
        """The minter for this store's documents; a store keeps the base it was built with."""
        minter = IriMinter(base_iri) if base_iri else IriMinter(self.base_iri)
        if self._base is not None and minter.base != self._base:
            raise InputError(
                f"{self.path} holds documents minted under {self._base}, not {minter.base}; "
                "build into a new store to change the base IRI"
            )
        self._base = minter.base
        return minter

    def _memory(self) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """What resolution learnt: entity key -> (kind, preferred label), and the operation
        alias table (name -> parent name)."""
        keys = self._meta_values(_ENTITY_KEY)
        kinds = self._meta_values(_ENTITY_KIND)
        labels = self._meta_values(_ENTITY_LABEL)
        entities = {key: (kinds[node], labels[node]) for node, key in keys.items()}
        return entities, self._aliases()

    def _aliases(self) -> dict[str, str]:
        """The operation-name alias table resolution learnt (name -> parent name): one entry
        per operation name with aliases, few enough to hold whole."""
        names = self._meta_values(_ALIAS_NAME)
        parents = self._meta_values(_ALIAS_PARENT)
        return {name: parents[node] for node, name in names.items()}

    def _write(
        self,
        doc_id: str,
        graph: DocumentGraph,
        content_hash: str,
        *,
        entities: Mapping[str, tuple[str, str]] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """``replace_document``, with what resolving the document taught, in one request."""
        _check_hash(content_hash)
        self._check_writable()
        minter = IriMinter(self.base_iri)
        name = ox.NamedNode(minter.graph(doc_id))
        triples = "\n".join(f"{s} {p} {o} ." for s, p, o in checked_triples(graph, name))
        node = f"<{name.value}>"
        meta = [
            f"<{META_GRAPH}> <{_BASE_IRI.value}> {_string(self.base_iri)} .",
            f"{node} <{_DOCUMENT_ID.value}> {_string(doc_id)} .",
            f"{node} <{_BUILD_HASH.value}> {_string(content_hash)} .",
        ]
        replaced, learnt = _memory_entries(entities or {}, aliases or {})
        meta += learnt
        operations = [_RETRACT.format(g=node, meta=f"<{META_GRAPH}>")]
        operations += [f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {e} ?p ?o }} }}" for e in replaced]
        # the triples twice: into the document graph and into the default graph (the union,
        # where a triple another document states is already present and stays once)
        operations.append(
            f"INSERT DATA {{\nGRAPH {node} {{\n{triples}\n}}\n{triples}\n"
            f"GRAPH <{META_GRAPH}> {{\n" + "\n".join(meta) + "\n}\n}"
        )
        self._update(" ;\n".join(operations))
        self._base = self.base_iri

    def writer(self) -> DocumentWriter:
        """A ``DocumentWriter`` for a build into this store; use it as a context manager."""
        return DocumentWriter(self, BATCH_QUADS)

    def bulk_load_documents(
        self,
        shard: str | Path,
        hashes: Mapping[str, str],
        *,
        entities: Mapping[str, tuple[str, str]] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> int:
        """Load an N-Quads shard holding the whole graphs of the documents in ``hashes``
        (doc id -> content hash) with pyoxigraph's bulk loader; the number of quads loaded.

        Much faster than ``replace_document`` per document, but not one transaction, so it
        goes in three steps: the documents' old graphs and hashes are retracted (one
        transaction), the shard is bulk-loaded into their graphs and the union, ``LOAD_QUADS``
        quads at a time so that memory stays bounded whatever the shard's size, and only then
        are their hashes and what resolving them taught recorded (one transaction). A load
        cut short leaves graphs without a record, which the next writer retracts and the next
        build processes again. A quad in a graph that is not one of these documents', or a
        literal the store would change, is refused before anything changes (the shard is
        read twice: once to check it, once to load it).
        """
        self._check_writable()
        names = self._graph_names(hashes)
        for _ in self._shard_quads(shard, names):
            pass
        self._clear_for_load(hashes)
        loaded = 0
        quads = self._shard_quads(shard, names)
        while chunk := list(itertools.islice(quads, LOAD_QUADS)):
            self._bulk_add(chunk, [])
            loaded += len(chunk)
        self._record_load(names, hashes, entities or {}, aliases or {})
        return loaded

    def bulk_load_minted(
        self,
        graphs: bytes,
        union: bytes,
        hashes: Mapping[str, str],
        *,
        entities: Mapping[str, tuple[str, str]],
        aliases: Mapping[str, str],
    ) -> None:
        """``bulk_load_documents`` for graphs kg itself minted and checked
        (``kg.scale.dask.mint_partition``): the documents' graphs as N-Quads and their union
        share as N-Triples, handed to pyoxigraph's loader as they are, with no Python object
        per quad and no second reading. Each is one load, so their size (a partition's) is
        what bounds the loader's memory; they must hold no blank node, which pyoxigraph
        would name anew in each load.
        """
        self._check_writable()
        names = self._graph_names(hashes)
        self._clear_for_load(hashes)
        try:
            self.store.bulk_load(graphs, ox.RdfFormat.N_QUADS)
            self.store.bulk_load(union, ox.RdfFormat.N_TRIPLES)
        except (OSError, SyntaxError) as exc:
            raise OutputError(f"cannot write to store {self.path}: {_one_line(exc)}") from exc
        self._record_load(names, hashes, entities, aliases)

    def _graph_names(self, hashes: Mapping[str, str]) -> dict[ox.NamedNode, str]:
        minter = IriMinter(self.base_iri)
        return {ox.NamedNode(minter.graph(doc_id)): doc_id for doc_id in hashes}

    def _clear_for_load(self, hashes: Mapping[str, str]) -> None:
        """Before a bulk load: what an earlier load cut short left, and the documents' old
        graphs and records, go (one transaction each)."""
        self._repair()
        self._retract([doc_id for doc_id in hashes if self.document_hash(doc_id) is not None])

    def _record_load(
        self,
        names: Mapping[ox.NamedNode, str],
        hashes: Mapping[str, str],
        entities: Mapping[str, tuple[str, str]],
        aliases: Mapping[str, str],
    ) -> None:
        """After a bulk load: the documents' ids and hashes, and what resolving them taught,
        in one transaction; until it lands, the loaded graphs have no record."""
        meta = [f"<{META_GRAPH}> <{_BASE_IRI.value}> {_string(self.base_iri)} ."]
        for name, doc_id in names.items():
            meta.append(f"<{name.value}> <{_DOCUMENT_ID.value}> {_string(doc_id)} .")
            meta.append(f"<{name.value}> <{_BUILD_HASH.value}> {_string(hashes[doc_id])} .")
        replaced, learnt = _memory_entries(entities, aliases)
        operations = [f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {e} ?p ?o }} }}" for e in replaced]
        operations.append(
            f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{\n" + "\n".join(meta + learnt) + "\n} }"
        )
        self._update(" ;\n".join(operations))
        self._base = self.base_iri

    def _shard_quads(
        self, shard: str | Path, names: Mapping[ox.NamedNode, str]
    ) -> Iterator[ox.Quad]:
        """The shard's quads, each checked: in one of ``names``' graphs, no literal the store
        would change."""
        try:
            for quad in ox.parse(path=str(shard), format=ox.RdfFormat.N_QUADS):
                if quad.graph_name not in names:
                    raise RdfError(
                        f"{shard}: expected quads in the graphs of {len(names)} documents, "
                        f"got one in {quad.graph_name}"
                    )
                obj = quad.object
                if isinstance(obj, ox.Literal) and not _keeps(
                    quad.predicate.value, obj.datatype.value
                ):
                    next(checked_triples([quad], quad.graph_name))  # raises the refusal
                yield quad
        except (OSError, SyntaxError) as exc:
            raise RdfError(f"cannot read shard {shard}: {_one_line(exc)}") from exc

    def _bulk_add(
        self, quads: list[ox.Quad], records: list[ox.Quad], union: Iterable[ox.Quad] | None = None
    ) -> None:
        """Add document graphs' quads, each also to the union (``union``, when the caller
        made those quads already), and then ``records`` to the metadata graph, with one
        pyoxigraph bulk load (see the module docstring for why the records come last)."""
        self._check_writable()
        if union is None:
            union = (ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        if records:
            records = [ox.Quad(_META, _BASE_IRI, ox.Literal(self.base_iri), _META), *records]
        try:
            self.store.bulk_extend(itertools.chain(quads, union, records))
        except OSError as exc:
            raise OutputError(f"cannot write to store {self.path}: {_one_line(exc)}") from exc
        if records:
            self._base = self.base_iri

    def _repair(self) -> None:
        """Retract the document graphs that no record owns: what a bulk load cut short left
        behind (``bulk_load_documents``, a ``DocumentWriter`` batch). Their documents have no
        recorded hash, so the next build processes them again. Once per writable opening."""
        if self._repaired:
            return
        self._check_writable()
        owned = set(self._meta_values(_DOCUMENT_ID))
        orphans = [g for g in self.store.named_graphs() if g != _META and g not in owned]
        if orphans:
            meta = f"<{META_GRAPH}>"
            self._update(" ;\n".join(_RETRACT.format(g=f"<{g.value}>", meta=meta) for g in orphans))
        self._repaired = True

    def _retract(self, doc_ids: Iterable[str]) -> None:
        """Retract several documents in one transaction."""
        self._check_writable()
        minter = IriMinter(self.base_iri)
        graphs = [f"<{minter.graph(doc_id)}>" for doc_id in doc_ids]
        if graphs:
            meta = f"<{META_GRAPH}>"
            self._update(" ;\n".join(_RETRACT.format(g=g, meta=meta) for g in graphs))

    def _update(self, request: str) -> None:
        try:
            self.store.update(request)
            self._unflushed += len(request)
            if self._unflushed >= _FLUSH_BYTES:
                self._unflushed = 0
                self.store.flush()
        except (OSError, RuntimeError, SyntaxError, ValueError) as exc:
            raise OutputError(f"cannot write to store {self.path}: {exc}") from exc

    def _check_writable(self) -> None:
        if self.read_only:
            raise OutputError(f"cannot write to store {self.path}: it is open read-only")

    def _meta_values(self, predicate: ox.NamedNode) -> dict[ox.NamedNode, str]:
        quads = self.store.quads_for_pattern(None, predicate, None, _META)
        return {quad.subject: quad.object.value for quad in quads}


class DocumentWriter:
    """Writes a build's documents into a store, in as few commits as keep each one whole.

    A new document whose writes only add (its graph, its union share, its record and what
    resolving it taught, no entry the store already holds) waits in a batch, written with
    one bulk load (``GraphStore._bulk_add``) once it holds ``batch_quads`` quads, before any
    other write, and when the writer closes: also when the build fails, so the documents
    finished before a failure are kept; a killed build loses at most the batch. A changed
    document, or one that re-teaches an entry of the resolution memory, is written on its
    own in one transaction (``GraphStore._write``), after the batch, so that writes keep
    their order. Opening a writer first repairs what an interrupted bulk load left.

    Whether a document or an entity is already recorded is asked of the store, one lookup
    at a time, and of the batch: the writer holds nothing that grows with the store.
    ``entities`` is the resolution memory to resolve the writer's documents against.
    """

    def __init__(self, store: GraphStore, batch_quads: int = BATCH_QUADS) -> None:
        store._repair()
        self._store = store
        self._batch_quads = batch_quads
        self._minter = IriMinter(store.base_iri)
        self._alias_names = set(store._aliases())
        self._batch_ids: set[str] = set()
        self._batch_entities: dict[str, tuple[str, str]] = {}
        self._quads: list[ox.Quad] = []
        self._union: list[ox.Quad] = []
        self._records: list[ox.Quad] = []
        self.entities = LearntEntities(store, self._batch_entities)

    def __enter__(self) -> DocumentWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.commit()

    def write(
        self,
        doc_id: str,
        graph: DocumentGraph,
        content_hash: str,
        *,
        entities: Mapping[str, tuple[str, str]] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """``GraphStore.replace_document`` with what resolving the document taught, batched
        when it only adds; refused quads (``RdfError``) leave the batch as it was."""
        _check_hash(content_hash)
        entities, aliases = entities or {}, aliases or {}
        if (
            self._recorded(doc_id)
            or any(map(self._knows, entities))
            or not self._alias_names.isdisjoint(aliases)
        ):
            self.commit()
            self._store._write(doc_id, graph, content_hash, entities=entities, aliases=aliases)
        else:
            name = ox.NamedNode(self._minter.graph(doc_id))
            triples = list(checked_triples(graph, name))  # checked whole before the batch grows
            self._quads += [ox.Quad(s, p, o, name) for s, p, o in triples]
            self._union += [ox.Quad(s, p, o) for s, p, o in triples]
            self._records += _record_quads(name, doc_id, content_hash, entities, aliases)
            self._batch_ids.add(doc_id)
            self._batch_entities.update(entities)
        self._alias_names.update(aliases)
        if len(self._quads) >= self._batch_quads:
            self.commit()

    def commit(self) -> None:
        """Write the batch now (nothing when it is empty)."""
        quads, union, records = self._quads, self._union, self._records
        self._quads, self._union, self._records = [], [], []
        if records:
            self._store._bulk_add(quads, records, union)
        self._batch_ids.clear()
        self._batch_entities.clear()  # in place: ``entities`` reads it

    def _recorded(self, doc_id: str) -> bool:
        return doc_id in self._batch_ids or self._store.document_hash(doc_id) is not None

    def _knows(self, key: str) -> bool:
        return key in self._batch_entities or self._store.learnt_entity(key) is not None


class LearntEntities:
    """The entities of the resolution memory (key -> (kind, preferred label)) as a store
    records them, for ``kg.pipeline.DocumentResolver``: looked up one at a time, through a
    bounded cache, and in ``pending`` (what documents not yet written taught), so that a
    build's memory does not grow with every entity the store ever learnt, as a dict of them
    all would."""

    def __init__(
        self,
        store: GraphStore,
        pending: Mapping[str, tuple[str, str]],
        limit: int = ENTITY_CACHE,
    ) -> None:
        self._store = store
        self._pending = pending
        self._cache: dict[str, tuple[str, str] | None] = {}
        self._limit = limit

    def get(self, key: str) -> tuple[str, str] | None:
        value = self._pending.get(key)
        if value is not None:
            return value
        if key in self._cache:
            return self._cache[key]
        value = self._store.learnt_entity(key)
        self._remember(key, value)
        return value

    def __setitem__(self, key: str, value: tuple[str, str]) -> None:
        self._remember(key, value)

    def _remember(self, key: str, value: tuple[str, str] | None) -> None:
        if len(self._cache) >= self._limit:
            self._cache.clear()  # as OxigraphTerms: starting over costs less than an LRU
        self._cache[key] = value


def is_store(path: Path) -> bool:
    """Whether ``path`` is a folder that kg made into a store."""
    path = Path(path)
    return path.is_dir() and (path / STORE_MARKER).is_file()


def open_source(path: str | Path) -> Dataset | GraphStore:
    """What ``kg query`` reads: a graph file as an rdflib dataset, or a store (read-only)."""
    from kg.rdfio import load_dataset

    path = Path(path)
    if path.is_dir():
        if is_store(path):
            return GraphStore.open(path, read_only=True)
        raise InputError(_not_a_store(path))
    if not path.exists():
        raise InputError(f"no graph file or kg store at {path}")
    return load_dataset(path)


def remove_documents(path: str | Path, doc_ids: Iterable[str]) -> list[str]:
    """Retract documents from the store at ``path``, all in one transaction.

    Any id the store does not hold is an ``InputError`` and nothing is removed.
    """
    path = Path(path)
    wanted = list(dict.fromkeys(doc_ids))
    if not wanted:
        raise InputError("expected at least one document id to remove")
    if not is_store(path):
        raise InputError(_not_a_store(path))
    with GraphStore.open(path) as store:
        known = store.documents()
        unknown = [doc_id for doc_id in wanted if doc_id not in known]
        if unknown:
            held = f"it holds {len(known)}" if known else "it holds none"
            listed = ", ".join(map(repr, unknown))
            raise InputError(f"{path} holds no document {listed}; nothing removed ({held})")
        store._retract(wanted)
    return wanted


# --- terms -------------------------------------------------------------------------------


def to_rdflib(term: object, *, keep_lexical: bool = False) -> object:
    """A pyoxigraph term as the rdflib term kg's rdflib code would hold; ``keep_lexical``
    keeps a typed literal's lexical form as stored ("007" stays "007", as an endpoint must
    answer it) instead of rdflib's normalised one."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=not keep_lexical)
    if term is None:
        return None
    raise RdfError(f"expected an IRI, blank node or literal, got {term!r}")


def to_oxigraph(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise RdfError(f"expected an IRI, blank node or literal, got {term!r}")


class OxigraphTerms:
    """``to_oxigraph`` with IRIs remembered, for writing many graphs: building (and checking)
    a pyoxigraph IRI takes ~1 µs, looking one up ~0.1 µs, and a document's IRIs (predicates,
    classes, entities, datatypes) recur in every graph. The memory is bounded: it starts over
    past ``limit`` IRIs."""

    def __init__(self, limit: int = 100_000) -> None:
        self._iris: dict[URIRef, ox.NamedNode] = {}
        self._limit = limit

    def __call__(self, term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if type(term) is URIRef:
            node = self._iris.get(term)
            if node is None:
                if len(self._iris) >= self._limit:
                    self._iris.clear()
                node = self._iris[term] = ox.NamedNode(term)
            return node
        if type(term) is Literal and term.datatype is not None and not term.language:
            return ox.Literal(str(term), datatype=self(term.datatype))
        return to_oxigraph(term)


def checked_triples(
    graph: DocumentGraph, name: ox.NamedNode
) -> Iterator[tuple[object, object, object]]:
    """The graph's triples as pyoxigraph terms; a quad naming another graph is refused, and
    so is a literal the store would keep with another datatype."""
    if isinstance(graph, Graph):
        triples = ((to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph)
    else:
        triples = (_triple_of(quad, name) for quad in graph)
    for s, p, o in triples:
        if isinstance(o, ox.Literal) and not _keeps(p.value, o.datatype.value):
            raise RdfError(
                f"cannot store {p} {o}: pyoxigraph keeps it with another datatype "
                f"(every integer subtype as xsd:integer); kg's store restores only "
                f"xsd:nonNegativeInteger character offsets (nif:beginIndex, nif:endIndex)"
            )
        yield s, p, o


def _triple_of(quad: object, name: ox.NamedNode) -> tuple[object, object, object]:
    if type(quad) is tuple and len(quad) == 3 and _is_triple(*quad):
        return quad
    if not isinstance(quad, ox.Quad):
        raise RdfError(f"expected pyoxigraph quads or (subject, predicate, object), got {quad!r}")
    if not (isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name == name):
        raise RdfError(
            f"expected quads of the document graph <{name.value}>, got one in <{quad.graph_name}>"
        )
    return quad.subject, quad.predicate, quad.object


def _is_triple(subject: object, predicate: object, obj: object) -> bool:
    """Whether three values are pyoxigraph terms that make a triple."""
    return (
        isinstance(subject, (ox.NamedNode, ox.BlankNode))
        and isinstance(predicate, ox.NamedNode)
        and isinstance(obj, (ox.NamedNode, ox.BlankNode, ox.Literal))
    )


def _keeps(predicate: str, datatype: str) -> bool:
    """Whether the store gives back a literal of ``datatype`` on ``predicate`` as it was."""
    restored = _RESTORED.get(predicate)
    if restored is not None:
        return datatype not in (_XSD_INTEGER, *_CHANGED_BY_STORE) or datatype == restored
    return datatype not in _CHANGED_BY_STORE


def _restored(predicate: object, obj: object) -> object:
    """A literal with the datatype it had before the store made it xsd:integer."""
    if isinstance(obj, ox.Literal) and obj.datatype.value == _XSD_INTEGER:
        restored = _RESTORED.get(getattr(predicate, "value", ""))
        if restored is not None:
            return ox.Literal(obj.value, datatype=ox.NamedNode(restored))
    return obj


def _memory_entries(
    entities: Mapping[str, tuple[str, str]], aliases: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """What resolution learnt as metadata: the entry nodes it replaces, and their triples."""
    replaced: list[str] = []
    triples: list[str] = []
    for key, (kind, label) in entities.items():
        entry = f"<{META_GRAPH}#entity-{_digest(key)}>"
        replaced.append(entry)
        triples.append(
            f"{entry} <{_ENTITY_KEY.value}> {_string(key)} ; "
            f"<{_ENTITY_KIND.value}> {_string(kind)} ; "
            f"<{_ENTITY_LABEL.value}> {_string(label)} ."
        )
    for alias, parent in aliases.items():
        entry = f"<{META_GRAPH}#alias-{_digest(alias)}>"
        replaced.append(entry)
        triples.append(
            f"{entry} <{_ALIAS_NAME.value}> {_string(alias)} ; "
            f"<{_ALIAS_PARENT.value}> {_string(parent)} ."
        )
    return replaced, triples


def _record_quads(
    name: ox.NamedNode,
    doc_id: str,
    content_hash: str,
    entities: Mapping[str, tuple[str, str]],
    aliases: Mapping[str, str],
) -> list[ox.Quad]:
    """A new document's records as quads of the metadata graph: what ``_write`` inserts."""
    quads = [
        ox.Quad(name, _DOCUMENT_ID, ox.Literal(doc_id), _META),
        ox.Quad(name, _BUILD_HASH, ox.Literal(content_hash), _META),
    ]
    for key, (kind, label) in entities.items():
        entry = ox.NamedNode(f"{META_GRAPH}#entity-{_digest(key)}")
        quads.append(ox.Quad(entry, _ENTITY_KEY, ox.Literal(key), _META))
        quads.append(ox.Quad(entry, _ENTITY_KIND, ox.Literal(kind), _META))
        quads.append(ox.Quad(entry, _ENTITY_LABEL, ox.Literal(label), _META))
    for alias, parent in aliases.items():
        entry = ox.NamedNode(f"{META_GRAPH}#alias-{_digest(alias)}")
        quads.append(ox.Quad(entry, _ALIAS_NAME, ox.Literal(alias), _META))
        quads.append(ox.Quad(entry, _ALIAS_PARENT, ox.Literal(parent), _META))
    return quads


def _string(text: str) -> str:
    """A string literal in N-Triples (and so SPARQL) syntax, escaped by pyoxigraph."""
    return str(ox.Literal(text))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- the folder, the lock and the database -----------------------------------------------


def _not_a_store(path: Path) -> str:
    if not path.exists():
        return f"no kg store at {path}; kg build INPUT --store {path} makes one"
    return (
        f"{path} is not a kg store (no {STORE_MARKER}); expected a folder made by kg build --store"
    )


def _make_store_folder(path: Path) -> None:
    """Make ``path`` (missing or an empty folder) a store; never take over other data."""
    from kg.rdfio import atomic_write

    if path.exists() and not path.is_dir():
        raise InputError(f"cannot make a kg store at {path}: it is a file")
    if path.is_dir() and any(path.iterdir()):
        raise InputError(
            f"cannot make a kg store in {path}: the folder is not empty and not a kg store; "
            "give a new or empty folder"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create store folder {path}: {exc.strerror or exc}") from exc
    marker = {"format": "kg-store", "version": LAYOUT_VERSION}
    atomic_write(path / STORE_MARKER, lambda out: out.write(json.dumps(marker).encode() + b"\n"))


def _check_layout(path: Path) -> None:
    try:
        marker = json.loads((path / STORE_MARKER).read_text(encoding="utf-8"))
        version = marker["version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: unreadable {STORE_MARKER}: {exc}") from exc
    if version != LAYOUT_VERSION:
        raise InputError(
            f"{path}: expected a kg store of layout {LAYOUT_VERSION}, got layout {version!r}"
        )


def _take_lock(path: Path) -> int:
    """The writer lock: an exclusive flock on ``kg.lock``, which then holds our pid."""
    try:
        fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot lock store {path}: {exc.strerror or exc}") from exc
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pid = _writer_pid(fd)
        os.close(fd)
        raise StoreLockedError(
            f"{path} is locked by another kg process (pid {pid}); "
            "wait for it to finish, or stop it, and run again"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _writer_pid(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
    return "unknown"


def _writer_active(path: Path) -> str | None:
    """The pid of the kg process writing the store ("unknown" if not said), else None."""
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fd = os.open(path / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _writer_pid(fd)
    else:
        return None
    finally:
        os.close(fd)  # also drops the shared lock, if taken


def _open_writable(path: Path) -> ox.Store:
    try:
        return ox.Store(str(path / DATABASE))
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(
                f"{path} is locked by another process ({_one_line(exc)}); "
                "wait for it to finish, or stop it, and run again"
            ) from None
        raise InputError(f"cannot open store {path}: {_one_line(exc)}") from exc


def _open_read_only(path: Path) -> tuple[ox.Store, int | None]:
    """The latest published snapshot and the descriptor of its shared lock; the database
    itself (no lock) only in a store without snapshots that no writer is building."""
    from kg.snapshot import open_latest

    latest = open_latest(path)
    if latest is not None:
        return latest
    database = path / DATABASE
    writer = _writer_active(path)
    if writer is not None:
        raise StoreLockedError(
            f"{path} is being built by kg process (pid {writer}) and has no snapshot for "
            "readers yet; query it when that build has finished"
        )
    if not (database / "CURRENT").is_file():
        raise InputError(f"{path}: the store has no database yet; build into it first")
    for attempt in range(_READ_ONLY_ATTEMPTS):
        try:
            return ox.Store.read_only(str(database)), None
        except (OSError, RuntimeError) as exc:
            writer = _writer_active(path)
            if writer is None:
                raise InputError(f"cannot open store {path}: {_one_line(exc)}") from exc
            if attempt == _READ_ONLY_ATTEMPTS - 1:
                raise StoreLockedError(
                    f"cannot read {path} while kg process (pid {writer}) writes it "
                    f"({_one_line(exc)}); run again when it has finished"
                ) from exc
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _check_hash(content_hash: object) -> None:
    """A document's record needs its content hash: without one a rerun would rebuild it."""
    if not isinstance(content_hash, str) or not content_hash:
        raise ValueError(f"expected a content hash string, got {content_hash!r}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"

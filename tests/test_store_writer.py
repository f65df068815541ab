"""Batched writes (``kg.store.DocumentWriter``) and bulk loads: the store they leave equals the
one that one transaction per document leaves, a changed document is still replaced whole,
and what a bulk load cut short leaves is repaired by the next writer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import RdfError
from kg.store import (
    META_GRAPH,
    DocumentWriter,
    GraphStore,
    LearntEntities,
    OxigraphTerms,
    to_oxigraph,
)
from tests.test_store import BASE, INTERPOL, doc_graph, graph_of, union

DOCS = {
    "alpha": ("INTERPOL", "Europol"),
    "beta": ("INTERPOL", "AFRIPOL"),
    "gamma": ("ASEANAPOL",),
    "delta": ("Europol", "ASEANAPOL"),
}


def everything(store: GraphStore) -> set[tuple[str, str, str, str]]:
    """Every quad, the union and the metadata graph included."""
    return {tuple(str(term) for term in quad) for quad in store.store}


def per_document(tmp_path: Path) -> set[tuple[str, str, str, str]]:
    """The store that one transaction per document (``replace_document``) leaves."""
    with GraphStore.open(tmp_path / "one-by-one", create=True) as store:
        for doc_id, labels in DOCS.items():
            store.replace_document(doc_id, doc_graph(doc_id, *labels), f"hash-{doc_id}")
        return everything(store)


@pytest.mark.parametrize("batch_quads", [1, 7, 10_000])
def test_batched_writes_leave_what_one_transaction_per_document_leaves(
    tmp_path: Path, batch_quads: int
) -> None:
    with GraphStore.open(tmp_path / "batched", create=True) as store:
        with DocumentWriter(store, batch_quads) as writer:
            for doc_id, labels in DOCS.items():
                writer.write(doc_id, doc_graph(doc_id, *labels), f"hash-{doc_id}")
        assert everything(store) == per_document(tmp_path)
        assert sorted(union(store)) == sorted(set(union(store)))


@pytest.mark.parametrize("batch_quads", [1, 10_000])
def test_triples_of_pyoxigraph_terms_are_written_as_an_rdflib_graph_is(
    tmp_path: Path, batch_quads: int
) -> None:
    with GraphStore.open(tmp_path / "triples", create=True) as store:
        with DocumentWriter(store, batch_quads) as writer:
            for doc_id, labels in DOCS.items():
                triples = [tuple(map(to_oxigraph, t)) for t in doc_graph(doc_id, *labels)]
                writer.write(doc_id, triples, f"hash-{doc_id}")
        assert everything(store) == per_document(tmp_path)


@pytest.mark.parametrize(
    "item",
    [
        ("not a term", ox.NamedNode(f"{BASE}p"), ox.Literal("x")),
        (ox.NamedNode(f"{BASE}s"), ox.Literal("p"), ox.Literal("x")),
        (ox.NamedNode(f"{BASE}s"), ox.NamedNode(f"{BASE}p")),
        [ox.NamedNode(f"{BASE}s"), ox.NamedNode(f"{BASE}p"), ox.Literal("x")],
    ],
    ids=["subject-a-string", "predicate-a-literal", "two-terms", "a-list"],
)
def test_anything_but_a_triple_of_terms_is_refused_and_nothing_written(
    tmp_path: Path, item: object
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with store.writer() as writer, pytest.raises(RdfError, match="expected pyoxigraph"):
            writer.write("alpha", [item], "a")
        assert store.documents() == {}
        assert store.quad_count() == 0


def test_nothing_is_written_before_the_batch_is_full_or_the_writer_closes(
    tmp_path: Path,
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with store.writer() as writer:
            writer.write("alpha", doc_graph("alpha", "INTERPOL"), "a")
            assert store.documents() == {}
        assert store.documents() == {"alpha": "a"}


def test_a_build_that_fails_keeps_the_documents_finished_before_the_failure(
    tmp_path: Path,
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with pytest.raises(KeyboardInterrupt), store.writer() as writer:
            writer.write("alpha", doc_graph("alpha", "INTERPOL"), "a")
            raise KeyboardInterrupt
        assert store.documents() == {"alpha": "a"}
        assert graph_of(store, "alpha") == set(doc_graph("alpha", "INTERPOL"))


def test_a_refused_document_leaves_the_batch_as_it_was(tmp_path: Path) -> None:
    bad = doc_graph("beta", "Europol")
    bad.add((INTERPOL, URIRef(f"{BASE}ontology#memberCount"), Literal("7", datatype=XSD.int)))
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with store.writer() as writer:
            writer.write("alpha", doc_graph("alpha", "INTERPOL"), "a")
            with pytest.raises(RdfError, match="another datatype"):
                writer.write("beta", bad, "b")
        assert store.documents() == {"alpha": "a"}
        assert store.quad_count() == len(doc_graph("alpha", "INTERPOL"))


def test_a_changed_document_replaces_its_graph_and_keeps_union_triples_others_state(
    tmp_path: Path,
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with store.writer() as writer:
            writer.write("alpha", doc_graph("alpha", "INTERPOL", "Europol"), "a1")
            writer.write("beta", doc_graph("beta", "INTERPOL"), "b")
            writer.write("alpha", doc_graph("alpha", "AFRIPOL"), "a2")  # same build, changed
        assert store.documents() == {"alpha": "a2", "beta": "b"}
        assert graph_of(store, "alpha") == set(doc_graph("alpha", "AFRIPOL"))
        subjects = {s for s, _, _ in union(store)}
        assert str(INTERPOL) in subjects  # beta still states it
        assert f"{BASE}id/org/europol" not in subjects


def test_an_alias_taught_again_replaces_its_entry_instead_of_adding_one(
    tmp_path: Path,
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with store.writer() as writer:
            writer.write("alpha", doc_graph("alpha"), "a", aliases={"Op Lion": "Op Sun"})
            writer.write("beta", doc_graph("beta"), "b", aliases={"Op Lion": "Op Moon"})
            writer.write("gamma", doc_graph("gamma"), "c", entities={"x": ("Person", "X")})
        assert store._memory() == ({"x": ("Person", "X")}, {"Op Lion": "Op Moon"})


def test_graphs_a_bulk_load_left_without_records_are_retracted_by_the_next_writer(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "store"
    with GraphStore.open(folder, create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
        kept = everything(store)
        # a load cut short after the graphs and their union share, before the records
        name = ox.NamedNode(f"{BASE}graph/beta")
        quads = [
            ox.Quad(*map(to_oxigraph, triple), name)
            for triple in doc_graph("beta", "INTERPOL", "Europol")
        ]
        union_share = (ox.Quad(q.subject, q.predicate, q.object) for q in quads)
        store.store.bulk_extend(itertools.chain(quads, union_share))
        assert store.documents() == {"alpha": "a"}
        assert name in set(store.store.named_graphs())
    with GraphStore.open(folder) as store:
        with store.writer():
            pass
        assert everything(store) == kept


def test_bulk_load_documents_equals_one_transaction_per_document(tmp_path: Path) -> None:
    shard = tmp_path / "shard.nq"
    quads = [
        ox.Quad(*map(to_oxigraph, triple), ox.NamedNode(f"{BASE}graph/{doc_id}"))
        for doc_id, labels in DOCS.items()
        for triple in doc_graph(doc_id, *labels)
    ]
    shard.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    hashes = {doc_id: f"hash-{doc_id}" for doc_id in DOCS}
    with GraphStore.open(tmp_path / "bulk", create=True) as store:
        assert store.bulk_load_documents(shard, hashes) == len(quads)
        assert everything(store) == per_document(tmp_path)


def test_minted_graphs_load_as_a_checked_shard_does(tmp_path: Path) -> None:
    quads = [
        ox.Quad(*map(to_oxigraph, triple), ox.NamedNode(f"{BASE}graph/{doc_id}"))
        for doc_id, labels in DOCS.items()
        for triple in doc_graph(doc_id, *labels)
    ]
    union_share = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    hashes = {doc_id: f"hash-{doc_id}" for doc_id in DOCS}
    with GraphStore.open(tmp_path / "minted", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "AFRIPOL"), "old-alpha")
        store.bulk_load_minted(
            ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
            ox.serialize(union_share, format=ox.RdfFormat.N_TRIPLES),
            hashes,
            entities={},
            aliases={},
        )
        assert everything(store) == per_document(tmp_path)


def test_bulk_load_documents_refuses_a_shard_before_changing_anything(tmp_path: Path) -> None:
    shard = tmp_path / "shard.nq"
    shard.write_text(
        f'<{BASE}id/x> <{BASE}ontology#count> "7"^^<{XSD.int}> <{BASE}graph/alpha> .\n',
        encoding="utf-8",
    )
    with GraphStore.open(tmp_path / "store", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
        before = everything(store)
        with pytest.raises(RdfError, match="another datatype"):
            store.bulk_load_documents(shard, {"alpha": "a2"})
        shard.write_text(f"<{BASE}id/x> <{BASE}p> <{BASE}o> <{META_GRAPH}> .\n", "utf-8")
        with pytest.raises(RdfError, match="expected quads in the graphs of 1 documents"):
            store.bulk_load_documents(shard, {"alpha": "a2"})
        assert everything(store) == before


@pytest.mark.parametrize(
    "term",
    [
        URIRef(f"{BASE}entity/interpol"),
        Literal("INTERPOL"),
        Literal("INTERPOL", lang="en"),
        Literal("7", datatype=XSD.integer),
        BNode("b1"),
    ],
    ids=["iri", "plain", "language", "typed", "blank"],
)
def test_remembered_conversion_gives_what_to_oxigraph_gives(term: object) -> None:
    terms = OxigraphTerms()
    assert terms(term) == to_oxigraph(term)
    assert terms(term) == to_oxigraph(term)  # a second time, from memory for an IRI


def test_an_entity_taught_again_replaces_its_entry_batched_or_written(tmp_path: Path) -> None:
    """The writer asks the store and its batch whether an entity is known, so a second
    teaching goes through the replacing transaction whether the first was committed or not."""
    with GraphStore.open(tmp_path / "store", create=True) as store:
        with DocumentWriter(store, 10_000) as writer:
            writer.write("alpha", doc_graph("alpha"), "a", entities={"x": ("Person", "X")})
            writer.write("beta", doc_graph("beta"), "b", entities={"x": ("Person", "Ex")})
            writer.commit()
            writer.write("gamma", doc_graph("gamma"), "c", entities={"x": ("Person", "Y")})
        assert store._memory() == ({"x": ("Person", "Y")}, {})
        assert store.documents() == {"alpha": "a", "beta": "b", "gamma": "c"}


def test_learnt_entities_are_found_in_the_batch_in_the_store_and_after_the_cache_clears(
    tmp_path: Path,
) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha"), "a")
        store._write("beta", doc_graph("beta"), "b", entities={"old": ("Person", "Old")})
        with DocumentWriter(store, 10_000) as writer:
            entities = LearntEntities(store, writer._batch_entities, limit=1)
            assert entities.get("old") == ("Person", "Old")  # recorded by an earlier build
            assert entities.get("new") is None
            entities["new"] = taught = ("Organisation", "New")
            writer.write("gamma", doc_graph("gamma"), "c", entities={"new": taught})
            assert entities.get("old") == ("Person", "Old")  # the cache started over
            assert entities.get("new") == ("Organisation", "New")  # from the batch
            writer.commit()
            assert entities.get("old") == ("Person", "Old")
            assert entities.get("new") == ("Organisation", "New")  # from the store


def test_the_store_answers_one_document_or_entity_as_its_whole_tables_do(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as store:
        store._write("alpha", doc_graph("alpha"), "a", entities={"k": ("Person", "K")})
        store.replace_document("beta", doc_graph("beta"), "b")
        documents, (entities, _) = store.documents(), store._memory()
        for doc_id in ("alpha", "beta", "gamma", ""):
            assert store.document_hash(doc_id) == documents.get(doc_id)
        for key in ("k", "K", "unknown"):
            assert store.learnt_entity(key) == entities.get(key)

"""The on-disk store: one named graph per document, replaced or retracted in one transaction,
the union kept with each triple once, one writer at a time, bad folders refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from kg.errors import InputError, OutputError, RdfError, StoreLockedError
from kg.store import (
    META_GRAPH,
    STORE_MARKER,
    GraphStore,
    is_store,
    open_source,
    remove_documents,
)
from kg.vocab import KG, NIF

BASE = "https://w3id.org/kgnews/"
INTERPOL = URIRef(f"{BASE}id/org/interpol")


def doc_graph(doc_id: str, *labels: str) -> Graph:
    """A small document graph: the document node and one organisation per label."""
    graph = Graph()
    doc = URIRef(f"{BASE}doc/{doc_id}")
    graph.add((doc, RDF.type, KG.Document))
    graph.add((doc, DCTERMS.identifier, Literal(doc_id)))
    for label in labels:
        org = URIRef(f"{BASE}id/org/{label.lower()}")
        graph.add((org, RDF.type, KG.InternationalOrganisation))
        graph.add((org, SKOS.prefLabel, Literal(label)))
    return graph


def graph_of(store: GraphStore, doc_id: str) -> set[tuple]:
    return set(store.to_dataset().graph(URIRef(f"{BASE}graph/{doc_id}")))


def union(store: GraphStore) -> list[tuple]:
    """The default graph's triples, as a list so that a repeated triple would show."""
    quads = store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    return [(q.subject.value, q.predicate.value, str(q.object)) for q in quads]


@pytest.fixture
def store(tmp_path: Path):
    with GraphStore.open(tmp_path / "store", create=True) as opened:
        yield opened


# --- documents --------------------------------------------------------------------------


def test_a_new_store_records_each_document_graph_and_its_hash(store: GraphStore) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "hash-a")
    store.replace_document("beta", doc_graph("beta", "Europol"), "hash-b")
    assert store.documents() == {"alpha": "hash-a", "beta": "hash-b"}
    assert graph_of(store, "alpha") == set(doc_graph("alpha", "INTERPOL"))
    assert store.quad_count() == len(doc_graph("alpha", "INTERPOL")) + len(doc_graph("beta", "E"))


def test_replacing_a_document_swaps_its_whole_graph_and_hash(store: GraphStore) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL", "Europol"), "old")
    store.replace_document("alpha", doc_graph("alpha", "AFRIPOL"), "new")
    assert graph_of(store, "alpha") == set(doc_graph("alpha", "AFRIPOL"))
    assert store.documents() == {"alpha": "new"}
    assert not any("interpol" in s or "europol" in s for s, _, _ in union(store))


def test_the_default_graph_is_the_union_with_each_triple_once(store: GraphStore) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    store.replace_document("beta", doc_graph("beta", "INTERPOL"), "b")
    label = (str(INTERPOL), str(SKOS.prefLabel), '"INTERPOL"')
    assert union(store).count(label) == 1
    assert sorted(union(store)) == sorted(set(union(store)))
    store.remove_document("alpha")
    assert union(store).count(label) == 1  # beta still says it
    store.remove_document("beta")
    assert union(store) == []


def test_remove_document_retracts_it_and_is_false_for_an_unknown_id(store: GraphStore) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    assert store.remove_document("nope") is False
    assert store.remove_document("alpha") is True
    assert store.documents() == {} and store.quad_count() == 0
    assert store.remove_document("alpha") is False


def test_quads_of_the_document_graph_are_accepted_and_of_another_refused(
    store: GraphStore,
) -> None:
    name = ox.NamedNode(f"{BASE}graph/alpha")
    s, p = ox.NamedNode(f"{BASE}doc/alpha"), ox.NamedNode(str(DCTERMS.identifier))
    store.replace_document("alpha", [ox.Quad(s, p, ox.Literal("alpha"), name)], "a")
    assert graph_of(store, "alpha") == {(URIRef(s.value), DCTERMS.identifier, Literal("alpha"))}
    other = ox.Quad(s, p, ox.Literal("x"), ox.NamedNode(f"{BASE}graph/beta"))
    with pytest.raises(RdfError, match="graph/beta"):
        store.replace_document("alpha", [other], "b")
    assert store.documents() == {"alpha": "a"}


@pytest.mark.parametrize(
    "text",
    [
        'she said "no"',
        "back\\slash \\u0041 and \\n",
        "two\nlines\r\tand a tab",
        "''' \"\"\" } ; DROP ALL # <x>",
        "\u0000\u0001\u007f controls",
        "Côte d’Ivoire 𝄞 \u200b",
    ],
)
def test_literals_come_back_exactly_as_written(store: GraphStore, text: str) -> None:
    graph = doc_graph("alpha")
    graph.add((URIRef(f"{BASE}doc/alpha"), DCTERMS.title, Literal(text)))
    graph.add((INTERPOL, SKOS.altLabel, Literal(text, lang="en")))
    store.replace_document("alpha", graph, "a")
    assert graph_of(store, "alpha") == set(graph)


def test_character_offsets_keep_their_integer_subtype(store: GraphStore) -> None:
    graph = doc_graph("alpha")
    sentence = URIRef(f"{BASE}doc/alpha#char=0,5")
    graph.add((sentence, NIF.beginIndex, Literal(0, datatype=XSD.nonNegativeInteger)))
    graph.add((sentence, NIF.endIndex, Literal(5, datatype=XSD.nonNegativeInteger)))
    store.replace_document("alpha", graph, "a")
    assert graph_of(store, "alpha") == set(graph)


@pytest.mark.parametrize(
    ("predicate", "literal"),
    [
        (DCTERMS.extent, Literal(5, datatype=XSD.int)),
        (DCTERMS.extent, Literal(5, datatype=XSD.positiveInteger)),
        (DCTERMS.modified, Literal("2024-01-01T00:00:00Z", datatype=XSD.dateTimeStamp)),
        (NIF.beginIndex, Literal(5, datatype=XSD.integer)),
    ],
)
def test_a_literal_the_store_would_change_is_refused(
    store: GraphStore, predicate: URIRef, literal: Literal
) -> None:
    graph = doc_graph("alpha")
    graph.add((INTERPOL, predicate, literal))
    with pytest.raises(RdfError, match="another datatype"):
        store.replace_document("alpha", graph, "a")
    assert store.documents() == {}


def test_a_write_that_fails_inside_its_transaction_changes_nothing(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    before = (store.documents(), store.to_dataset(), sorted(union(store)))
    original = GraphStore._update

    def failing_at_the_end(self: GraphStore, request: str) -> None:
        # every operation of the request runs, then the last one fails: all must roll back
        original(self, request + f" ;\nCREATE GRAPH <{BASE}graph/alpha>")

    monkeypatch.setattr(GraphStore, "_update", failing_at_the_end)
    with pytest.raises(OutputError, match="already exists"):
        store.replace_document("alpha", doc_graph("alpha", "Europol"), "changed")
    with pytest.raises(OutputError):
        store.replace_document("beta", doc_graph("beta", "AFRIPOL"), "b")
    assert store.documents() == before[0]
    assert set(store.to_dataset().quads()) == set(before[1].quads())
    assert sorted(union(store)) == before[2]


def test_documents_survive_closing_and_reopening(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "s", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    with GraphStore.open(tmp_path / "s", read_only=True) as store:
        assert store.documents() == {"alpha": "a"}
        assert graph_of(store, "alpha") == set(doc_graph("alpha", "INTERPOL"))


def test_to_dataset_holds_the_document_graphs_only(store: GraphStore) -> None:
    store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    names = {str(graph.identifier) for graph in store.to_dataset().graphs() if len(graph)}
    assert names == {f"{BASE}graph/alpha"}
    assert META_GRAPH in {g.value for g in store.store.named_graphs()}


# --- folders ----------------------------------------------------------------------------


def test_a_missing_folder_is_not_a_store_unless_created(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no kg store"):
        GraphStore.open(tmp_path / "none")
    assert not (tmp_path / "none").exists()
    with GraphStore.open(tmp_path / "deep" / "new", create=True):
        pass
    assert is_store(tmp_path / "deep" / "new")


def test_a_folder_with_other_data_is_never_taken_over(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not a kg store"):
        GraphStore.open(tmp_path)
    with pytest.raises(InputError, match="not empty"):
        GraphStore.open(tmp_path, create=True)
    with pytest.raises(InputError, match="is a file"):
        GraphStore.open(tmp_path / "notes.txt", create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_empty_folder_can_become_a_store(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path, create=True) as store:
        assert store.documents() == {}
    assert (tmp_path / STORE_MARKER).is_file()


# --- locking ----------------------------------------------------------------------------


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    held = rf"locked by another kg process \(pid {os.getpid()}\)"
    with GraphStore.open(tmp_path / "s", create=True), pytest.raises(StoreLockedError, match=held):
        GraphStore.open(tmp_path / "s")
    with GraphStore.open(tmp_path / "s") as again:  # closing released the lock
        assert again.documents() == {}


def test_a_writer_in_another_process_locks_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with GraphStore.open(path, create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_STORE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=rf"\(pid {holder.pid}\)"):
            GraphStore.open(path)
        with GraphStore.open(path, read_only=True) as reader:  # readers are never blocked
            assert reader.documents() == {"alpha": "a"}
    finally:
        holder.communicate("done\n", timeout=30)
    with GraphStore.open(path) as store:
        assert store.documents() == {"alpha": "a"}


_HOLD_STORE = textwrap.dedent(
    """
    import sys
    from kg.store import GraphStore
    with GraphStore.open(sys.argv[1]):
        print("ready", flush=True)
        sys.stdin.readline()
    """
)


def test_a_read_only_store_cannot_be_written(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "s", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha"), "a")
    with GraphStore.open(tmp_path / "s", read_only=True) as store:
        with pytest.raises(OutputError, match="read-only"):
            store.replace_document("beta", doc_graph("beta"), "b")
        with pytest.raises(OutputError, match="read-only"):
            store.remove_document("alpha")
        assert store.documents() == {"alpha": "a"}


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = GraphStore.open(tmp_path / "s", create=True)
    store.close()
    store.close()
    with pytest.raises(InputError, match="closed"):
        store.documents()


# --- sources and removal ----------------------------------------------------------------


def test_open_source_reads_a_graph_file_or_a_store(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "s", create=True) as store:
        store.replace_document("alpha", doc_graph("alpha", "INTERPOL"), "a")
        store.to_dataset().serialize(tmp_path / "g.trig", format="trig")
    assert isinstance(open_source(tmp_path / "g.trig"), Dataset)
    with open_source(tmp_path / "s") as opened:
        assert isinstance(opened, GraphStore) and opened.read_only
    with pytest.raises(InputError, match="no graph file or kg store"):
        open_source(tmp_path / "none.trig")
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not a kg store"):
        open_source(tmp_path / "plain")


def test_remove_documents_removes_all_named_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with GraphStore.open(path, create=True) as store:
        for doc_id in ("alpha", "beta", "gamma"):
            store.replace_document(doc_id, doc_graph(doc_id, "INTERPOL"), doc_id)
    with pytest.raises(InputError, match="'nope'; nothing removed"):
        remove_documents(path, ["alpha", "nope"])
    assert remove_documents(path, ["alpha", "beta"]) == ["alpha", "beta"]
    with GraphStore.open(path, read_only=True) as store:
        assert store.documents() == {"gamma": "gamma"}
        assert graph_of(store, "gamma") == set(doc_graph("gamma", "INTERPOL"))
    with pytest.raises(InputError, match="no kg store"):
        remove_documents(tmp_path / "none", ["gamma"])

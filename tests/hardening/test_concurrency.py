"""B38: readers see whole documents while a writer replaces them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from rdflib import Dataset

from kg.query import run_named
from kg.store import GraphStore
from kg.vocab import KG

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mini_graph.trig"
READERS = 8
REWRITES = 15


def document_graphs() -> list[tuple[str, object, str]]:
    dataset = Dataset()
    dataset.parse(FIXTURE, format="trig")
    graphs = []
    for graph in dataset.graphs():
        if len(graph):
            doc_id = str(graph.identifier).rsplit("/", 1)[1]
            graphs.append((doc_id, graph, str(graph.value(predicate=KG.contentHash))))
    return graphs


@pytest.mark.xfail(
    reason="known gap: pyoxigraph 0.5 documents read-only opens during a write as undefined; "
    "readers opening while the writer compacts fail with 'Corruption ... No such file' "
    "(seen in 2 of 3 runs). Serving from a checkpoint (Store.backup) would close it.",
    strict=False,
)
def test_b38_eight_readers_and_a_writer_see_only_whole_documents(tmp_path):
    path = tmp_path / "store"
    graphs = document_graphs()
    with GraphStore.open(path, create=True) as store:
        for doc_id, graph, digest in graphs:
            store.replace_document(doc_id, graph, digest)
    with GraphStore.open(path, read_only=True) as store:
        expected = len(run_named(store, "members").rows)
    assert expected > 0

    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                with GraphStore.open(path, read_only=True) as store:
                    seen.append(len(run_named(store, "members").rows))
            except BaseException as exc:  # every failure is a finding
                errors.append(exc)
                return

    def write() -> None:
        try:
            with GraphStore.open(path) as store:
                for round_ in range(REWRITES):
                    for doc_id, graph, digest in graphs:
                        store.replace_document(doc_id, graph, f"{digest}-{round_}")
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    writer = threading.Thread(target=write)
    for thread in [*readers, writer]:
        thread.start()
    writer.join(timeout=120)
    done.set()
    for thread in readers:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(seen) >= READERS, "the readers hardly ran while the writer wrote"
    assert set(seen) == {expected}  # never a document half replaced

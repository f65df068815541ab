"""B38: readers see whole builds, from published snapshots, while a writer replaces them."""

from __future__ import annotations

import threading
from pathlib import Path

from rdflib import Dataset

from kg.query import run_named
from kg.snapshot import latest_name
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


def test_b38_eight_readers_and_a_writer_see_only_whole_builds(tmp_path):
    """Each round the writer replaces every document and closes, publishing a snapshot, so the
    readers keep opening snapshots that the writer's collector races to delete."""
    path = tmp_path / "store"
    graphs = document_graphs()
    with GraphStore.open(path, create=True) as store:
        for doc_id, graph, digest in graphs:
            store.replace_document(doc_id, graph, f"{digest}-start")
    with GraphStore.open(path, read_only=True) as store:
        expected = len(run_named(store, "members").rows)
    assert expected > 0

    errors: list[BaseException] = []
    seen: list[tuple[int, frozenset[str]]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                with GraphStore.open(path, read_only=True) as store:
                    rounds = frozenset(h.rsplit("-", 1)[1] for h in store.documents().values())
                    seen.append((len(run_named(store, "members").rows), rounds))
            except BaseException as exc:  # every failure is a finding
                errors.append(exc)
                return

    def write() -> None:
        try:
            for round_ in range(REWRITES):
                with GraphStore.open(path) as store:
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

    assert not writer.is_alive() and not errors, errors
    assert len(seen) >= READERS, "the readers hardly ran while the writer wrote"
    assert {members for members, _ in seen} == {expected}  # never a document half replaced
    assert all(len(rounds) == 1 for _, rounds in seen)  # never two builds mixed
    assert len({rounds for _, rounds in seen}) > 1, "the readers never saw a new build"
    with GraphStore.open(path, read_only=True) as store:  # the last build was published
        assert set(store.documents().values()) == {f"{d}-{REWRITES - 1}" for _, _, d in graphs}
    GraphStore.open(path).close()  # a writer's close deletes the snapshots readers held
    assert [p.name for p in (path / "snapshots").iterdir()] == [latest_name(path)]

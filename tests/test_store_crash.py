"""A store build killed inside a bulk load (after a batch's graphs and union share, before its
records) leaves graphs without a record; the next build retracts them and processes their
documents again, changed since or not, and ends equal to a clean build."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks.corpus import write_jsonl
from kg.store import META_GRAPH, GraphStore
from tests.hardening.test_crash import _run, store_hash

KILLED_IN_BULK_LOAD = textwrap.dedent(
    """
    import itertools, os, signal, sys
    import pyoxigraph as ox
    import kg.store

    kg.store.BATCH_QUADS = 1  # every document its own batch
    load = kg.store.GraphStore._bulk_add
    batches = itertools.count(1)

    def cut_short(self, quads, records, union=None):
        if next(batches) == 3:  # the graphs and their union share land, the records never
            union = [ox.Quad(q.subject, q.predicate, q.object) for q in quads]
            self.store.bulk_extend(itertools.chain(quads, union))
            self.store.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        load(self, quads, records, union)

    kg.store.GraphStore._bulk_add = cut_short
    from kg.pipeline import build_store
    build_store([sys.argv[1]], sys.argv[2])
    """
)


@pytest.mark.model
def test_a_build_killed_inside_a_bulk_load_is_repaired_by_the_next_build(tmp_path: Path) -> None:
    corpus = write_jsonl(5, tmp_path / "docs.jsonl", seed=3)
    changed = tmp_path / "changed.jsonl"  # the third document, cut short, then changes
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    records[2]["text"] = "Veldoria joined INTERPOL in 2019. " + records[2]["text"]
    changed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    clean = tmp_path / "clean"
    assert _run("build", str(changed), "--store", str(clean)).returncode == 0
    folder = tmp_path / "store"
    child = [sys.executable, "-c", KILLED_IN_BULK_LOAD, str(corpus), str(folder)]
    assert subprocess.run(child, timeout=300).returncode == -signal.SIGKILL
    with GraphStore.open(folder) as store:
        recorded = store.documents()
        graphs = [g.value for g in store.store.named_graphs() if g.value != META_GRAPH]
    assert len(recorded) == 2
    assert len(graphs) == 3  # the third document's graph, without a record
    rerun = _run("build", str(changed), "--store", str(folder))
    assert rerun.returncode == 0, rerun.stderr
    assert store_hash(folder) == store_hash(clean)
    with GraphStore.open(folder, read_only=True) as store:
        assert len(store.documents()) == 5
        assert triples(store, "{ ?s ?p ?o }") == triples(
            store, f"{{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{META_GRAPH}>) }}"
        )


def triples(store: GraphStore, pattern: str) -> set[tuple[str, ...]]:
    """The distinct triples ``pattern`` matches, as text."""
    rows = store.store.query(f"SELECT DISTINCT ?s ?p ?o {pattern}")
    return {tuple(str(term) for term in row) for row in rows}

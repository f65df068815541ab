"""``kg build --engine dask`` against kg's own worker processes, building the same corpus into
a store: when does a Dask cluster pay on one machine, and what bounds it.

Three builds of one corpus, each into a new store: kg's worker processes (``--processes``
1 and 2, as ``kg build`` runs them) and a two-worker Dask ``LocalCluster``. Dask's client
resolves each partition and bulk-loads what its worker minted while the workers parse, so its
CPU time per document (measured in this process, which is the client) is the floor under a
Dask build's time per document, however many workers parse. The three stores must hold the
same number of quads (``tests/scale/test_dask.py`` pins that they are isomorphic).

    python -m benchmarks.bench_dask --docs 1000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Row, default_model, print_table
from benchmarks.corpus import write_jsonl
from kg.pipeline import build_store
from kg.scale.dask import DEFAULT_PARTITION_SIZE, build_store_dask
from kg.store import GraphStore
from kg.workers import DEFAULT_DOC_TIMEOUT


def timed(build: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of ``build()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    build()
    return time.perf_counter() - wall, time.process_time() - cpu


def quads(store: Path) -> int:
    with GraphStore.open(store, read_only=True) as opened:
        return opened.quad_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--partition-size", type=int, default=DEFAULT_PARTITION_SIZE)
    args = parser.parse_args()
    model = args.model or default_model()
    docs = args.docs
    rows = [Row("corpus / cores", f"{docs} docs / {os.cpu_count()} cores", f"model {model}")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = write_jsonl(docs, folder / "bench.jsonl")
        stores = {name: folder / name for name in ("one", "two", "dask")}
        one, _ = timed(
            lambda: build_store(
                [corpus], stores["one"], model=model, doc_timeout=DEFAULT_DOC_TIMEOUT
            )
        )
        two, parent = timed(
            lambda: build_store(
                [corpus], stores["two"], model=model, processes=2, doc_timeout=DEFAULT_DOC_TIMEOUT
            )
        )
        dask, client = timed(
            lambda: build_store_dask(
                [corpus], stores["dask"], model=model, workers=2, partition_size=args.partition_size
            )
        )
        counts = {name: quads(path) for name, path in stores.items()}
        rows += [
            Row("kg build --store, 1 worker", f"{one:.1f} s", f"{1000 * one / docs:.1f} ms/doc"),
            Row("kg build --store, 2 workers", f"{two:.1f} s", f"{1000 * two / docs:.1f} ms/doc"),
            Row("  its parent's CPU", f"{1000 * parent / docs:.1f} ms/doc", "resolve, RDF, write"),
            Row("Dask, 2-worker LocalCluster", f"{dask:.1f} s", f"{1000 * dask / docs:.1f} ms/doc"),
            Row("  its client's CPU", f"{1000 * client / docs:.1f} ms/doc", "resolve, load"),
            Row("speed-up, 2 workers / 1 worker", f"{one / two:.2f}x", "", None),
            Row("speed-up, Dask / 1 worker", f"{one / dask:.2f}x", "", None),
            Row("Dask / 2 workers (time)", f"{dask / two:.2f}", "", None),
            Row(
                "same quads in the three stores",
                " / ".join(f"{n:,}" for n in counts.values()),
                "equal",
                len(set(counts.values())) == 1,
            ),
        ]
    print_table("dask", rows)


if __name__ == "__main__":
    main()

"""Query latency on a ~1M-triple graph: every named question through kg's query layer
(``kg.query.run_named`` on a kg store), raw pyoxigraph (the same SPARQL with the parameters
bound by ``VALUES``, straight to ``Store.query``) and plain rdflib (a default-union
``Dataset``, as ``kg query FILE`` reads it), side by side on the same data; and how long
loading the graph takes, and how much memory.

    python benchmarks/bench_query.py                      # 1M quads; rdflib capped at 20 s
    python benchmarks/bench_query.py --quads 200000 --rdflib-timeout 60

The graph: a seed built by kg from the synthetic corpus (``benchmarks/corpus.py``), copied
with renamed documents until it holds ``--quads`` quads (``common.scaled_graph``).
Targets: kg within 1.2x of raw pyoxigraph, >= 20x faster than rdflib; load <= 3 s, <= 400 MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from benchmarks.common import Row, print_table, scaled_graph, seed_graph

PARAMS = {
    "entities": {"kind": "Country"},
    "evidence": {"entity": "INTERPOL"},
    "member-count-conflicts": {},
    "member-counts": {"organisation": "INTERPOL"},
    "members": {"organisation": "INTERPOL"},
    "operations": {"coordinator": "INTERPOL"},
    "positions": {"organisation": "INTERPOL"},
    "sources": {"entity": "INTERPOL"},
    "statements": {"person": "Ana Novak"},
    "treaty-actions": {"action": "ratified"},
}
"""Parameters for each named question; a question not listed runs without any."""

LOADER = """
import json, resource, sys, time
import pyoxigraph as ox
from kg.store import GraphStore
started = time.perf_counter()
if sys.argv[3] == "disk":
    with GraphStore.open(sys.argv[2], create=True) as store:
        store.store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
else:
    memory = ox.Store()
    memory.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss": peak}))
"""


def kg_layout(scaled: Path, out: Path) -> None:
    """The scaled quads as a kg store holds them: each quad in its document graph and once in
    the default graph (the union), and the metadata graph's base IRI."""
    from kg.iri import DEFAULT_BASE
    from kg.store import KGS, META_GRAPH

    with scaled.open(encoding="utf-8") as lines, out.open("w", encoding="utf-8") as stream:
        for line in lines:
            stream.write(line)
            stream.write(line[: line.rindex("<")] + ".\n")  # drop the graph name
        meta = f"<{META_GRAPH}>"
        stream.write(f'{meta} <{KGS}baseIri> "{DEFAULT_BASE}" {meta} .\n')


def timed(function, repeat: int) -> float:
    """The best of ``repeat`` runs, in seconds (the first run warms the caches)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def raw_oxigraph(store, name: str, params: dict[str, str]) -> int:
    """The question as kg would send it, straight to pyoxigraph; every value read as text."""
    import pyoxigraph as ox

    from kg.query import _uses_graph, bind_values, get_named_query
    from kg.store import META_GRAPH

    text, _ = bind_values(get_named_query(name).sparql, params)
    options = {}
    if _uses_graph(text):
        meta = ox.NamedNode(META_GRAPH)
        options["named_graphs"] = [g for g in store.named_graphs() if g != meta]
    return sum(len([t.value for t in row if t is not None]) for row in store.query(text, **options))


def rdflib_times(path: Path, timeout: float) -> tuple[dict[str, float | None], float]:
    """Each question over an rdflib ``Dataset`` of the same quads, in a forked child killed
    after ``timeout`` seconds (None then); and the load time."""
    from kg.query import run_named
    from kg.rdf import new_dataset

    started = time.perf_counter()
    dataset = new_dataset()
    dataset.parse(path, format="nquads")
    loaded = time.perf_counter() - started
    context = multiprocessing.get_context("fork")
    times: dict[str, float | None] = {}
    for name, params in PARAMS.items():
        reader, writer = context.Pipe(duplex=False)

        def child(conn=writer, name=name, params=params) -> None:
            started = time.perf_counter()
            run_named(dataset, name, params)
            conn.send(time.perf_counter() - started)

        process = context.Process(target=child)
        process.start()
        times[name] = reader.recv() if reader.poll(timeout) else None
        process.kill()
        process.join()
    return times, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quads", type=int, default=1_000_000)
    parser.add_argument("--seed-docs", type=int, default=200, help="documents kg parses")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rdflib-timeout", type=float, default=20.0)
    parser.add_argument("--no-rdflib", action="store_true")
    parser.add_argument("--work", type=Path, help="folder to keep the seed graph in")
    args = parser.parse_args()
    from kg.query import run_named
    from kg.store import GraphStore

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        seed = seed_graph(work, args.seed_docs)
        scaled = Path(tmp) / "scaled.nq"
        quads = scaled_graph(seed, args.quads, scaled)
        layout = Path(tmp) / "layout.nq"
        kg_layout(scaled, layout)
        store_path = Path(tmp) / "store"
        load = {}
        for where in ("memory", "disk"):
            loader = [sys.executable, "-c", LOADER, str(layout), str(store_path), where]
            done = subprocess.run(loader, capture_output=True, check=True)
            load[where] = json.loads(done.stdout)
        rows = [
            Row("quads (document graphs)", f"{quads:,}", ""),
            *(
                row
                for where in ("memory", "disk")
                for row in (
                    Row(
                        f"load into {where} store",
                        f"{load[where]['seconds']:.2f} s",
                        "<= 3 s",
                        load[where]["seconds"] <= 3,
                    ),
                    Row(
                        f"peak RSS, {where} load",
                        f"{load[where]['rss']:.0f} MB",
                        "<= 400 MB",
                        load[where]["rss"] <= 400,
                    ),
                )
            ),
        ]
        store = GraphStore.open(store_path, read_only=True)
        kg_times, raw_times = {}, {}
        for name, params in PARAMS.items():
            kg_times[name] = timed(partial(run_named, store, name, params), args.repeat)
            raw_times[name] = timed(partial(raw_oxigraph, store.store, name, params), args.repeat)
        store.close()
        slow = {}
        if not args.no_rdflib:
            slow, rdflib_load = rdflib_times(scaled, args.rdflib_timeout)
            rows.append(Row("load, rdflib Dataset", f"{rdflib_load:.1f} s", "", None))
        print_table(f"load ({quads:,} quads)", rows)
        rows = []
        for name in PARAMS:
            kg, raw = kg_times[name], raw_times[name]
            rows.append(
                Row(
                    f"{name}: kg / raw oxigraph",
                    f"{kg * 1000:.0f}/{raw * 1000:.0f} ms = {kg / raw:.2f}x",
                    "<= 1.2x",
                    kg / raw <= 1.2,
                )
            )
            if not args.no_rdflib:
                rdf = slow.get(name)
                figure = f"> {args.rdflib_timeout:.0f} s" if rdf is None else f"{rdf:.2f} s"
                speedup = (args.rdflib_timeout if rdf is None else rdf) / kg
                more = ">" if rdf is None else ""
                rows.append(
                    Row(
                        f"{name}: rdflib / kg",
                        f"{figure} = {more}{speedup:.0f}x",
                        ">= 20x",
                        speedup >= 20,
                    )
                )
        print_table(f"named questions (best of {args.repeat})", rows)


if __name__ == "__main__":
    main()

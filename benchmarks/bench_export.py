"""Export time of a ~1M-triple graph to GEXF and GraphML (target: <= 30 s each), from a kg
store built as ``bench_query.py`` builds it.

    python benchmarks/bench_export.py                  # 1M quads, entity projection
    python benchmarks/bench_export.py --projection rdf --quads 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.bench_query import kg_layout
from benchmarks.common import Row, peak_rss_mb, print_table, scaled_graph, seed_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quads", type=int, default=1_000_000)
    parser.add_argument("--seed-docs", type=int, default=200, help="documents kg parses")
    parser.add_argument("--projection", default="entity", choices=["entity", "rdf"])
    parser.add_argument("--work", type=Path, help="folder to keep the seed graph in")
    args = parser.parse_args()
    import pyoxigraph as ox

    from kg.export import export
    from kg.store import GraphStore

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        scaled, layout = Path(tmp) / "scaled.nq", Path(tmp) / "layout.nq"
        quads = scaled_graph(seed_graph(work, args.seed_docs), args.quads, scaled)
        kg_layout(scaled, layout)
        with GraphStore.open(Path(tmp) / "store", create=True) as store:
            store.store.bulk_load(path=str(layout), format=ox.RdfFormat.N_QUADS)
        rows = [Row("quads (document graphs)", f"{quads:,}", "")]
        for fmt in ("gexf", "graphml"):
            started = time.perf_counter()
            graph = export(
                Path(tmp) / "store", fmt, Path(tmp) / f"g.{fmt}", projection=args.projection
            )
            seconds = time.perf_counter() - started
            size = (Path(tmp) / f"g.{fmt}").stat().st_size / 1e6
            figure = f"{seconds:.1f} s ({graph.number_of_nodes():,} nodes, "
            figure += f"{graph.number_of_edges():,} edges, {size:.0f} MB)"
            rows.append(Row(f"export {fmt} ({args.projection})", figure, "<= 30 s", seconds <= 30))
        rows.append(Row("peak RSS", f"{peak_rss_mb():.0f} MB", "", None))
        print_table(f"export ({quads:,} quads)", rows)


if __name__ == "__main__":
    main()

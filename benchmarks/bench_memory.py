"""Peak memory of a build against corpus size: each size built in a fresh process (peak RSS
from ``ru_maxrss``), and the slope in MB per 1,000 documents (target: flat, not linear).

    python benchmarks/bench_memory.py                          # 100, 300, 1000 documents
    python benchmarks/bench_memory.py --sizes 1000 10000 50000 --target store
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Row, print_table
from benchmarks.corpus import write_jsonl

CHILD = """
import json, resource, sys, time
from kg.pipeline import build_file, build_store
started = time.perf_counter()
if sys.argv[3] == "store":
    build_store([sys.argv[1]], sys.argv[2])
else:
    build_file([sys.argv[1]], sys.argv[2])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rss": peak, "seconds": time.perf_counter() - started}))
"""


def measure(documents: int, folder: Path, target: str) -> dict[str, float]:
    corpus = write_jsonl(documents, folder / f"c{documents}.jsonl")
    out = folder / (f"s{documents}" if target == "store" else f"g{documents}.{target}")
    child = [sys.executable, "-c", CHILD, str(corpus), str(out), target]
    return json.loads(subprocess.run(child, capture_output=True, check=True, text=True).stdout)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per 1,000 documents."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in points)
    den = sum((x - mean_x) ** 2 for x, _ in points) or 1
    return num / den * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--target", default="store", choices=["store", "trig", "nq", "ttl"])
    parser.add_argument("--flat", type=float, default=5.0, help="MB per 1k docs that is flat")
    args = parser.parse_args()
    rows, points = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            result = measure(size, Path(tmp), args.target)
            points.append((size, result["rss"]))
            figure = f"{result['rss']:.0f} MB ({result['seconds']:.0f} s)"
            rows.append(Row(f"{size} documents -> {args.target}", figure, ""))
    per_k = slope(points)
    target = f"<= {args.flat:g} MB/1k docs"
    rows.append(Row("slope", f"{per_k:.1f} MB per 1k docs", target, per_k <= args.flat))
    print_table("peak memory", rows)


if __name__ == "__main__":
    main()

"""Peak memory of a build against corpus size: each size built in a fresh process (peak RSS
from ``ru_maxrss``), and the slope in MB per 1,000 documents (target: flat, not linear).

    python benchmarks/bench_memory.py                          # 100, 300, 1000 documents
    python benchmarks/bench_memory.py --sizes 1000 10000 50000 --target store
    python benchmarks/bench_memory.py --sizes 200 600 1800 --baseline /tmp/kg-head
    python benchmarks/bench_memory.py --sizes 1000 10000 50000 --plot memory.png

``--baseline DIR`` also measures another kg checkout (``git archive HEAD | tar -x -C DIR``)
at the same sizes, each size built by both in turn, so that before and after are measured
side by side on the same (shared, noisy) machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Row, print_table, save_png
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


def measure(
    documents: int, folder: Path, target: str, code: Path | None = None
) -> dict[str, float]:
    """Build ``documents`` in a fresh process, with kg from ``code`` (default: this one)."""
    corpus = folder / f"c{documents}.jsonl"
    if not corpus.exists():
        write_jsonl(documents, corpus)
    tag = "base" if code is not None else "new"
    out = folder / (f"s{documents}-{tag}" if target == "store" else f"g{documents}-{tag}.{target}")
    child = [sys.executable, "-c", CHILD, str(corpus), str(out), target]
    env = None if code is None else {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(child, capture_output=True, check=True, text=True, env=env, cwd=code)
    return json.loads(done.stdout)


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
    parser.add_argument("--baseline", type=Path, help="another kg checkout to measure too")
    parser.add_argument("--plot", type=Path, help="draw peak RSS against documents (PNG)")
    args = parser.parse_args()
    codes = {"": None} if args.baseline is None else {"": None, "baseline ": args.baseline}
    rows, points = [], {label: [] for label in codes}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for label, code in codes.items():
                result = measure(size, Path(tmp), args.target, code)
                points[label].append((size, result["rss"]))
                per_100 = result["seconds"] / size * 100
                figure = f"{result['rss']:.0f} MB ({result['seconds']:.0f} s, {per_100:.1f} s/100)"
                rows.append(Row(f"{label}{size} documents -> {args.target}", figure, ""))
    for label in codes:
        per_k = slope(points[label])
        target = f"<= {args.flat:g} MB/1k docs"
        figure = f"{per_k:.1f} MB per 1k docs"
        rows.append(Row(f"{label}slope", figure, target, per_k <= args.flat))
    print_table("peak memory", rows)
    if args.plot is not None:
        draw(points, args.target, args.plot)


def draw(points: dict[str, list[tuple[int, float]]], target: str, path: Path) -> None:
    """Peak RSS against corpus size, one line per checkout: flat is what the target asks."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.subplots()
    for label, measured in points.items():
        sizes, rss = zip(*measured, strict=True)
        axes.plot(sizes, rss, marker="o", label=(label.strip() or "this checkout"))
    axes.set_xscale("log")
    sizes = sorted({size for measured in points.values() for size, _ in measured})
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.minorticks_off()
    axes.set_ylim(bottom=0)
    axes.set_xlabel("documents")
    axes.set_ylabel(f"peak RSS of a build into a {target} (MB)")
    axes.legend(loc="lower right")
    save_png(figure, path)


if __name__ == "__main__":
    main()

"""What the benchmark scripts share: the model they all use, peak memory, the result table
and a seeded kg graph to scale up from."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.corpus import write_jsonl


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure against its target."""

    name: str
    figure: str
    target: str
    ok: bool | None = None  # None: informative only

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("pass" if self.ok else "FAIL")


def print_table(title: str, rows: Iterable[Row]) -> None:
    rows = list(rows)
    widths = [max(len(r.name) for r in rows), max(len(r.figure) for r in rows)]
    widths.append(max(len(r.target) for r in rows))
    print(f"\n{title}")
    print(f"{'measure':<{widths[0]}}  {'figure':>{widths[1]}}  {'target':<{widths[2]}}  result")
    for r in rows:
        print(
            f"{r.name:<{widths[0]}}  {r.figure:>{widths[1]}}  {r.target:<{widths[2]}}  {r.verdict}"
        )
    sys.stdout.flush()


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save_png(figure: object, path: Path) -> None:
    """Write a matplotlib ``Figure`` (drawn without pyplot) to ``path`` as a PNG, atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from kg.rdfio import atomic_write

    FigureCanvasAgg(figure)
    atomic_write(path, lambda out: figure.savefig(out, format="png", dpi=120))
    print(f"plot written to {path}")


def default_model() -> str:
    import spacy

    from kg.nlp import DEFAULT_MODELS

    for name in DEFAULT_MODELS:
        if spacy.util.is_package(name):
            return name
    raise SystemExit("no spaCy English pipeline installed")


def seed_graph(folder: Path, documents: int, seed: int = 7) -> Path:
    """An N-Quads kg graph of ``documents`` synthetic documents, built once per folder."""
    from kg.pipeline import build_file

    path = folder / f"seed-{documents}-{seed}.nq"
    if not path.exists():
        corpus = write_jsonl(documents, folder / f"seed-{documents}-{seed}.jsonl", seed)
        build_file([corpus], path)
    return path


def scaled_graph(seed: Path, target_quads: int, out: Path) -> int:
    """The seed graph copied until it holds ``target_quads`` quads: each copy renames its
    documents (and so their graphs, facts and sentences), entities stay shared, as in a
    corpus where many articles name the same organisations and countries."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    written = 0
    with out.open("w", encoding="utf-8") as stream:
        copy = 0
        while written < target_quads:
            for line in lines:
                if written >= target_quads:
                    break
                stream.write(line.replace("synthetic/", f"synthetic-{copy}/") + "\n")
                written += 1
            copy += 1
    return written

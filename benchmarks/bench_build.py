"""Build overhead: ``kg build`` against bare ``nlp.pipe`` with the same model, batch size and
corpus, measured side by side in one run (target: ratio <= 1.10).

    python benchmarks/bench_build.py --docs 500
    python benchmarks/bench_build.py --docs 500 --legacy   # also the rdflib file writer

Both sides are timed from loading the model to the last document; kg's side reads the JSONL
file, parses, extracts facts, resolves and writes a TriG file (``kg.pipeline.build_file``)
and, separately, a store (``build_store``), all in this process (the library's default), and
once more as the command line runs it: parsing and extraction in a worker process while this
one resolves and writes (its CPU figure is this process's share only). Each side's CPU
seconds are printed too, and their ratios: the target is on wall-clock time on a quiet
machine, but where other jobs share the cores only the CPU ratio stays comparable from run to
run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks.common import Row, default_model, print_table
from benchmarks.corpus import write_jsonl
from kg.pipeline import DEFAULT_BATCH_SIZE, BuildReport, build_dataset, build_file, build_store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock seconds, and the CPU seconds this process (all its threads) spent meanwhile:
    on a machine other jobs share, the CPU figures still compare the two sides fairly."""

    wall: float
    cpu: float


def timed(work: Callable[[], T]) -> tuple[Timing, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def bare_pipe(texts: list[str], model: str, batch_size: int) -> Timing:
    import spacy

    def run() -> None:
        nlp = spacy.load(model)
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass

    return timed(run)[0]


def kg_file(corpus: Path, out: Path, model: str) -> tuple[Timing, BuildReport]:
    report = BuildReport()
    return timed(lambda: build_file([corpus], out, model=model, report=report))[0], report


def kg_file_in_worker(corpus: Path, out: Path, model: str) -> Timing:
    """The file build as ``kg build`` runs it: parsing and extraction in a worker process
    (with the default budget per document) while this process resolves and writes."""
    from kg.workers import DEFAULT_DOC_TIMEOUT

    return timed(lambda: build_file([corpus], out, model=model, doc_timeout=DEFAULT_DOC_TIMEOUT))[0]


def kg_store(corpus: Path, out: Path, model: str) -> Timing:
    return timed(lambda: build_store([corpus], out, model=model))[0]


def kg_legacy(corpus: Path, out: Path, model: str) -> Timing:
    """The file build before streaming: an rdflib Dataset serialised by rdflib."""
    from kg.rdfio import write_dataset

    return timed(lambda: write_dataset(build_dataset([corpus], model=model), out))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--model", default=None)
    parser.add_argument("--with-corpus", action="store_true", help="add ../shared/corpus")
    parser.add_argument("--legacy", action="store_true", help="also time the rdflib writer")
    args = parser.parse_args()
    model = args.model or default_model()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_jsonl(args.docs, Path(tmp) / "bench.jsonl", with_corpus=args.with_corpus)
        texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
        words = sum(len(t.split()) for t in texts)
        bare = bare_pipe(texts, model, DEFAULT_BATCH_SIZE)
        built, report = kg_file(corpus, Path(tmp) / "g.trig", model)
        stored = kg_store(corpus, Path(tmp) / "store", model)
        in_worker = kg_file_in_worker(corpus, Path(tmp) / "w.trig", model)
        legacy = kg_legacy(corpus, Path(tmp) / "legacy.trig", model) if args.legacy else None
    rows = [
        Row("corpus", f"{args.docs} docs, {words} words", f"model {model}, batch 32"),
        Row("bare nlp.pipe", _seconds(bare, words), ""),
        Row("kg build -o g.trig", _seconds(built, words), ""),
        Row("kg build --store", _seconds(stored, words), ""),
        Row("kg build -o w.trig, parse in a worker", _seconds(in_worker, words), "as the CLI"),
        _ratio("ratio file build / bare", built.wall / bare.wall),
        _ratio("ratio store build / bare", stored.wall / bare.wall),
        _ratio("ratio file build in a worker / bare", in_worker.wall / bare.wall),
        Row("CPU ratio file build / bare", f"{built.cpu / bare.cpu:.2f}", "(shared machines)"),
        Row("CPU ratio store build / bare", f"{stored.cpu / bare.cpu:.2f}", "(shared machines)"),
        Row("graph", f"{sum(report.facts.values())} facts, {report.triples} triples", ""),
    ]
    if legacy is not None:
        rows.append(Row("rdflib-written file / bare", f"{legacy.wall / bare.wall:.2f}", "(before)"))
    print_table("build overhead", rows)


def _ratio(name: str, ratio: float) -> Row:
    return Row(name, f"{ratio:.2f}", "<= 1.10", ratio <= 1.10)


def _seconds(timing: Timing, words: int) -> str:
    return f"{timing.wall:.1f} s ({timing.cpu:.1f} s CPU), {words / timing.wall:.0f} words/s"


if __name__ == "__main__":
    main()

"""Build overhead: ``kg build`` against bare ``nlp.pipe`` with the same model, batch size and
corpus, measured side by side in one run (target: ratio <= 1.10).

    python benchmarks/bench_build.py --docs 500
    python benchmarks/bench_build.py --docs 500 --legacy   # also the rdflib file writer

Both sides are timed from loading the model to the last document; kg's side reads the JSONL
file, parses, extracts facts, resolves and writes a TriG file (``kg.pipeline.build_file``)
and, separately, a store (``build_store``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, default_model, print_table
from benchmarks.corpus import write_jsonl
from kg.pipeline import DEFAULT_BATCH_SIZE, BuildReport, build_dataset, build_file, build_store


def bare_pipe(texts: list[str], model: str, batch_size: int) -> float:
    import spacy

    started = time.perf_counter()
    nlp = spacy.load(model)
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - started


def kg_file(corpus: Path, out: Path, model: str) -> tuple[float, BuildReport]:
    report = BuildReport()
    started = time.perf_counter()
    build_file([corpus], out, model=model, report=report)
    return time.perf_counter() - started, report


def kg_store(corpus: Path, out: Path, model: str) -> float:
    started = time.perf_counter()
    build_store([corpus], out, model=model)
    return time.perf_counter() - started


def kg_legacy(corpus: Path, out: Path, model: str) -> float:
    """The file build before streaming: an rdflib Dataset serialised by rdflib."""
    from kg.rdfio import write_dataset

    started = time.perf_counter()
    write_dataset(build_dataset([corpus], model=model), out)
    return time.perf_counter() - started


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
        legacy = kg_legacy(corpus, Path(tmp) / "legacy.trig", model) if args.legacy else None
    rows = [
        Row("corpus", f"{args.docs} docs, {words} words", f"model {model}, batch 32"),
        Row("bare nlp.pipe", f"{bare:.1f} s, {words / bare:.0f} words/s", ""),
        Row("kg build -o g.trig", f"{built:.1f} s, {words / built:.0f} words/s", ""),
        Row("kg build --store", f"{stored:.1f} s, {words / stored:.0f} words/s", ""),
        Row("ratio file build / bare", f"{built / bare:.2f}", "<= 1.10", built / bare <= 1.10),
        Row("ratio store build / bare", f"{stored / bare:.2f}", "<= 1.10", stored / bare <= 1.10),
        Row("graph", f"{sum(report.facts.values())} facts, {report.triples} triples", ""),
    ]
    if legacy is not None:
        rows.append(Row("rdflib-written file / bare", f"{legacy / bare:.2f}", "(before)", None))
    print_table("build overhead", rows)


if __name__ == "__main__":
    main()

"""Build overhead: ``kg build`` against bare ``nlp.pipe`` with the same model, batch size and
corpus, measured side by side in one run (target: ratio <= 1.10).

    python benchmarks/bench_build.py --docs 1000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import spacy

from benchmarks.corpus import write_jsonl
from kg.nlp import DEFAULT_MODELS
from kg.pipeline import DEFAULT_BATCH_SIZE, BuildReport, build_dataset


def bare_pipe(texts: list[str], model: str, batch_size: int) -> float:
    nlp = spacy.load(model)
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - started


def kg_build(corpus: Path, model: str) -> tuple[float, BuildReport]:
    report = BuildReport()
    started = time.perf_counter()
    build_dataset([corpus], model=model, report=report)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model = args.model or _default_model()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_jsonl(args.docs, Path(tmp) / "bench.jsonl")
        texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
        words = sum(len(t.split()) for t in texts)
        bare = bare_pipe(texts, model, DEFAULT_BATCH_SIZE)
        built, report = kg_build(corpus, model)
    print(
        f"corpus: {args.docs} documents, {words} words; model {model}, batch {DEFAULT_BATCH_SIZE}"
    )
    print(f"bare nlp.pipe : {bare:7.2f} s  {words / bare:8.0f} words/s")
    print(
        f"kg build      : {built:7.2f} s  {words / built:8.0f} words/s  "
        f"({sum(report.facts.values())} facts, {report.triples} triples)"
    )
    print(f"ratio kg/bare : {built / bare:7.2f}  (target <= 1.10)")


def _default_model() -> str:
    for name in DEFAULT_MODELS:
        if spacy.util.is_package(name):
            return name
    raise SystemExit("no spaCy English pipeline installed")


if __name__ == "__main__":
    main()

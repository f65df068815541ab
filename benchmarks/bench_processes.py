"""``kg build --processes 2`` against ``--processes 1`` on the same corpus (target: >= 1.8x
on a corpus large enough to amortise starting the workers), with bare ``nlp.pipe`` at
``n_process`` 1 and 2 alongside for what spaCy itself gains.

kg's worker processes (``kg.workers``) parse and read facts with the default budget per
document, as ``kg build`` runs them; the one-process build is timed both in a worker (what
``kg build`` does) and in this process (``doc_timeout=None``, the library's default), and the
speed-up is taken against the faster of the two.

    python -m benchmarks.bench_processes --docs 2000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, default_model, print_table
from benchmarks.corpus import write_jsonl
from kg.pipeline import DEFAULT_BATCH_SIZE, build_file
from kg.workers import DEFAULT_DOC_TIMEOUT


def bare(texts: list[str], model: str, processes: int) -> float:
    import spacy

    nlp = spacy.load(model)
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=DEFAULT_BATCH_SIZE, n_process=processes):
        pass
    return time.perf_counter() - started


def kg(corpus: Path, out: Path, model: str, processes: int, doc_timeout: float | None) -> float:
    started = time.perf_counter()
    build_file([corpus], out, model=model, processes=processes, doc_timeout=doc_timeout)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--model", default=None)
    parser.add_argument("--with-corpus", action="store_true", help="add ../shared/corpus")
    parser.add_argument("--no-bare", action="store_true", help="skip bare nlp.pipe")
    args = parser.parse_args()
    model = args.model or default_model()
    rows = [Row("corpus / cores", f"{args.docs} docs / {os.cpu_count()} cores", f"model {model}")]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_jsonl(args.docs, Path(tmp) / "bench.jsonl", with_corpus=args.with_corpus)
        here = kg(corpus, Path(tmp) / "here.trig", model, 1, None)
        one = kg(corpus, Path(tmp) / "one.trig", model, 1, DEFAULT_DOC_TIMEOUT)
        two = kg(corpus, Path(tmp) / "two.trig", model, 2, DEFAULT_DOC_TIMEOUT)
        best = min(here, one)
        rows += [
            Row("kg build, 1 process, in-process", f"{here:.1f} s", ""),
            Row("kg build, 1 worker", f"{one:.1f} s", ""),
            Row("kg build, 2 workers", f"{two:.1f} s", ""),
            Row("kg speed-up, 2 workers / 1 worker", f"{one / two:.2f}x", "", None),
            Row(
                "kg speed-up, 2 workers / best of 1",
                f"{best / two:.2f}x",
                ">= 1.8x",
                best / two >= 1.8,
            ),
        ]
        if not args.no_bare:
            texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
            bare_one, bare_two = bare(texts, model, 1), bare(texts, model, 2)
            rows += [
                Row("bare nlp.pipe, n_process 1", f"{bare_one:.1f} s", ""),
                Row("bare nlp.pipe, n_process 2", f"{bare_two:.1f} s", ""),
                Row("bare speed-up", f"{bare_one / bare_two:.2f}x", "(spaCy alone)", None),
            ]
    print_table("processes", rows)


if __name__ == "__main__":
    main()

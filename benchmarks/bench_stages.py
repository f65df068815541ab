"""Where a build's time goes, stage by stage, in CPU milliseconds per document, against bare
``nlp.pipe`` with the same model, batch size and corpus, all in one process and one run.

``bench_build`` says how far ``kg build`` is from bare spaCy; this says which part of kg costs
what, so that the gap is argued with figures: the parse with kg's entity rulers (each ruler
component timed on its own), fact extraction, resolution, RDF terms, and writing (a TriG file
and a store). Each stage is timed on the previous stage's output, held in memory, so one
stage's figure does not include another's.

    python -m benchmarks.bench_stages --docs 500
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from benchmarks.common import Row, default_model, print_table
from benchmarks.corpus import write_jsonl
from kg.pipeline import DEFAULT_BATCH_SIZE

T = TypeVar("T")
BUDGET = 1.10
"""The build-overhead target: kg's whole build within 1.10 times bare ``nlp.pipe``."""


def cpu(work: Callable[[], T]) -> tuple[float, T]:
    """``work()``'s CPU seconds in this process, and its value."""
    started = time.process_time()
    value = work()
    return time.process_time() - started, value


def timed_components(nlp: object, texts: list[str]) -> dict[str, float]:
    """CPU seconds of each pipeline component over ``texts`` (tokenizer included), batched
    as ``nlp.pipe`` batches them."""
    seconds: dict[str, float] = {}
    spent, docs = cpu(lambda: [nlp.make_doc(text) for text in texts])  # type: ignore[attr-defined]
    seconds["tokenizer"] = spent
    for name, component in nlp.pipeline:  # type: ignore[attr-defined]
        seconds[name], docs = cpu(lambda c=component, d=docs: _apply(c, d))
    return seconds


def _apply(component: object, docs: list) -> list:
    """One pipeline component over ``docs``, in batches when it takes them."""
    if hasattr(component, "pipe"):
        return list(component.pipe(docs, batch_size=DEFAULT_BATCH_SIZE))
    return [component(doc) for doc in docs]  # type: ignore[operator]


def kg_stages(corpus: Path, model: str, folder: Path) -> tuple[dict[str, float], int]:
    """CPU seconds of each kg stage after parsing, and the number of triples written."""
    from kg.extract import Extractor
    from kg.iri import IriMinter
    from kg.nlp import load_pipeline
    from kg.pipeline import DocumentResolver, _as_oxigraph, _serialise
    from kg.rdf import document_triples
    from kg.sources import read_documents
    from kg.store import GraphStore, OxigraphTerms

    nlp = load_pipeline(model)
    documents = list(read_documents([str(corpus)]))
    seconds: dict[str, float] = {}
    seconds["kg parse (all components)"], docs = cpu(
        lambda: list(nlp.pipe((d.text for d in documents), batch_size=DEFAULT_BATCH_SIZE))
    )
    extractor = Extractor(nlp)
    seconds["extract facts"], items = cpu(
        lambda: [extractor.extract(d, doc) for d, doc in zip(documents, docs, strict=True)]
    )
    resolver = DocumentResolver()
    seconds["resolve entities"], resolutions = cpu(
        lambda: [resolver.resolve(item)[0] for item in items]
    )
    minter = IriMinter()
    seconds["RDF triples (rdflib terms)"], graphs = cpu(
        lambda: [
            list(document_triples(i, r, minter)) for i, r in zip(items, resolutions, strict=True)
        ]
    )
    terms = OxigraphTerms()
    seconds["pyoxigraph terms"], converted = cpu(lambda: [_as_oxigraph(g, terms) for g in graphs])
    quads = _quads(items, graphs, minter)
    seconds["write TriG (terms and serialising)"], _ = cpu(
        lambda: _serialise(quads, io.BytesIO(), "trig")
    )

    def store() -> None:
        with GraphStore.open(folder / "store", create=True) as opened, opened.writer() as w:
            for item, triples in zip(items, converted, strict=True):
                w.write(item.document.id, triples, item.document.id)

    seconds["write store (batched bulk loads, publish)"], _ = cpu(store)
    return seconds, sum(map(len, graphs))


def _quads(items: list, graphs: list, minter: object) -> Iterable[tuple]:
    return [
        (s, p, o, minter.graph(item.document.id))  # type: ignore[attr-defined]
        for item, graph in zip(items, graphs, strict=True)
        for s, p, o in graph
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model = args.model or default_model()
    import spacy

    from kg.nlp import load_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_jsonl(args.docs, Path(tmp) / "bench.jsonl")
        texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
        bare = spacy.load(model)
        bare_seconds, _ = cpu(lambda: list(bare.pipe(texts, batch_size=DEFAULT_BATCH_SIZE)))
        components = timed_components(load_pipeline(model), texts)
        stages, triples = kg_stages(corpus, model, Path(tmp))
    per_doc = 1000 / args.docs
    rows = [Row("corpus", f"{args.docs} docs, {triples} triples", f"model {model}")]
    rows.append(Row("bare nlp.pipe", f"{bare_seconds * per_doc:.2f} ms/doc", "baseline"))
    budget = (BUDGET - 1) * bare_seconds * per_doc
    rows.append(Row("kg's budget at 1.10", f"{budget:.2f} ms/doc", "for everything below"))
    kg_components = {k: v for k, v in components.items() if k.startswith("kg_")}
    for name, spent in components.items():
        rows.append(Row(f"  component {name}", f"{spent * per_doc:.2f} ms/doc", ""))
    added = sum(kg_components.values())
    rows.append(Row("kg's spaCy components together", f"{added * per_doc:.2f} ms/doc", ""))
    for name, spent in stages.items():
        rows.append(Row(name, f"{spent * per_doc:.2f} ms/doc", ""))
    after_parse = [v for k, v in stages.items() if not k.startswith(("kg parse", "write TriG"))]
    extra = added + sum(after_parse)
    rows.append(
        Row(
            "kg's additions (components, extract .. store)",
            f"{extra * per_doc:.2f} ms/doc",
            f"{(bare_seconds + extra) / bare_seconds:.2f} x bare",
            extra <= (BUDGET - 1) * bare_seconds,
        )
    )
    print_table("where a build's time goes (CPU per document)", rows)


if __name__ == "__main__":
    main()

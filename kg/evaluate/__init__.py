"""Measure kg against a gold-annotated corpus, through the graph researchers get.

A corpus folder holds ``articles/NNN.txt`` (a ``key: value`` header, a blank line, the text)
and ``gold/NNN.jsonl`` (the facts a careful reader takes from it; see the corpus README).
``evaluate`` builds the graph of the articles, reads the facts back out of it with SPARQL
(``readout``), and scores them claim by claim against gold (``score``), giving an
``EvaluationReport``. Only articles with a gold file are scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import InputError
from kg.evaluate.report import EvaluationReport

if TYPE_CHECKING:
    from rdflib import Dataset

__all__ = ["EvaluationReport", "evaluate"]


def evaluate(
    corpus: Path, *, model: str | None = None, dataset: Dataset | None = None
) -> EvaluationReport:
    """Score kg on ``corpus``: the graph of ``corpus/articles/`` (built with ``model``, or
    ``dataset`` when given, which skips the build) against ``corpus/gold/``."""
    corpus = Path(corpus)
    articles, gold_dir = corpus / "articles", corpus / "gold"
    missing = [f"{folder.name}/" for folder in (articles, gold_dir) if not folder.is_dir()]
    if missing:
        lacks = " and ".join(missing)
        raise InputError(f"expected a corpus with articles/ and gold/, {corpus} lacks {lacks}")
    # Imported here: gold and readout are light, but building and querying need spaCy, rdflib
    # and pyoxigraph, which nothing should load before it is asked to evaluate.
    from kg.evaluate.gold import load_gold, read_article
    from kg.evaluate.readout import read_facts
    from kg.evaluate.score import score

    gold = load_gold(gold_dir)
    texts = {}
    for doc_id in gold:
        path = articles / f"{doc_id}.txt"
        if not path.is_file():
            raise InputError(f"expected {path} for gold/{doc_id}.jsonl, got no such file")
        texts[doc_id] = read_article(path)
    if dataset is None:
        from kg.pipeline import build_dataset

        dataset = build_dataset([articles], model=model)
    return score(gold, read_facts(dataset), texts)

"""Which extraction rules earn their keep on the annotated corpus.

Builds the graph of CORPUS/articles, reads every fact's ``kg:rule`` and document back with
SPARQL, and prints for each rule of ``kg/data/rules``: the facts credited to it, the articles
those facts come from ("credited"), and the articles where its pattern matches at all
("fires"). It flags rules that fire on exactly one article (a rule fitted to one text is a
smell), rules that never fire, and rules that fire but are never credited with a fact.

A rule can fire without being credited: its reading loses to a surer rule's reading of the
same claim, or its builder finds no entity in a slot. Operation rules are never credited on
their own account when several feed one report, which is then credited to
``operation.frame.v1``; rule ids the code writes itself (frames, statements) are listed after
the table.

Usage: ``python scripts/rule_coverage.py [CORPUS]`` (default ``../shared/corpus``).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset

from kg.extract.rules import Rule, load_rules
from kg.pipeline import build_dataset
from kg.query import run_query

ROOT = Path(__file__).resolve().parent.parent
CREDITS = """
PREFIX kg: <https://w3id.org/kgnews/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?rule ?document (COUNT(DISTINCT ?fact) AS ?facts)
WHERE {
  ?fact kg:rule ?rule ; prov:wasGeneratedBy ?extraction .
  ?extraction prov:used ?doc .
  ?doc dcterms:identifier ?document .
}
GROUP BY ?rule ?document
"""


@dataclass(frozen=True, slots=True)
class Coverage:
    """One rule's record on the corpus."""

    rule: str
    facts: int
    credited: int
    fires: int

    @property
    def flag(self) -> str:
        if self.fires == 0:
            return "NEVER FIRES"
        if self.fires == 1:
            return "ONE ARTICLE"
        return "never credited" if self.credited == 0 else ""


def credits(dataset: Dataset) -> dict[str, Counter[str]]:
    """Rule id -> facts credited to it per document id, as the graph records them."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for rule, document, facts in run_query(dataset, CREDITS).rows:
        found[str(rule)][str(document)] += int(facts)
    return found


def matches(articles: Path, rules: list[Rule]) -> dict[str, set[str]]:
    """Rule id -> ids of the documents where its pattern matches, facts or not."""
    from kg.extract import Extractor
    from kg.nlp import load_pipeline
    from kg.sources import read_documents

    nlp = load_pipeline()
    extractor = Extractor(nlp, rules=rules)
    found: dict[str, set[str]] = defaultdict(set)
    pairs = ((document.text, document) for document in read_documents([articles]))
    for doc, document in nlp.pipe(pairs, as_tuples=True):
        extractor.tagger(doc)
        for match in extractor.rules.matches(doc):
            found[match.rule.id].add(document.id)
    return found


def coverage(
    rules: list[Rule], credited: dict[str, Counter[str]], matched: dict[str, set[str]]
) -> list[Coverage]:
    return [
        Coverage(
            rule.id,
            sum(credited.get(rule.id, Counter()).values()),
            len(credited.get(rule.id, Counter())),
            len(matched.get(rule.id, set())),
        )
        for rule in rules
    ]


def table(rows: list[Coverage]) -> str:
    width = max(len(row.rule) for row in rows)
    lines = [f"{'rule':<{width}}  facts  credited  fires  flag"]
    lines += [
        f"{r.rule:<{width}}  {r.facts:>5}  {r.credited:>8}  {r.fires:>5}  {r.flag}".rstrip()
        for r in rows
    ]
    return "\n".join(lines)


def summary(rows: list[Coverage], credited: dict[str, Counter[str]], known: set[str]) -> str:
    def named(rules: list[Coverage]) -> str:
        return f"({len(rules)}): {', '.join(r.rule for r in rules) or '-'}"

    extra = sorted(set(credited) - known)
    return "\n".join(
        [
            f"{len(rows)} rules; {sum(r.fires > 1 for r in rows)} fire on two or more articles",
            "fire on one article only " + named([r for r in rows if r.fires == 1]),
            "never fire " + named([r for r in rows if r.fires == 0]),
            "fire on several articles, never credited "
            + named([r for r in rows if r.fires > 1 and r.credited == 0]),
            "rule ids written by code: "
            + (", ".join(f"{rule} ({len(credited[rule])} articles)" for rule in extra) or "-"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpus")
    articles = parser.parse_args().corpus / "articles"
    rules = load_rules()
    credited = credits(build_dataset([articles]))
    rows = coverage(rules, credited, matches(articles, rules))
    print(table(rows))
    print()
    print(summary(rows, credited, {rule.id for rule in rules}))


if __name__ == "__main__":
    main()

"""A reproducible synthetic news corpus for benchmarks.

Documents are assembled, with a seeded random generator, from sentence templates in the style
of news about memberships, treaties, operations, posts and statements, filled with names from
kg's own gazetteer (countries, organisations, treaties) and invented people and operation
names. Nothing here is copied from any article. ``--with-corpus`` adds the annotated articles
of ``../shared/corpus`` (read from there, never copied) when they are present.

    python benchmarks/corpus.py 1000 -o /tmp/bench-1k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from pathlib import Path

from kg.gazetteer import ORGANISATION_KINDS, load_gazetteer
from kg.records import EntityKind

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FIRST = [
    "Ana",
    "Marek",
    "Lina",
    "Tomas",
    "Sara",
    "Yusuf",
    "Mei",
    "Ivan",
    "Grace",
    "Omar",
    "Elena",
    "Kofi",
    "Nadia",
    "Luis",
    "Hana",
]
LAST = [
    "Novak",
    "Mensah",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Moreau",
    "Silva",
    "Petrov",
    "Haddad",
    "Kowalski",
    "Reyes",
]
ROLES = (
    "Secretary General",
    "Executive Director",
    "Director",
    "President",
    "Deputy Director",
    "Head of Operations",
    "Chief of Police",
)
OPERATION_WORDS = [
    "Kestrel",
    "Heron",
    "Atlas",
    "Trident",
    "Lighthouse",
    "Falcon",
    "Meridian",
    "Harbor",
    "Sentinel",
    "Cobalt",
    "Aurora",
    "Granite",
]
ROMAN = ("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X")
THINGS = (
    "illegal websites",
    "firearms",
    "counterfeit medicines",
    "bank accounts",
    "malicious servers",
    "stolen vehicles",
    "forged passports",
)
VERBS = ("seized", "dismantled", "identified", "frozen", "taken down")
QUOTES = (
    "Criminal networks do not stop at borders, and neither will we",
    "This result shows what cooperation between police forces can achieve",
    "Every arrest protects victims who will never know our names",
    "We will keep sharing intelligence with our partners around the world",
)


class Names:
    """Names the templates draw from: the gazetteer's, plus invented people and operations."""

    def __init__(self, rng: random.Random) -> None:
        gazetteer = load_gazetteer()
        self.rng = rng
        self.countries = sorted(e.label for e in gazetteer if e.kind is EntityKind.COUNTRY)
        self.orgs = sorted(e.label for e in gazetteer if e.kind in ORGANISATION_KINDS)
        self.treaties = sorted(e.label for e in gazetteer if e.kind is EntityKind.TREATY)

    def country(self) -> str:
        return self.rng.choice(self.countries)

    def org(self) -> str:
        return self.rng.choice(self.orgs)

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def operation(self) -> str:
        return f"Operation {self.rng.choice(OPERATION_WORDS)}{self.rng.choice(ROMAN)}"

    def date(self) -> str:
        day, month = self.rng.randint(1, 28), self.rng.choice(MONTHS)
        return f"{day} {month} {self.rng.randint(1990, 2025)}"

    def number(self, low: int = 2, high: int = 5000) -> str:
        return f"{self.rng.randint(low, high):,}"


TEMPLATES = (
    lambda n: f"{n.country()} has been a member of {n.org()} since {n.date()}.",
    lambda n: f"{n.country()} joined {n.org()} in {n.rng.randint(1950, 2024)}.",
    lambda n: (
        f"{n.country()} became the {n.rng.randint(20, 190)}th member of {n.org()} on {n.date()}."
    ),
    lambda n: f"{n.org()} now has a membership of {n.rng.randint(10, 196)} countries.",
    lambda n: (
        f"{n.country()} and {n.country()} signed the {n.rng.choice(n.treaties)} on {n.date()}."
    ),
    lambda n: (
        f"{n.country()} ratified the {n.rng.choice(n.treaties)} in {n.rng.randint(1990, 2025)}."
    ),
    lambda n: f"The {n.rng.choice(n.treaties)} was adopted by the {n.org()} on {n.date()}.",
    lambda n: (
        f"{n.operation()}, coordinated by {n.org()} and {n.org()}, led to the arrest of "
        f"{n.number()} suspects across {n.rng.randint(2, 90)} countries."
    ),
    lambda n: (
        f"Officers {n.rng.choice(VERBS)} {n.number(10, 90000)} {n.rng.choice(THINGS)} "
        f"during the operation."
    ),
    lambda n: f"The operation ran from {n.date()} to {n.date()}.",
    lambda n: f"{n.org()} {n.rng.choice(ROLES)} {n.person()} opened the meeting in {n.country()}.",
    lambda n: (
        f"{n.person()}, {n.rng.choice(ROLES)} of {n.org()}, said: "
        f"\u201c{n.rng.choice(QUOTES)}.\u201d"
    ),
    lambda n: f"\u201c{n.rng.choice(QUOTES)},\u201d {n.person()} added.",
    lambda n: f"Police in {n.country()} and {n.country()} arrested {n.number(2, 300)} people.",
    lambda n: f"Talks between {n.country()} and {n.country()} continued in {n.country()}.",
)


def synthetic(count: int, seed: int = 7, sentences: tuple[int, int] = (8, 20)) -> Iterator[dict]:
    """``count`` documents as JSONL records (id, title, date, text), the same for a seed."""
    rng = random.Random(seed)
    names = Names(rng)
    for i in range(count):
        lines = [rng.choice(TEMPLATES)(names) for _ in range(rng.randint(*sentences))]
        paragraphs = [" ".join(lines[j : j + 3]) for j in range(0, len(lines), 3)]
        yield {
            "id": f"synthetic/{i:06d}",
            "title": f"Synthetic report {i}",
            "date": f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}",
            "text": "\n".join(paragraphs),
        }


def corpus_articles() -> list[Path]:
    """The annotated articles, where ../shared/corpus is present (read in place)."""
    return sorted(SHARED_CORPUS.glob("*.txt")) if SHARED_CORPUS.is_dir() else []


def article_records() -> Iterator[dict]:
    """The annotated articles as JSONL records, read from ../shared/corpus at run time."""
    from kg.sources import read_documents

    paths = [str(path) for path in corpus_articles()]
    for doc in read_documents(paths) if paths else ():
        yield {"id": f"corpus/{doc.id}", "title": doc.title, "date": doc.date, "text": doc.text}


def write_jsonl(count: int, path: Path, seed: int = 7, *, with_corpus: bool = False) -> Path:
    """``count`` synthetic documents (and the corpus articles, if asked and present)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in synthetic(count, seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for record in article_records() if with_corpus else ():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--with-corpus", action="store_true", help="add ../shared/corpus")
    args = parser.parse_args()
    write_jsonl(args.count, args.output, args.seed, with_corpus=args.with_corpus)


if __name__ == "__main__":
    main()

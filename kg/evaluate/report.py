"""The evaluation report: counts, scores and the claims behind them, for people and machines.

A score is only useful next to the claims that produced it, so the report keeps every miss
(with the gold evidence), every false positive (with the sentence the graph cites) and every
wrong qualifier. Ratios with an empty denominator are undefined, not zero: ``None`` in Python,
``null`` in JSON, ``n/a`` in the table.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

FAMILY_ORDER = ("member_of", "member_count", "treaty_action", "operation", "position", "statement")
QUALIFIER_ORDER = ("since", "date", "start", "end")


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


@dataclass(slots=True)
class Counts:
    """Claim counts of one type or article. ``duplicates`` are system claims that repeat a
    claim already counted (right or wrong): neither true nor false positives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        precision, recall = self.precision, self.recall
        if precision is None or recall is None:
            return None
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.duplicates += other.duplicates

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "duplicates": self.duplicates,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(slots=True)
class Ratio:
    """``hits`` out of ``total`` (correct qualifiers, overlapping provenance)."""

    hits: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return ratio(self.hits, self.total)

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    def as_dict(self) -> dict[str, Any]:
        return {"hits": self.hits, "total": self.total, "value": self.value}


@dataclass(frozen=True, slots=True)
class Miss:
    """A gold claim no system claim matched."""

    doc_id: str
    family: str
    claim: str
    evidence: str
    location: str


@dataclass(frozen=True, slots=True)
class FalsePositive:
    """A system claim that matched no gold claim, with the sentences its fact node cites."""

    doc_id: str
    family: str
    claim: str
    sentences: tuple[str, ...]
    fact: str


@dataclass(frozen=True, slots=True)
class QualifierError:
    """A matched claim whose qualifier differs from gold."""

    doc_id: str
    family: str
    claim: str
    qualifier: str
    gold: str | None
    system: str | None


@dataclass(slots=True)
class EvaluationReport:
    """Scores per type, micro-averaged overall, per article, with the claims behind them."""

    types: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FAMILY_ORDER})
    qualifiers: dict[str, Ratio] = field(
        default_factory=lambda: {q: Ratio() for q in QUALIFIER_ORDER}
    )
    provenance: Ratio = field(default_factory=Ratio)
    articles: dict[str, dict[str, Counts]] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    false_positives: list[FalsePositive] = field(default_factory=list)
    qualifier_errors: list[QualifierError] = field(default_factory=list)

    @property
    def micro(self) -> Counts:
        """Counts summed over types: precision, recall and F1 micro-averaged over claims."""
        return _total(self.types.values())

    @property
    def qualifier_accuracy(self) -> Ratio:
        """Correct qualifiers over all qualifiers of matched claims."""
        total = Ratio()
        for part in self.qualifiers.values():
            total.hits += part.hits
            total.total += part.total
        return total

    def article_totals(self) -> dict[str, Counts]:
        """Each article's counts summed over types."""
        return {doc: _total(types.values()) for doc, types in sorted(self.articles.items())}

    def to_json(self) -> str:
        """The whole report as indented JSON; undefined ratios are null."""
        data = {
            "types": {family: counts.as_dict() for family, counts in self.types.items()},
            "micro": self.micro.as_dict(),
            "qualifiers": {name: part.as_dict() for name, part in self.qualifiers.items()},
            "qualifier_accuracy": self.qualifier_accuracy.as_dict(),
            "provenance_overlap": self.provenance.as_dict(),
            "articles": {
                doc: {
                    "total": _total(types.values()).as_dict(),
                    "types": {family: counts.as_dict() for family, counts in types.items()},
                }
                for doc, types in sorted(self.articles.items())
            },
            "misses": [asdict(miss) for miss in self.misses],
            "false_positives": [asdict(fp) for fp in self.false_positives],
            "qualifier_errors": [asdict(error) for error in self.qualifier_errors],
        }
        return json.dumps(data, indent=2, ensure_ascii=False)

    def to_table(self) -> str:
        """Aligned plain-text tables: per type and micro, qualifiers and provenance, per
        article."""
        header = ["type", "tp", "fp", "fn", "dup", "precision", "recall", "f1"]
        rows = [[family, *_score_cells(counts)] for family, counts in self.types.items()]
        rows.append(["micro", *_score_cells(self.micro)])
        ratios = [
            [f"qualifier {name}", str(part.hits), str(part.total), _number(part.value)]
            for name, part in self.qualifiers.items()
        ]
        overall = self.qualifier_accuracy
        ratios.append(["qualifiers", str(overall.hits), str(overall.total), _number(overall.value)])
        provenance = self.provenance
        ratios.append(
            [
                "provenance overlap",
                str(provenance.hits),
                str(provenance.total),
                _number(provenance.value),
            ]
        )
        articles = [[doc, *_score_cells(counts)] for doc, counts in self.article_totals().items()]
        return "\n\n".join(
            [
                _align(header, rows),
                _align(["measure", "hits", "total", "share"], ratios),
                _align(["article", *header[1:]], articles),
            ]
        )

    def explain(self) -> str:
        """Every miss with its gold evidence, every false positive with its cited sentence,
        every wrong qualifier: what to read to see why the scores are what they are."""
        lines = [f"MISSES ({len(self.misses)})"]
        for miss in self.misses:
            lines.append(f"[{miss.doc_id}] {miss.family}: {miss.claim}")
            lines.append(f"    gold {miss.location}: {_quote(miss.evidence)}")
        lines += ["", f"FALSE POSITIVES ({len(self.false_positives)})"]
        for fp in self.false_positives:
            lines.append(f"[{fp.doc_id}] {fp.family}: {fp.claim}")
            lines.append(f"    fact {fp.fact}")
            lines += [f"    cited: {_quote(sentence)}" for sentence in fp.sentences]
            if not fp.sentences:
                lines.append("    cited: (no sentence)")
        lines += ["", f"WRONG QUALIFIERS ({len(self.qualifier_errors)})"]
        for error in self.qualifier_errors:
            lines.append(
                f"[{error.doc_id}] {error.family}: {error.claim}: {error.qualifier} is "
                f"{error.system or 'null'}, gold {error.gold or 'null'}"
            )
        return "\n".join(lines)


def _total(parts: Any) -> Counts:
    total = Counts()
    for part in parts:
        total.add(part)
    return total


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _score_cells(counts: Counts) -> list[str]:
    return [
        str(counts.tp),
        str(counts.fp),
        str(counts.fn),
        str(counts.duplicates),
        _number(counts.precision),
        _number(counts.recall),
        _number(counts.f1),
    ]


def _align(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell: the first left-aligned, numbers right-aligned."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _quote(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)

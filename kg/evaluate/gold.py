"""Gold facts: the corpus's hand-made annotations, loaded and validated into typed records.

The six fact classes here are the common shape of gold and system facts: ``readout`` fills the
same classes from the built graph, so scoring compares like with like. Every entity slot is a
tuple of ``Names`` (any one of them counts): in gold the ``|``-separated alternatives, in the
system output every label the graph holds for the entity.

A gold file that does not validate stops the evaluation with ``FILE:LINE: what is wrong``: a
silently skipped line would move every score without anyone noticing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kg.errors import DecodingError, InputError
from kg.text import clean_text

Names = tuple[str, ...]
"""Every name of one thing, preferred first; a match on any one of them counts."""

TREATY_ACTIONS = ("adopted", "signed", "ratified", "acceded")


@dataclass(frozen=True, slots=True)
class MemberOf:
    member: Names
    organisation: Names
    since: str | None = None


@dataclass(frozen=True, slots=True)
class MemberCount:
    organisation: Names
    count: int


@dataclass(frozen=True, slots=True)
class TreatyAction:
    action: str
    agent: Names
    treaty: Names
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """What one source says about one operation.

    ``name`` is empty for an unnamed operation. ``entity`` is the graph's IRI of the operation
    (None in gold): reports of the same operation in one article share it, which lets scoring
    pool their coordinators when matching an unnamed gold operation.
    """

    name: Names
    coordinators: tuple[Names, ...] = ()
    participants: tuple[Names, ...] = ()
    participant_count: int | None = None
    start: str | None = None
    end: str | None = None
    arrests: int | None = None
    counts: tuple[tuple[str, int], ...] = ()
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    person: Names
    role: Names
    organisation: Names | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    speaker: Names
    quote: str


FactBody = MemberOf | MemberCount | TreatyAction | Operation | Position | Statement

FAMILIES: dict[str, type[FactBody]] = {
    "member_of": MemberOf,
    "member_count": MemberCount,
    "treaty_action": TreatyAction,
    "operation": Operation,
    "position": Position,
    "statement": Statement,
}
FAMILY_OF: dict[type, str] = {cls: family for family, cls in FAMILIES.items()}


@dataclass(frozen=True, slots=True)
class GoldFact:
    """One gold line: the fact, the verbatim evidence, and where the line is (``FILE:LINE``)."""

    doc_id: str
    fact: FactBody
    evidence: str
    location: str

    @property
    def family(self) -> str:
        return FAMILY_OF[type(self.fact)]


def load_gold(gold_dir: Path) -> dict[str, list[GoldFact]]:
    """Every ``*.jsonl`` file of ``gold_dir``, keyed by document id (the file stem).

    An empty file is an article annotated with no facts, so it maps to an empty list.
    """
    if not gold_dir.is_dir():
        raise InputError(f"expected a folder of gold *.jsonl files, got {gold_dir}")
    return {path.stem: load_gold_file(path) for path in sorted(gold_dir.glob("*.jsonl"))}


def load_gold_file(path: Path) -> list[GoldFact]:
    """The facts of one gold file; raises ``InputError`` naming ``FILE:LINE`` on a bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DecodingError(f"{path}: expected UTF-8 gold facts: {error}") from error
    except OSError as error:
        raise InputError(f"{path}: cannot read gold facts: {error}") from error
    facts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            location = f"{path}:{number}"
            try:
                facts.append(_parse_line(line, path.stem, location))
            except _Invalid as error:
                raise InputError(f"{location}: {error}") from None
    return facts


def read_article(path: Path) -> str:
    """The text of a corpus article exactly as kg reads it (header dropped, cleaned), so gold
    evidence and the graph's sentence offsets index into the same string."""
    from kg.sources import read_documents

    return next(read_documents([path])).text


_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


class _Invalid(ValueError):
    """A field that does not validate; becomes an ``InputError`` with the line's location."""


def _parse_line(line: str, doc_id: str, location: str) -> GoldFact:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _Invalid(f"expected one JSON object per line: {error.msg}") from None
    if not isinstance(record, dict):
        raise _Invalid(f"expected a JSON object, got {type(record).__name__}")
    family = record.get("type")
    if family not in FAMILIES:
        raise _Invalid(f"expected 'type' to be one of {', '.join(FAMILIES)}, got {family!r}")
    fields = _FIELDS[family]
    expected = {"type", "evidence", *fields}
    missing = sorted(expected - record.keys())
    unknown = sorted(record.keys() - expected)
    if missing or unknown:
        parts = [f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else ""]
        raise _Invalid(f"{family}: fields {' and '.join(p for p in parts if p)}")
    values = {name: _field(family, name, check, record[name]) for name, check in fields.items()}
    evidence = _field(family, "evidence", _text, record["evidence"])
    return GoldFact(doc_id, FAMILIES[family](**values), evidence, location)


def _field(family: str, name: str, check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except _Invalid as error:
        raise _Invalid(f"{family}: {name!r} {error}") from None


def _names(value: Any) -> Names:
    if not isinstance(value, str):
        raise _Invalid(f"must be a name (alternatives joined by '|'), got {value!r}")
    names = tuple(clean_text(part).strip() for part in value.split("|"))
    if not all(names):
        raise _Invalid(f"has an empty name among its alternatives: {value!r}")
    return names


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"must be a non-empty string, got {value!r}")
    return clean_text(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid(f"must be a non-negative integer, got {value!r}")
    return value


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value) or not _valid_date(value):
        raise _Invalid(f"must be an ISO date (1980, 1980-11 or 1980-11-13) or null, got {value!r}")
    return value


def _valid_date(value: str) -> bool:
    year, month, day = [*value.split("-"), "01", "01"][:3]
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _action(value: Any) -> str:
    if value not in TREATY_ACTIONS:
        raise _Invalid(f"must be one of {', '.join(TREATY_ACTIONS)}, got {value!r}")
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _name_list(value: Any) -> tuple[Names, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of names, got {value!r}")
    return tuple(_names(item) for item in value)


def _counts(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict):
        raise _Invalid(f"must be an object of {{what: number}}, got {value!r}")
    return tuple((_text(what), _count(number)) for what, number in value.items())


def _operation_name(value: Any) -> Names:
    return () if value is None else _names(value)


_FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "member_of": {"member": _names, "organisation": _names, "since": _date},
    "member_count": {"organisation": _names, "count": _count},
    "treaty_action": {"action": _action, "agent": _names, "treaty": _names, "date": _date},
    "operation": {
        "name": _operation_name,
        "coordinators": _name_list,
        "participants": _name_list,
        "participant_count": _optional(_count),
        "start": _date,
        "end": _date,
        "arrests": _optional(_count),
        "counts": _counts,
    },
    "position": {"person": _names, "role": _names, "organisation": _optional(_names)},
    "statement": {"speaker": _names, "quote": _text},
}

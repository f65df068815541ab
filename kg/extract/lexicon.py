"""The word lists the extraction rules share, loaded from ``kg/data/rules/lexicon.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kg.errors import RuleError

RULES_DIR = Path(__file__).resolve().parent.parent / "data" / "rules"


@dataclass(frozen=True, slots=True)
class Lexicon:
    roles: tuple[str, ...]
    role_modifiers: frozenset[str]
    speech_verbs: frozenset[str]
    organisation_anaphors: frozenset[str]
    treaty_anaphors: frozenset[str]
    operation_nouns: frozenset[str]
    government_roles: tuple[str, ...]
    count_verbs: dict[str, str]


@cache
def load_lexicon(path: Path = RULES_DIR / "lexicon.json") -> Lexicon:
    """Read and check the lexicon; every list must be present and hold only strings."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: cannot read lexicon: {exc}") from exc
    fields = Lexicon.__dataclass_fields__
    values = {}
    for name in fields:
        words = data.get(name)
        if name == "count_verbs":
            if not isinstance(words, dict):
                raise RuleError(f"{path}: 'count_verbs' must map a lemma to its participle")
            values[name] = {str(k).lower(): str(v) for k, v in words.items()}
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise RuleError(f"{path}: '{name}' must be a list of non-empty strings")
        lowered = [w.lower() for w in words]
        is_tuple = fields[name].type.startswith("tuple")
        values[name] = tuple(lowered) if is_tuple else frozenset(lowered)
    return Lexicon(**values)

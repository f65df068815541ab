"""Relation rules as data: spaCy ``Matcher`` patterns in JSONL, with named slots.

One rule a line in ``kg/data/rules/*.jsonl``::

    {"id": "membership.member_since.v1", "family": "member_of", "confidence": 0.9,
     "description": "X has been a member of Y since D",
     "pattern": [{"slot": "member", "ent": "COUNTRY|ORG", "OP": "+"}, {"LEMMA": "be"}, ...]}

A pattern token is a spaCy Matcher token pattern plus two keys of ours: ``slot`` names the
part of the match it captures (matches are aligned back to pattern tokens with
``with_alignments``), and ``ent`` names the coarse classes of ``kg.extract.tagging`` the token
may have (matched through ``CLASS_ATTR``, which a rule may therefore not use itself). Other
keys a rule may carry (``action`` for treaty rules, ``what`` for counts) are passed to the
family's builder as ``rule.extra``.

``examples`` lists sentences the rule must read, in the hand-built Doc markup of the rule
tests, with the text each slot captures::

    "examples": [{"text": "[Fiji](GPE#country:FJ) has been a member of ...",
                  "slots": {"member": "Fiji", "organisation": "Interpol"}}]

They are the rule's unit tests (``tests/extract/test_rule_examples.py``) and its documentation.

Every rule is validated on load (id shape, known family and slots, a pattern spaCy accepts,
well-formed examples) and every problem is reported as ``FILE:LINE: message``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy
from spacy.matcher import Matcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from kg.errors import RuleError
from kg.extract.lexicon import RULES_DIR
from kg.extract.tagging import join_text, token_classes

MAX_SENTENCE_TOKENS = 300
"""Sentences longer than this are not matched: spaCy's Matcher is quadratic in the length of
a run its ``+`` and ``*`` patterns keep alive (one 2,000-token sentence of names took 50 s),
and no news sentence is that long; the longest in the evaluation corpus has far fewer."""
CLASS_ATTR = "ENT_KB_ID"
"""The native token attribute that holds the token classes while rules match (kg reads no
knowledge-base ids); ``RuleSet`` puts the Doc's own values back afterwards."""
_WORD_ATTRS = ["LOWER", "ORTH", "LEMMA"]
_MATCHER_CACHE = 4096

FAMILY_SLOTS: dict[str, frozenset[str]] = {
    "member_of": frozenset({"member", "organisation", "since", "until", "ordinal"}),
    "member_count": frozenset({"organisation", "count"}),
    "treaty_action": frozenset({"agent", "treaty", "date"}),
    "position": frozenset({"person", "role", "organisation"}),
    "operation": frozenset(
        {
            "operation",
            "coordinator",
            "participant",
            "participant_count",
            "arrests",
            "count",
            "what",
            "start",
            "period",
        }
    ),
}
_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+\.v[0-9]+$")
_CLASSES = frozenset(
    [
        "COUNTRY",
        "ORG",
        "PERSON",
        "TREATY",
        "OPERATION",
        "PLACE",
        "DATE",
        "NUM",
        "ORDINAL",
        "ROLE",
        "SEP",
        "ORGREF",
        "TREATYREF",
        "O",
    ]
)


@dataclass(frozen=True, slots=True)
class RuleExample:
    """A sentence (hand-built Doc markup) the rule must match, and what each slot captures."""

    text: str
    slots: dict[str, str]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: str
    description: str
    confidence: float
    pattern: tuple[dict[str, Any], ...]
    slots: tuple[str | None, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    examples: tuple[RuleExample, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One match of one rule: each slot name with the token span it captured."""

    rule: Rule
    span: Span
    slots: dict[str, Span]


def load_rules(paths: Iterable[Path] | None = None) -> list[Rule]:
    """Load and validate every rule file; raise one RuleError listing every problem."""
    files = sorted(RULES_DIR.glob("*.jsonl")) if paths is None else list(paths)
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                rule = _parse_rule(line)
            except RuleError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if rule.id in seen:
                problems.append(f"{where}: duplicate rule id {rule.id} (first at {seen[rule.id]})")
                continue
            seen[rule.id] = where
            rules.append(rule)
    if problems:
        raise RuleError("invalid rules:\n" + "\n".join(problems))
    return rules


def _parse_rule(line: str) -> Rule:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RuleError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise RuleError("a rule must be a JSON object")
    for key in ("id", "family", "description", "pattern"):
        if key not in data:
            raise RuleError(f"missing '{key}'")
    rule_id, family = data.pop("id"), data.pop("family")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"id {rule_id!r} is not of the form family.name.vN")
    if family not in FAMILY_SLOTS:
        raise RuleError(f"unknown family {family!r}; expected one of {sorted(FAMILY_SLOTS)}")
    confidence = data.pop("confidence", 0.8)
    if not isinstance(confidence, int | float) or not 0 < confidence <= 1:
        raise RuleError(f"confidence must be a number in (0, 1], got {confidence!r}")
    pattern, slots = _compile_pattern(data.pop("pattern"), family)
    _check_with_spacy(rule_id, pattern)
    examples = _parse_examples(data.pop("examples", []), slots)
    description = str(data.pop("description"))
    return Rule(rule_id, family, description, float(confidence), pattern, slots, data, examples)


def _parse_examples(raw: Any, slots: tuple[str | None, ...]) -> tuple[RuleExample, ...]:
    """Examples may only name slots the pattern captures: a slot it cannot fill is a typo."""
    if not isinstance(raw, list):
        raise RuleError("'examples' must be a list of objects with 'text' and 'slots'")
    captured = sorted({slot for slot in slots if slot is not None})
    examples = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or set(item) != {"text", "slots"}:
            raise RuleError(f"example {number} must be an object with exactly 'text' and 'slots'")
        text, expected = item["text"], item["slots"]
        if not isinstance(text, str) or not text.strip():
            raise RuleError(f"example {number}: 'text' must be a non-empty string")
        if not isinstance(expected, dict) or not all(
            isinstance(value, str) for value in expected.values()
        ):
            raise RuleError(f"example {number}: 'slots' must map slot names to strings")
        unknown = sorted(set(expected) - set(captured))
        if unknown:
            raise RuleError(
                f"example {number}: unknown slot(s) {unknown}; the pattern captures {captured}"
            )
        examples.append(RuleExample(text, dict(expected)))
    return tuple(examples)


def _compile_pattern(raw: Any, family: str) -> tuple[tuple[dict[str, Any], ...], tuple]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise RuleError("'pattern' must be a non-empty list of token objects")
    tokens, slots = [], []
    for token in raw:
        token = dict(token)
        slot = token.pop("slot", None)
        if slot is not None and slot not in FAMILY_SLOTS[family]:
            raise RuleError(
                f"unknown slot {slot!r} for {family}; expected one of "
                f"{sorted(FAMILY_SLOTS[family])}"
            )
        if any(str(key).upper() == CLASS_ATTR for key in token):
            raise RuleError(f"{CLASS_ATTR} carries kg's token classes; use 'ent' to match them")
        if "ent" in token:
            classes = str(token.pop("ent")).split("|")
            unknown = [c for c in classes if c not in _CLASSES]
            if unknown:
                raise RuleError(f"unknown token class(es) {unknown}; expected {sorted(_CLASSES)}")
            token[CLASS_ATTR] = classes[0] if len(classes) == 1 else {"IN": classes}
        tokens.append(token)
        slots.append(slot)
    return tuple(tokens), tuple(slots)


def _check_with_spacy(rule_id: str, pattern: tuple[dict[str, Any], ...]) -> None:
    matcher = Matcher(Vocab(), validate=True)
    try:
        matcher.add(rule_id, [list(pattern)])
    except (ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RuleError(f"spaCy rejects the pattern: {first}") from None


class RuleSet:
    """Rules compiled into Matchers for a vocabulary.

    Each clause is matched only by the rules it can satisfy: a rule needs, for every pattern
    token that must occur, some token of the clause with the word, lemma or class it asks
    for (``_requirements``). Most clauses leave two or three candidate rules of dozens, and
    a spaCy Matcher's cost grows with every pattern it tries at every token. The candidates
    of a clause are matched by one Matcher holding them in file order (cached by candidate
    set), which gives exactly the matches, alignments and order that one Matcher of all the
    rules gives: the other rules cannot match there, and a Matcher's patterns never
    interact.
    """

    def __init__(self, vocab: Vocab, rules: Iterable[Rule]) -> None:
        self.vocab = vocab
        self.rules = list({rule.id: rule for rule in rules}.values())
        self._by_key = {vocab.strings.add(rule.id): rule for rule in self.rules}
        self._class_ids = {name: vocab.strings.add(name) for name in _CLASSES}
        # Requirement n is bit n; _needs[i] has the bits of rule i's requirements, and
        # _meets[column][value] the bits of the requirements a token with that value meets.
        bits: dict[tuple[int, frozenset[int]], int] = {}
        self._needs = [0] * len(self.rules)
        for i, rule in enumerate(self.rules):
            for requirement in _requirements(rule):
                self._needs[i] |= 1 << bits.setdefault(requirement, len(bits))
        self._meets: list[dict[int, int]] = [{} for _ in range(len(_WORD_ATTRS) + 1)]
        for (column, values), bit in bits.items():
            for value in values:
                meets = self._meets[column]
                meets[value] = meets.get(value, 0) | 1 << bit
        self._matchers: dict[tuple[int, ...], Matcher] = {}

    def matches(self, doc: Doc) -> Iterator[RuleMatch]:
        """Every match in document order, its tokens grouped by slot; sentence by sentence,
        skipping those over ``MAX_SENTENCE_TOKENS``."""
        found = self._find(doc)
        for key, start, end, alignment in sorted(found, key=lambda m: (m[1], m[2])):
            rule = self._by_key[key]
            yield RuleMatch(rule, doc[start:end], _slot_spans(doc, rule, start, alignment))

    def _find(self, doc: Doc) -> list[tuple[int, int, int, list[int]]]:
        """The raw matches, with the token classes lent to ``CLASS_ATTR`` meanwhile.

        spaCy's Matcher reads an extension attribute through a new ``Underscore`` object per
        token and predicate, which cost more than the matching itself; a native attribute it
        reads in C. The attribute's own values are put back before returning."""
        ids = self._class_ids
        class_ids = [ids[c] for c in token_classes(doc)]
        *columns, spaces = doc.to_array([*_WORD_ATTRS, "SPACY"]).T.tolist()
        columns.append(class_ids)
        text = join_text([doc.vocab.strings[h] for h in columns[1]], spaces)
        saved = doc.to_array([CLASS_ATTR])
        doc.from_array([CLASS_ATTR], numpy.array(class_ids, dtype=numpy.uint64))
        found = []
        try:
            for sent in _clauses(doc, text):
                if len(sent) > MAX_SENTENCE_TOKENS:
                    continue
                candidates = self._candidates(columns, sent.start, sent.end)
                if not candidates:
                    continue
                matcher = self._matcher(candidates)
                for key, start, end, alignment in matcher(sent, with_alignments=True):
                    found.append((key, sent.start + start, sent.start + end, alignment))
        finally:
            doc.from_array([CLASS_ATTR], saved)
        return found

    def _candidates(self, columns: list[list[int]], start: int, end: int) -> tuple[int, ...]:
        """The indexes of the rules whose requirements tokens ``start:end`` all meet."""
        met = 0
        for column, meets in zip(columns, self._meets, strict=True):
            for value in set(column[start:end]):
                met |= meets.get(value, 0)
        return tuple(i for i, needs in enumerate(self._needs) if needs & met == needs)

    def _matcher(self, candidates: tuple[int, ...]) -> Matcher:
        matcher = self._matchers.get(candidates)
        if matcher is None:
            if len(self._matchers) >= _MATCHER_CACHE:
                self._matchers.clear()
            matcher = self._matchers[candidates] = Matcher(self.vocab)
            for i in candidates:
                rule = self.rules[i]
                matcher.add(rule.id, [list(rule.pattern)], greedy="LONGEST")
        return matcher


def _requirements(rule: Rule) -> list[tuple[int, frozenset[int]]]:
    """What a clause must contain for ``rule`` to match in it: for each pattern token that
    must occur (no ``?``, ``*`` or ``!``), each of its word, lemma or class constraints as
    (column of ``RuleSet._find``'s rows, the hashes allowed). Constraints of other kinds
    (``POS``, ``NOT_IN``) are left out: what is kept is necessary, never sufficient."""
    columns = {**{name: i for i, name in enumerate(_WORD_ATTRS)}, "TEXT": 1, CLASS_ATTR: 3}
    found = []
    for token in rule.pattern:
        if str(token.get("OP", "1")) not in ("1", "+"):
            continue
        for key, value in token.items():
            column = columns.get(key.upper())
            if column is None:
                continue
            if isinstance(value, dict) and set(value) == {"IN"}:
                value = value["IN"]
            elif isinstance(value, str):
                value = [value]
            else:
                continue
            if all(isinstance(v, str) for v in value):
                found.append((column, frozenset(get_string_id(v) for v in value)))
    return found


def _clauses(doc: Doc, text: str) -> list[Span]:
    """The stretches rules match in: sentences, except that a sentence ending in a colon
    runs on into the next one on the same line ("the Founding Fathers of ASEAN: Indonesia,
    Malaysia, ..."), where the parser often splits a list from what introduces it.
    ``text`` is the Doc's text, sliced here by offsets (a Span's own text joins new Tokens)."""
    if not doc.has_annotation("SENT_START"):
        return [doc[:]]
    clauses: list[Span] = []
    for sent in doc.sents:
        previous = clauses[-1] if clauses else None
        if previous is not None:
            kept = text[previous.start_char : previous.end_char].rstrip()
            between = text[previous.start_char + len(kept) : sent.start_char]
            if kept.endswith(":") and "\n" not in between:
                clauses[-1] = doc[previous.start : sent.end]
                continue
        clauses.append(sent)
    return clauses


def _slot_spans(doc: Doc, rule: Rule, start: int, alignment: list[int]) -> dict[str, Span]:
    """The first to last token each slot captured (slots are contiguous in our patterns)."""
    bounds: dict[str, list[int]] = {}
    for offset, pattern_index in enumerate(alignment):
        slot = rule.slots[pattern_index]
        if slot is not None:
            i = start + offset
            low, high = bounds.setdefault(slot, [i, i + 1])
            bounds[slot] = [min(low, i), max(high, i + 1)]
    return {slot: doc[low:high] for slot, (low, high) in bounds.items()}

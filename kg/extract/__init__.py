"""Extraction: a parsed document in, fact records out.

``Extractor`` is built once per pipeline (it compiles the rules and the role matcher for the
pipeline's vocabulary) and then turns each ``(Document, Doc)`` into ``DocumentFacts``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import defaultdict
from functools import cache
from itertools import pairwise

from spacy.language import Language
from spacy.tokens import Doc

from kg.extract.lexicon import Lexicon, load_lexicon
from kg.extract.operations import OperationAssembler, operation_aliases
from kg.extract.relations import (
    build_member_count,
    build_membership,
    build_position,
    build_treaty_action,
    date_treaty_actions,
)
from kg.extract.rules import Rule, RuleSet, load_rules
from kg.extract.slots import Context
from kg.extract.statements import StatementFinder
from kg.extract.tagging import TaggedDoc, Tagger
from kg.gazetteer import Gazetteer, load_gazetteer
from kg.records import (
    Document,
    DocumentFacts,
    EntityKind,
    Fact,
    Membership,
    Mention,
    Position,
    TreatyAction,
)

__all__ = ["Extractor"]

_log = logging.getLogger(__name__)
EMPTY_NAME = "empty-after-normalisation"
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&.\- ]{1,14}$")


class Extractor:
    """Reads facts from parsed documents with the rules and lexicon given (defaults: the
    package's data files)."""

    def __init__(
        self,
        nlp: Language,
        *,
        gazetteer: Gazetteer | None = None,
        rules: list[Rule] | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.gazetteer = gazetteer or load_gazetteer()
        self.lexicon = lexicon or load_lexicon()
        self.tagger = Tagger(nlp, self.gazetteer, self.lexicon)
        self.rules = RuleSet(nlp.vocab, load_rules() if rules is None else rules)

    def extract(self, document: Document, doc: Doc) -> DocumentFacts:
        tagged = self.tagger(doc)
        ctx = Context(tagged, document)
        operations = OperationAssembler(ctx, self.lexicon)
        facts: list[Fact] = []
        evidence: dict[int, list] = defaultdict(list)
        for match in self.rules.matches(doc):
            family = match.rule.family
            if family == "operation":
                evidence[match.span.sent.start].append(match)
            elif family == "member_of":
                facts.extend(build_membership(match, ctx))
            elif family == "member_count":
                facts.extend(build_member_count(match, ctx))
            elif family == "treaty_action":
                facts.extend(build_treaty_action(match, ctx))
            elif family == "position":
                facts.extend(build_position(match, ctx, self.gazetteer, self.lexicon))
        for sent in doc.sents:
            operations.add_sentence(sent, evidence.get(sent.start, []))
        facts.extend(operations.facts())
        facts.extend(StatementFinder(ctx, self.lexicon).facts())
        aliases = acronym_aliases(tagged) + operation_aliases(operations)
        facts = [fact for fact in date_treaty_actions(facts, ctx) if _names_all(fact, document)]
        mentions = [m for m in tagged.mentions if _has_name(m.text)]
        return DocumentFacts(document, tuple(_unique(facts)), tuple(mentions), tuple(aliases))


def acronym_aliases(tagged: TaggedDoc) -> list[tuple[Mention, Mention]]:
    """ "Financial Crime and Anti-Corruption Centre (IFCACC)": the bracketed acronym names the
    entity just before it."""
    pairs = []
    text = tagged.words.doc_text
    mentions = tagged.mentions
    for before, after in pairwise(mentions):
        between = text[before.end : after.start]
        closing = text[after.end : after.end + 3].lstrip()[:1]
        if between.strip() != "(" or closing != ")" or not _ACRONYM.match(after.text):
            continue
        if before.kind in {EntityKind.PERSON, EntityKind.COUNTRY}:
            continue
        if len(after.text) < len(before.text):
            pairs.append((before, after))
    return pairs


def _has_name(text: str) -> bool:
    """A name has a letter or a digit: ``!!!`` names nothing and would mint an IRI of a bare
    hash under a label of punctuation."""
    return any(char.isalnum() for char in text)


def _names_all(fact: Fact, document: Document) -> bool:
    """False, with the reason logged, for a fact citing a mention that names nothing."""
    stack: list[object] = [fact.claim]
    while stack:
        value = stack.pop()
        if isinstance(value, Mention):
            if not _has_name(value.text):
                _log.info(
                    "%s: dropped a %s fact: %s (%r)",
                    document.id,
                    fact.family,
                    EMPTY_NAME,
                    value.text,
                )
                return False
        elif isinstance(value, tuple | list):
            stack.extend(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack.extend(getattr(value, name) for name in _field_names(type(value)))
    return True


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _unique(facts: list[Fact]) -> list[Fact]:
    """Two rules reading one claim from one sentence give one fact: the one that found more
    qualifiers (a date), then the surer one."""
    best: dict[tuple, Fact] = {}
    for fact in facts:
        key = (_identity(fact.claim), fact.provenance.sentences)
        if key not in best or _rank(fact) > _rank(best[key]):
            best[key] = fact
    return list(best.values())


def _identity(claim) -> tuple:
    match claim:
        case Membership():
            return ("member_of", _where(claim.member), _where(claim.organisation))
        case TreatyAction():
            return ("treaty", claim.action, _where(claim.agent), _where(claim.treaty))
        case Position():
            return ("position", _where(claim.person), claim.role.casefold())
    return (claim,)


def _where(mention: Mention) -> tuple:
    return (mention.key or mention.text, mention.start)


def _rank(fact: Fact) -> tuple:
    claim = fact.claim
    qualifiers = sum(
        getattr(claim, name, None) is not None
        for name in ("since", "until", "date", "organisation")
    )
    role = len(claim.role) if isinstance(claim, Position) else 0
    return (qualifiers, role, fact.provenance.confidence)

"""Score system facts against gold facts, claim by claim, as the corpus README defines.

**Claims.** Facts decompose into claims, compared only within the same article:
``member_of`` (member, organisation) with qualifier ``since``; ``member_count``
(organisation, count); ``treaty_action`` (action, agent, treaty) with qualifier ``date``;
``operation`` one claim per coordinator, per participant, and one each for
``participant_count`` and ``arrests`` when present, every one qualified by the operation's
``start`` and ``end``; ``position`` (person, role, organisation), the organisation ignored
where gold has null; ``statement`` (speaker, quote). Operation ``counts`` are not scored.

**Names.** Two name slots match when any name of one equals any name of the other after
``name_key``: case folded, accents removed, punctuation and hyphens dropped, a leading "the"
removed, and spaces ignored (so "Cyber-crime", "cyber crime" and "cybercrime" agree). Gold
names are the ``|`` alternatives; system names are every label the graph holds. Quotes match
when one contains the other after ``normalise`` (the same folding with word spaces kept).

**Operations.** A system operation matches a gold one by name; where gold has no name, by
sharing at least one coordinator. The system operation's coordinators are pooled over all of
its reports in the article (same operation IRI), because kg may read them from several
sentences. An operation claim matches when its operation matches and its value does.

**One to one, and duplicates.** Within an article and type each gold claim matches at most
one system claim and vice versa, by maximum bipartite matching; among equally large matchings
it prefers system claims whose qualifiers agree and whose sentences overlap the evidence. A
system claim left over that says the same as a claim already counted (it matches a matched
gold claim, or an earlier false positive) is a *duplicate*: the same claim stated twice, which
is neither a true nor a second false positive. Duplicates are counted apart, so they stay
visible.

**Qualifiers and provenance.** Over matched claims: a qualifier is right when the ISO strings
are equal (null equals null). Provenance overlaps when the character range of the gold
evidence in the article text (a verbatim substring, possibly several sentences) intersects the
range of any sentence the system's fact cites.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kg.errors import InputError
from kg.evaluate.gold import (
    FactBody,
    GoldFact,
    MemberCount,
    MemberOf,
    Names,
    Operation,
    Position,
    Statement,
    TreatyAction,
)
from kg.evaluate.readout import CitedSentence, SystemFact
from kg.evaluate.report import (
    FAMILY_ORDER,
    Counts,
    EvaluationReport,
    FalsePositive,
    Miss,
    QualifierError,
)

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation slot: matches by containment rather than equality."""

    text: str


@dataclass(frozen=True, slots=True)
class OperationRef:
    """The operation a claim is about: its names (empty when unnamed) and coordinators."""

    names: Names
    coordinators: tuple[Names, ...]


@dataclass(frozen=True, slots=True)
class Claim:
    """One comparable unit: named slots that must match, qualifiers compared once matched,
    the character spans that ground it, and the fact it came from."""

    family: str
    slots: tuple[tuple[str, Any], ...]
    qualifiers: tuple[tuple[str, str | None], ...]
    spans: tuple[Span, ...]
    source: GoldFact | SystemFact


def normalise(text: str) -> str:
    """Case folded, accents removed, punctuation (hyphens included) turned into spaces, single
    spaces, no leading "the"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        " " if unicodedata.category(char).startswith("P") else char
        for char in folded
        if not unicodedata.category(char).startswith("M")
    )
    words = kept.split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """What two names must share to match: ``normalise`` without the spaces."""
    return normalise(name).replace(" ", "")


def names_match(left: Names, right: Names) -> bool:
    """Whether any name of ``left`` equals any name of ``right`` after ``name_key``."""
    keys = {name_key(name) for name in left} - {""}
    return any(name_key(name) in keys for name in right)


def quotes_match(left: str, right: str) -> bool:
    """Whether one quote contains the other after ``normalise``."""
    a, b = normalise(left), normalise(right)
    return bool(a and b) and (a in b or b in a)


def operations_match(gold: OperationRef, system: OperationRef) -> bool:
    """By name where gold names the operation, else by at least one shared coordinator."""
    if gold.names:
        return names_match(gold.names, system.names)
    return any(names_match(g, s) for g in gold.coordinators for s in system.coordinators)


def claims_match(gold: Claim, system: Claim) -> bool:
    """Whether ``system`` states the claim ``gold`` states (qualifiers aside)."""
    if gold.family != system.family or [n for n, _ in gold.slots] != [n for n, _ in system.slots]:
        return False
    return all(_slot_match(g, s) for (_, g), (_, s) in zip(gold.slots, system.slots, strict=True))


def _slot_match(gold: Any, system: Any) -> bool:
    if gold is None:  # gold leaves it open: a position with no organisation
        return True
    if system is None:
        return False
    if isinstance(gold, tuple):
        return names_match(gold, system)
    if isinstance(gold, Quote):
        return quotes_match(gold.text, system.text)
    if isinstance(gold, OperationRef):
        return operations_match(gold, system)
    return gold == system


def score(
    gold: Mapping[str, Sequence[GoldFact]],
    system: Mapping[str, Sequence[SystemFact]],
    texts: Mapping[str, str],
) -> EvaluationReport:
    """Compare the system's facts with gold for every article that has gold.

    ``texts`` maps each gold document id to its article text, into which gold evidence and
    the graph's sentence offsets point. System facts of articles without gold are not scored.
    """
    report = EvaluationReport()
    for doc_id in sorted(gold):
        if doc_id not in texts:
            raise InputError(f"expected the article text of gold document {doc_id!r}, got none")
        text = texts[doc_id]
        gold_claims = [claim for fact in gold[doc_id] for claim in gold_claims_of(fact, text)]
        system_claims = system_claims_of(system.get(doc_id, ()), text)
        report.articles[doc_id] = {}
        for family in FAMILY_ORDER:
            counts = _score_family(
                [claim for claim in gold_claims if claim.family == family],
                [claim for claim in system_claims if claim.family == family],
                report,
            )
            report.types[family].add(counts)
            report.articles[doc_id][family] = counts
    return report


def gold_claims_of(fact: GoldFact, text: str) -> list[Claim]:
    """The claims of one gold fact, grounded in its evidence's span in ``text``."""
    start = text.find(fact.evidence)
    if start < 0:
        raise InputError(
            f"{fact.location}: expected the evidence to be a verbatim substring of article "
            f"{fact.doc_id}, got {fact.evidence[:80]!r}"
        )
    span = (start, start + len(fact.evidence))
    body = fact.fact
    reference = OperationRef(body.name, body.coordinators) if isinstance(body, Operation) else None
    return [
        Claim(fact.family, slots, qualifiers, (span,), fact)
        for slots, qualifiers in _decompose(fact.fact, reference)
    ]


def system_claims_of(facts: Sequence[SystemFact], text: str) -> list[Claim]:
    """The claims of one article's system facts, grounded in their cited sentences."""
    pooled: dict[str | None, list[Names]] = {}
    for item in facts:
        if isinstance(item.fact, Operation):
            pooled.setdefault(item.fact.entity, []).extend(item.fact.coordinators)
    claims = []
    for item in facts:
        reference = None
        if isinstance(item.fact, Operation):
            operation = item.fact
            coordinators = pooled[operation.entity] if operation.entity else operation.coordinators
            reference = OperationRef(operation.name, tuple(coordinators))
        spans = tuple(_sentence_span(text, sentence) for sentence in item.sentences)
        claims += [
            Claim(item.family, slots, qualifiers, spans, item)
            for slots, qualifiers in _decompose(item.fact, reference)
        ]
    return claims


Decomposed = list[tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, str | None], ...]]]


def _decompose(fact: FactBody, reference: OperationRef | None) -> Decomposed:
    match fact:
        case MemberOf():
            slots = (("member", fact.member), ("organisation", fact.organisation))
            return [(slots, (("since", fact.since),))]
        case MemberCount():
            return [((("organisation", fact.organisation), ("count", fact.count)), ())]
        case TreatyAction():
            slots = (("action", fact.action), ("agent", fact.agent), ("treaty", fact.treaty))
            return [(slots, (("date", fact.date),))]
        case Position():
            slots = (("person", fact.person), ("role", fact.role))
            return [((*slots, ("organisation", fact.organisation)), ())]
        case Statement():
            return [((("speaker", fact.speaker), ("quote", Quote(fact.quote))), ())]
        case Operation():
            return _operation_claims(fact, reference)
    raise TypeError(f"expected a fact of the six families, got {type(fact).__name__}")


def _operation_claims(fact: Operation, reference: OperationRef | None) -> Decomposed:
    period = (("start", fact.start), ("end", fact.end))
    values: list[tuple[str, Any]] = [("coordinator", names) for names in fact.coordinators]
    values += [("participant", names) for names in fact.participants]
    figures = (("participant_count", fact.participant_count), ("arrests", fact.arrests))
    values += [(slot, number) for slot, number in figures if number is not None]
    return [((("operation", reference), value), period) for value in values]


def _sentence_span(text: str, sentence: CitedSentence) -> Span:
    """The sentence's range in ``text``. The graph's offsets are used as they are when the
    text there is the sentence; otherwise (a reader that kept or trimmed a header differently)
    the sentence is re-anchored at its occurrence nearest to the stated offset."""
    anchor = sentence.text
    if not anchor or text[sentence.begin : sentence.end] == anchor:
        return sentence.begin, sentence.end
    starts = [match.start() for match in re.finditer(re.escape(anchor), text)]
    if not starts:
        return sentence.begin, sentence.end
    best = min(starts, key=lambda start: abs(start - sentence.begin))
    return best, best + len(anchor)


def _overlaps(gold: Claim, system: Claim) -> bool:
    return any(g[0] < s[1] and s[0] < g[1] for g in gold.spans for s in system.spans)


def _agreeing(gold: Claim, system: Claim) -> int:
    return sum(g == s for g, s in zip(gold.qualifiers, system.qualifiers, strict=True))


def _score_family(gold: list[Claim], system: list[Claim], report: EvaluationReport) -> Counts:
    """Match one article's claims of one type, record what came of each, return the counts."""
    owner = _maximum_matching(_candidates(gold, system))
    matched = {i: j for j, i in owner.items()}
    counts = Counts()
    for i, claim in enumerate(gold):
        if i in matched:
            counts.tp += 1
            _record_match(claim, system[matched[i]], report)
        else:
            counts.fn += 1
            report.misses.append(_miss(claim))
    leftovers = [claim for j, claim in enumerate(system) if j not in owner]
    false_positives = _distinct_unmatched(gold, leftovers)
    counts.fp = len(false_positives)
    counts.duplicates = len(leftovers) - len(false_positives)
    report.false_positives += [_false_positive(claim) for claim in false_positives]
    return counts


def _candidates(gold: list[Claim], system: list[Claim]) -> list[list[int]]:
    """For each gold claim, the system claims that match it, preferred first: qualifiers
    agreeing, then sentences overlapping the evidence, then graph order."""
    return [
        sorted(
            (j for j, s in enumerate(system) if claims_match(g, s)),
            key=lambda j, g=g: (-_agreeing(g, system[j]), -_overlaps(g, system[j]), j),
        )
        for g in gold
    ]


def _distinct_unmatched(gold: list[Claim], leftovers: list[Claim]) -> list[Claim]:
    """The unmatched system claims that are false positives: a leftover matching a gold claim
    (already matched, or it would have been) or an earlier false positive is a duplicate."""
    distinct: list[Claim] = []
    for claim in leftovers:
        if any(claims_match(g, claim) for g in gold):
            continue
        if any(claims_match(k, claim) or claims_match(claim, k) for k in distinct):
            continue
        distinct.append(claim)
    return distinct


def _miss(claim: Claim) -> Miss:
    fact = claim.source
    return Miss(fact.doc_id, claim.family, describe(claim), fact.evidence, fact.location)


def _false_positive(claim: Claim) -> FalsePositive:
    fact = claim.source
    cited = tuple(s.text or f"[{s.begin}:{s.end}]" for s in fact.sentences)
    return FalsePositive(fact.doc_id, claim.family, describe(claim), cited, fact.iri)


def _maximum_matching(candidates: list[list[int]]) -> dict[int, int]:
    """Kuhn's augmenting paths: ``{system index: gold index}`` of a maximum matching, trying
    each gold claim's candidates in their order of preference."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(candidates)):
        augment(i, set())
    return owner


def _record_match(gold: Claim, system: Claim, report: EvaluationReport) -> None:
    for (name, expected), (_, got) in zip(gold.qualifiers, system.qualifiers, strict=True):
        report.qualifiers[name].add(expected == got)
        if expected != got:
            doc_id = gold.source.doc_id
            claim = describe(gold, qualifiers=False)
            error = QualifierError(doc_id, gold.family, claim, name, expected, got)
            report.qualifier_errors.append(error)
    report.provenance.add(_overlaps(gold, system))


def describe(claim: Claim, *, qualifiers: bool = True) -> str:
    """The claim in one line: ``slot=value; ...``, then its qualifiers unless told not to."""
    parts = [f"{name}={_show(value)}" for name, value in claim.slots]
    if qualifiers:
        parts += [f"{name}={value or 'null'}" for name, value in claim.qualifiers]
    return "; ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return "|".join(value[:3]) + ("|…" if len(value) > 3 else "") if value else "(no label)"
    if isinstance(value, Quote):
        return f"“{value.text}”"
    if isinstance(value, OperationRef):
        if value.names:
            return _show(value.names)
        return "unnamed, coordinated by " + (
            ", ".join(_show(names) for names in value.coordinators) or "nobody named"
        )
    return str(value)

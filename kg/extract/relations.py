"""Builders that turn rule matches into membership, member-count, treaty and position facts.

Each builder takes a ``RuleMatch`` and the document ``Context`` and returns facts; the
pattern decides where the slots are, the builder decides what they mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kg.extract.lexicon import Lexicon
from kg.extract.rules import RuleMatch
from kg.extract.slots import AGENT_CLASSES, ORG_CLASSES, Context, ordinal_value
from kg.gazetteer import Gazetteer
from kg.records import (
    EntityKind,
    Fact,
    MemberCount,
    Membership,
    Mention,
    Position,
    Provenance,
    TreatyAction,
    TreatyActionKind,
)

Builder = Callable[[RuleMatch, Context], list[Fact]]
_ARTICLES = frozenset({"the", "a", "an"})


def provenance(match: RuleMatch, ctx: Context, confidence: float | None = None) -> Provenance:
    return Provenance(
        (ctx.sentence(match.span),),
        match.rule.id,
        match.rule.confidence if confidence is None else confidence,
    )


def build_membership(match: RuleMatch, ctx: Context) -> list[Fact]:
    members = ctx.mentions(match.slots.get("member"), AGENT_CLASSES)
    organisations = ctx.mentions(match.slots.get("organisation"), ORG_CLASSES)
    if "member_from" in match.rule.extra:
        members = members or _document_country(ctx)
    organisations = organisations or _extra_organisation(match, ctx)
    if not members or not organisations:
        return []
    organisation = organisations[0]
    since, until = ctx.date(match.slots.get("since")), ctx.date(match.slots.get("until"))
    if since is None and match.rule.extra.get("since_from") == "sentence":
        since = _sentence_date(match, ctx)
    prov = provenance(match, ctx)
    facts = [
        Fact(Membership(member, organisation, since, until), prov)
        for member in members
        if member.key != organisation.key or member.key is None
    ]
    nth = ordinal_value(match.slots.get("ordinal"))
    if nth and len(members) == 1:
        facts.append(Fact(MemberCount(organisation, nth), prov))
    return facts


def _extra_organisation(match: RuleMatch, ctx: Context) -> list[Mention]:
    """Where the rule says the organisation comes from context rather than the sentence."""
    source = match.rule.extra.get("organisation_from")
    if source == "previous_join":
        sent_start = match.span.sent.start
        for token in reversed(ctx.tagged.doc[sent_start : match.span.start]):
            if token.lower_ in {"joined", "joins", "rejoined"}:
                after = ctx.tagged.doc[token.i + 1 : match.span.start]
                return ctx.mentions(after, ORG_CLASSES)[:1]
    if source == "document_organisation":
        orgs = [
            m
            for m in ctx.tagged.mentions
            if m.kind is not EntityKind.COUNTRY
            and m.kind is not EntityKind.PERSON
            and m.key is not None
        ]
        return orgs[:1]
    return []


def _document_country(ctx: Context) -> list[Mention]:
    """The country a page is about: the one its title names (member-country pages)."""
    title = ctx.document.title or ""
    countries = [m for m in ctx.tagged.mentions if m.kind is EntityKind.COUNTRY]
    for mention in countries:
        if mention.text and mention.text in title:
            return [mention]
    return []


def build_member_count(match: RuleMatch, ctx: Context) -> list[Fact]:
    organisations = ctx.mentions(match.slots.get("organisation"), ORG_CLASSES)
    span = match.slots.get("count")
    is_ordinal = span is not None and ctx.tagged.classes[span.start] == "ORDINAL"
    value = ordinal_value(span) if is_ordinal else None
    if value is None:
        quantity = ctx.quantity(span)
        value = quantity.value if quantity is not None else None
    if not organisations or not value or value > 10_000:
        return []
    return [Fact(MemberCount(organisations[0], value), provenance(match, ctx))]


def build_treaty_action(match: RuleMatch, ctx: Context) -> list[Fact]:
    treaties = sorted(
        ctx.mentions(match.slots.get("treaty"), frozenset({"TREATY"})),
        key=lambda m: (m.key is None, -len(m.text)),  # the known, then the fullest name
    )
    if not treaties or match.rule.extra.get("treaty_from") == "document_treaty":
        salient = ctx.salient_treaty()
        treaties = [salient] if salient is not None else []
    agents = ctx.mentions(match.slots.get("agent"), AGENT_CLASSES)
    if not treaties or not agents:
        return []
    action = TreatyActionKind(match.rule.extra["action"])
    date = ctx.date(match.slots.get("date")) or _sentence_date(match, ctx)
    prov = provenance(match, ctx)
    return [
        Fact(TreatyAction(action, agent, treaties[0], date), prov)
        for agent in agents
        if agent.kind is not EntityKind.TREATY
    ]


def _sentence_date(match: RuleMatch, ctx: Context) -> str | None:
    """A date stated in the same sentence (``2 April deposited``), when there is one."""
    for ent in ctx.entities(match.span.sent):
        if ent.label_ == "DATE":
            date = ctx.date(ent)
            if date is not None:
                return date
    return None


def build_position(
    match: RuleMatch, ctx: Context, gazetteer: Gazetteer, lexicon: Lexicon
) -> list[Fact]:
    """A person holding a post. With no organisation in the sentence ("Secretary General
    Jürgen Stock"), an organisational post is taken to be in the organisation the article
    is about; a government post ("Foreign Minister") is not guessed."""
    people = ctx.mentions(match.slots.get("person"), frozenset({"PERSON"}))
    role_span = match.slots.get("role")
    if not people or role_span is None:
        return []
    role = _trim_role(role_span.text, lexicon.role_modifiers)
    organisations = ctx.mentions(match.slots.get("organisation"), AGENT_CLASSES)
    organisation = organisations[0] if organisations else None
    if organisation is None:
        organisation = _ministry_of(role, role_span, gazetteer)
    if (
        organisation is None
        and match.rule.extra.get("organisation_from") == "salient"
        and not any(word in role.lower() for word in lexicon.government_roles)
    ):
        organisation = ctx.salient_organisation()
    return [Fact(Position(people[0], role, organisation), provenance(match, ctx))]


def _trim_role(text: str, modifiers: frozenset[str]) -> str:
    """ "the new Secretary General" holds the post "Secretary General"."""
    first, *rest = re.split(r"\s+", text.strip(), maxsplit=1)
    return rest[0] if rest and first.lower() in _ARTICLES | modifiers else text.strip()


def _ministry_of(role: str, role_span, gazetteer: Gazetteer) -> Mention | None:
    """ "Deputy Minister of Public Security" serves the Ministry of Public Security."""
    found = re.search(r"\bMinister of (?:the )?(.+)$", role)
    if not found:
        return None
    name = f"Ministry of {found.group(1)}"
    start = role_span.start_char + found.start(1)
    entry = gazetteer.find(name)
    kind = entry.kind if entry is not None else EntityKind.ORGANISATION
    return Mention(name, kind, start, role_span.end_char, entry.id if entry else None)


_ACTION_NOUNS = {
    TreatyActionKind.ADOPTED: ("adoption",),
    TreatyActionKind.SIGNED: ("signing", "signature", "signatures"),
    TreatyActionKind.RATIFIED: ("ratification", "ratifications", "instrument", "instruments"),
    TreatyActionKind.ACCEDED: ("accession", "accessions"),
}


def date_treaty_actions(facts: list[Fact], ctx: Context) -> list[Fact]:
    """Give undated treaty actions the date the text gives them elsewhere.

    News states the act first and its date after ("Benin, Fiji and Kiribati have acceded to
    the Convention. With these new accessions, made in Strasbourg on 20 June, ..."), or dates
    the first of several deposits and lists the others ("Apart from Croatia, the
    instruments were deposited by ..."). So: a date in the next sentence that names the act,
    else the date of the last dated same act on the same treaty before it.
    """
    dated: dict[tuple, str] = {}
    result = []
    for fact in sorted(facts, key=lambda f: f.provenance.sentences[0].start):
        claim = fact.claim
        if isinstance(claim, TreatyAction):
            same = (claim.action, claim.treaty.key or claim.treaty.text.casefold())
            date = claim.date or _next_sentence_date(fact, ctx) or dated.get(same)
            if date and not claim.date:
                claim = TreatyAction(claim.action, claim.agent, claim.treaty, date)
                fact = Fact(claim, fact.provenance)
            if claim.date:
                dated[same] = claim.date
        result.append(fact)
    return result


def _next_sentence_date(fact: Fact, ctx: Context) -> str | None:
    claim = fact.claim
    end = fact.provenance.sentences[-1].end
    doc = ctx.tagged.doc
    span = doc.char_span(end, min(end + 1, len(doc.text)), alignment_mode="expand")
    if span is None or span.sent.start_char < end - 1:
        span = next((s for s in doc.sents if s.start_char >= end), None)
    else:
        span = span.sent
    if span is None:
        return None
    words = {t.lower_ for t in span}
    if not words & set(_ACTION_NOUNS[claim.action]):
        return None
    for ent in span.ents:
        if ent.label_ == "DATE":
            date = ctx.date(ent)
            if date and len(date) >= 7:
                return date
    return None

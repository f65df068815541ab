"""Turning the token spans a rule captured into mentions, dates, numbers and evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from spacy.tokens import Span

from kg.extract.tagging import TaggedDoc
from kg.gazetteer import ORGANISATION_KINDS
from kg.normalize import Quantity, parse_date, parse_quantity
from kg.records import Document, EntityKind, Mention, Sentence

ORG_CLASSES = frozenset({"ORG"})
AGENT_CLASSES = frozenset({"ORG", "COUNTRY"})
_POSSESSIVE = {"'s", "’s", "'"}


@dataclass(slots=True)
class Context:
    """What builders need besides the match: the tagged doc and the document's metadata."""

    tagged: TaggedDoc
    document: Document

    def sentence(self, span: Span) -> Sentence:
        sent = span.sent
        return Sentence(self.document.id, sent.start_char, sent.end_char, sent.text)

    def mentions(self, span: Span | None, classes: frozenset[str]) -> list[Mention]:
        """The distinct entity mentions in ``span`` whose class is wanted, anaphors resolved.

        In "Interpol's Cybercrime Directorate" the owner (Interpol) is dropped: the unit is
        the one named.
        """
        if span is None:
            return []
        found: list[Mention] = []
        for token in span:
            cls = token._.kg
            if cls in classes:
                mention = self.tagged.mention_at.get(token.i)
                if (
                    mention is not None
                    and mention not in found
                    and not self._is_owner(token)
                    and not self._is_bracketed_alias(token, found)
                ):
                    found.append(mention)
            elif cls == "ORGREF" and classes & ORG_CLASSES:
                antecedent = self.organisation_antecedent(token.idx)
                if token.text[:1].isupper() and not token.is_sent_start:
                    # house style: "the Organization" is the one the text is about
                    antecedent = self.salient_organisation() or antecedent
                if antecedent is not None:
                    found.append(replace(antecedent, start=token.idx, end=token.idx + len(token)))
            elif cls == "TREATYREF" and "TREATY" in classes:
                antecedent = self.treaty_antecedent(token)
                if antecedent is not None:
                    found.append(replace(antecedent, start=token.idx, end=token.idx + len(token)))
        return _dedupe(found)

    def _is_bracketed_alias(self, token, found: list[Mention]) -> bool:
        """ "World Customs Organization (WCO)": the acronym repeats the name before it."""
        doc = self.tagged.doc
        i = token.i
        return i >= 2 and doc[i - 1].text == "(" and self.tagged.mention_at.get(i - 2) in found

    def _is_owner(self, token) -> bool:
        mention = self.tagged.mention_at[token.i]
        doc = self.tagged.doc
        last = token.i
        while last + 1 < len(doc) and self.tagged.mention_at.get(last + 1) is mention:
            last += 1
        nxt = last + 1
        return (
            nxt + 1 < len(doc)
            and doc[nxt].text in _POSSESSIVE
            and doc[nxt + 1]._.kg == "ORG"
            and self.tagged.mention_at.get(nxt + 1) is not mention
        )

    def organisation_antecedent(self, offset: int) -> Mention | None:
        """The organisation an anaphor at ``offset`` refers to: the closest one before it."""
        before = [
            m for m in self.tagged.mentions if m.kind in ORGANISATION_KINDS and m.end <= offset
        ]
        return before[-1] if before else None

    def treaty_antecedent(self, token) -> Mention | None:
        """ "the Declaration": the last treaty named before it with that word in its name,
        else the treaty the document is about."""
        noun = token.lower_
        before = [
            m
            for m in self.tagged.mentions
            if m.kind is EntityKind.TREATY and m.end <= token.idx and noun in m.text.lower()
        ]
        return before[-1] if before else self.salient_treaty()

    def salient_organisation(self) -> Mention | None:
        """The organisation a document is about: the one it names most often."""
        orgs = [m for m in self.tagged.mentions if m.kind in ORGANISATION_KINDS]
        if not orgs:
            return None
        counts = Counter(m.key or m.text.casefold() for m in orgs)
        best = max(counts.values())
        return next(m for m in orgs if counts[m.key or m.text.casefold()] == best)

    def salient_treaty(self) -> Mention | None:
        """The treaty a document is about: its most often named one, the first on a tie."""
        treaties = [m for m in self.tagged.mentions if m.kind is EntityKind.TREATY]
        if not treaties:
            return None
        counts = Counter(m.key or m.text.casefold() for m in treaties)
        best = max(counts.values())
        return next(m for m in treaties if counts[m.key or m.text.casefold()] == best)

    def date(self, span: Span | None) -> str | None:
        return parse_date(span.text, self.document.date) if span is not None else None

    def quantity(self, span: Span | None) -> Quantity | None:
        return parse_quantity(span.text) if span is not None else None


def ordinal_value(span: Span | None) -> int | None:
    """11 from "11th", 31 from "31st"; None for "first" when spelled out beyond our table."""
    if span is None:
        return None
    text = span.text.lower().rstrip(".")
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits:
        return int(digits)
    return _ORDINAL_WORDS.get(text)


_ORDINAL_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ]
    )
}


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[str | None, str]] = set()
    result = []
    for mention in mentions:
        identity = (mention.key, mention.text.casefold() if mention.key is None else "")
        if identity not in seen:
            seen.add(identity)
            result.append(mention)
    return result

"""Turning the token spans a rule captured into mentions, dates, numbers and evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

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
    _dates: dict[str, str | None] = field(default_factory=dict)
    """Dates read so far, by text: several facts of a sentence read the same one."""

    def text(self, span: Span) -> str:
        """``span.text``, sliced from the Doc's text instead of joined from new Tokens."""
        return self.tagged.words.doc_text[span.start_char : span.end_char]

    def sentence(self, span: Span) -> Sentence:
        sent = span.sent
        return Sentence(self.document.id, sent.start_char, sent.end_char, self.text(sent))

    def entities(self, span: Span) -> list[Span]:
        """``span.ents`` (the entities wholly inside it) without rebuilding ``doc.ents``."""
        found = []
        for ent in self.tagged.ents:
            if ent.start >= span.start:
                if ent.end > span.end:
                    break
                found.append(ent)
        return found

    def mentions(self, span: Span | None, classes: frozenset[str]) -> list[Mention]:
        """The distinct entity mentions in ``span`` whose class is wanted, anaphors resolved.

        In "Interpol's Cybercrime Directorate" the owner (Interpol) is dropped: the unit is
        the one named.
        """
        if span is None:
            return []
        found: list[Mention] = []
        tags, mention_at, doc = self.tagged.classes, self.tagged.mention_at, self.tagged.doc
        for i in range(span.start, span.end):
            cls = tags[i]
            if cls in classes:
                mention = mention_at.get(i)
                if (
                    mention is not None
                    and mention not in found
                    and not self._is_owner(i)
                    and not self._is_bracketed_alias(i, found)
                ):
                    found.append(mention)
                continue
            if cls != "ORGREF" and cls != "TREATYREF":
                continue
            token = doc[i]
            if cls == "ORGREF" and classes & ORG_CLASSES:
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

    def _is_bracketed_alias(self, i: int, found: list[Mention]) -> bool:
        """ "World Customs Organization (WCO)": the acronym repeats the name before it."""
        text = self.tagged.words.text
        return i >= 2 and text[i - 1] == "(" and self.tagged.mention_at.get(i - 2) in found

    def _is_owner(self, i: int) -> bool:
        mention = self.tagged.mention_at[i]
        text = self.tagged.words.text
        last = i
        while last + 1 < len(text) and self.tagged.mention_at.get(last + 1) is mention:
            last += 1
        nxt = last + 1
        return (
            nxt + 1 < len(text)
            and text[nxt] in _POSSESSIVE
            and self.tagged.classes[nxt + 1] == "ORG"
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
        if span is None:
            return None
        text = self.text(span)
        if text not in self._dates:
            self._dates[text] = parse_date(text, self.document.date)
        return self._dates[text]

    def quantity(self, span: Span | None) -> Quantity | None:
        return parse_quantity(self.text(span)) if span is not None else None


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

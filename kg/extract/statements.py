"""Statements: direct quotations and who said them.

Quotes are found in the text itself, not by the parser: a span between “ and ” (or straight
double quotes) within a paragraph. News convention continues a quotation over paragraphs by
opening each new paragraph with a quote mark and closing only the last; such a run is one
statement. The speaker is read from the words next to the quote, with the speech verbs of
the lexicon:

- before it: ``X said, “…”``, ``X, ROLE of Y, said:\\n“…”``, ``X said the operation showed “…”``;
- after it: ``“…,” X said``, ``“…,” said X``, ``“…,” she added``;
- pronouns (he, she) name the last person mentioned; "the agency" the last organisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kg.extract.lexicon import Lexicon
from kg.extract.slots import Context
from kg.records import EntityKind, Fact, Mention, Provenance, Statement

_OPEN = {"“": "”", '"': '"'}
_OPENING = re.compile('[“"]')
_MAX_QUOTE = 2000
_MIN_WORDS = 3
_PRONOUNS = {"he", "she"}


@dataclass(frozen=True, slots=True)
class Quote:
    start: int  # offset of the first character inside the marks
    end: int  # offset just past the last character inside the marks
    open_at: int  # offset of the opening mark
    close_at: int  # offset just past the closing mark (or the paragraph end)


def find_quotes(text: str) -> Iterator[list[Quote]]:
    """Runs of quotes that form one statement (one quote, or one per paragraph)."""
    run: list[Quote] = []
    offset = 0
    for paragraph in text.split("\n"):
        quotes, unclosed = _paragraph_quotes(paragraph, offset)
        for i, quote in enumerate(quotes):
            continues = run and i == 0 and quote.open_at == offset
            if run and not continues:
                yield run
                run = []
            run.append(quote)
        if run and not (unclosed and quotes):
            yield run
            run = []
        offset += len(paragraph) + 1
    if run:
        yield run


def _paragraph_quotes(paragraph: str, offset: int) -> tuple[list[Quote], bool]:
    quotes = []
    found = _OPENING.search(paragraph)
    while found is not None:
        i = found.start()
        close = paragraph.find(_OPEN[found.group()], i + 1)
        if close == -1:
            end = offset + len(paragraph)
            quotes.append(Quote(offset + i + 1, end, offset + i, end))
            return quotes, True
        quotes.append(Quote(offset + i + 1, offset + close, offset + i, offset + close + 1))
        found = _OPENING.search(paragraph, close + 1)
    return quotes, False


class StatementFinder:
    """Finds statements in one document."""

    def __init__(self, ctx: Context, lexicon: Lexicon) -> None:
        self.ctx = ctx
        self.lexicon = lexicon
        self.text = ctx.document.text

    def facts(self) -> list[Fact]:
        facts = []
        for run in find_quotes(self.text):
            fact = self._statement(run)
            if fact is not None:
                facts.append(fact)
        return facts

    def _statement(self, run: list[Quote]) -> Fact | None:
        quote_text = " ".join(self.text[q.start : q.end].strip() for q in run)
        quote_text = quote_text.strip(" ,")[:_MAX_QUOTE]
        if len(quote_text.split()) < _MIN_WORDS:
            return None
        found = self._speaker_before(run[0]) or self._speaker_after(run[-1])
        if found is None:
            return None
        speaker, rule = found
        sentence = self._sentence_at(run[0].start)
        if sentence is None:
            return None
        prov = Provenance((sentence,), rule, 0.85 if rule.endswith("named.v1") else 0.7)
        return Fact(Statement(speaker, quote_text), prov)

    def _sentence_at(self, offset: int):
        doc = self.ctx.tagged.doc
        span = doc.char_span(offset, offset + 1, alignment_mode="expand")
        return self.ctx.sentence(span) if span is not None else None

    def _speaker_before(self, quote: Quote) -> tuple[Mention, str] | None:
        """``X said, “`` / ``X, ROLE, said:\\n“`` / ``X said the plan was “``."""
        prefix_start = self._clause_start(quote.open_at)
        prefix = self.text[prefix_start : quote.open_at]
        verbs = list(self._verbs(prefix))
        if not verbs:
            return None
        verb_start, verb_end = verbs[0]
        between = prefix[verb_end:]
        if verb_start > 0 or len(between.split()) > 12:
            speaker = self._speaker_in(prefix_start, prefix_start + verb_start, last=True)
        else:
            speaker = None
        if speaker is None:
            speaker = self._speaker_in(
                prefix_start + verb_end, prefix_start + verb_end + 60, last=False
            )
        if speaker is None:
            return None
        return speaker, "statement.speaker_before.named.v1"

    def _clause_start(self, offset: int) -> int:
        """Where the words introducing a quote begin: the sentence start, or the previous
        paragraph when the quote opens a paragraph after ``said:``."""
        paragraph_start = self.text.rfind("\n", 0, offset) + 1
        if self.text[paragraph_start:offset].strip() == "" and paragraph_start > 0:
            previous = self.text.rfind("\n", 0, paragraph_start - 1) + 1
            if self.text[previous : paragraph_start - 1].rstrip().endswith(":"):
                return previous
            return offset
        full_stop = self.text.rfind(". ", paragraph_start, offset)
        return full_stop + 2 if full_stop >= 0 else paragraph_start

    def _verbs(self, text: str) -> Iterator[tuple[int, int]]:
        for found in re.finditer(r"[A-Za-z]+", text):
            word = found.group().lower()
            if word in self.lexicon.speech_verbs:
                yield found.start(), found.end()
        for found in re.finditer(r"\baccording to\b", text, re.I):
            yield found.start(), found.end()

    def _speaker_after(self, quote: Quote) -> tuple[Mention, str] | None:
        """``“…,” X said`` / ``“…,” said X`` / ``“…,” she added``."""
        tail = self.text[quote.close_at : quote.close_at + 120].split("\n")[0]
        tail = re.split(r"[.!?](?:\s|$)", tail)[0]
        words = list(re.finditer(r"[\w’'-]+", tail))
        if not words or tail[: words[0].start()].strip(" ,") != "":
            return None
        lowered = [w.group().lower() for w in words[:8]]
        if not any(w in self.lexicon.speech_verbs for w in lowered):
            return None
        end = quote.close_at + (words[min(len(words), 8) - 1].end())
        speaker = self._speaker_in(quote.close_at, end, last=False)
        if speaker is None:
            return None
        return speaker, "statement.speaker_after.named.v1"

    def _speaker_in(self, start: int, end: int, *, last: bool) -> Mention | None:
        """The person (or organisation) named between two offsets; pronouns resolved."""
        candidates = [
            m
            for m in self.ctx.tagged.mentions
            if start <= m.start
            and m.end <= end
            and m.kind not in {EntityKind.TREATY, EntityKind.OPERATION}
        ]
        people = [m for m in candidates if m.kind is EntityKind.PERSON]
        pool = people or [m for m in candidates if m.kind is not EntityKind.COUNTRY] or candidates
        if pool:
            return pool[-1] if last else pool[0]
        window = self.text[start:end]
        for found in re.finditer(r"\b(he|she|He|She)\b", window):
            person = self._last_person(start + found.start())
            if person is not None:
                return person
        agency = re.search(r"\bthe (agency|organi[sz]ation|alliance|bloc)\b", window, re.I)
        if agency:
            return self.ctx.organisation_antecedent(start + agency.start())
        return None

    def _last_person(self, offset: int) -> Mention | None:
        people = [
            m for m in self.ctx.tagged.mentions if m.kind is EntityKind.PERSON and m.end <= offset
        ]
        return people[-1] if people else None

"""Operations: gathering what a document says about each operation into one report.

An operation is rarely stated in one sentence: the name comes in one, the coordinators in
another, the arrests in a third. Operation rules therefore yield *evidence* (a coordinator,
a participant count, a period ...) and this module assigns each piece to an operation frame:

- a named mention ("Operation Serengeti") opens a frame, or joins the frame of the same name
  (names match when one, without the word "Operation", starts with the other);
- names in one sentence joined by "called", "renamed", "dubbed", "codenamed" or a bracket
  are aliases of one operation;
- other evidence goes to the frame named in its sentence, else to the current frame;
- with no frame yet, a coordinator or an arrest count opens an unnamed frame, which the
  next named mention (if it comes before any other frame) gives its name to.

Figures: the first exact one wins over an earlier approximate one ("over 280" in a headline,
"286" in the body); of several starts or ends, the first stated wins (articles state the
operation's own dates before its history: "first launched in July 2022" of a series).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Span

from kg.extract.lexicon import Lexicon
from kg.extract.rules import RuleMatch
from kg.extract.slots import AGENT_CLASSES, Context
from kg.normalize import parse_date, parse_period, parse_quantity
from kg.records import Count, EntityKind, Fact, Mention, OperationReport, Provenance, Sentence

_ALIAS_LINK = re.compile(r"\b(called|renamed|dubbed|codenamed|code-named|known as|named)\b|\(")
_STRONG = {"coordinator", "arrests"}


@dataclass(slots=True)
class Figure:
    value: int
    approximate: bool


@dataclass(slots=True)
class Frame:
    """Everything gathered so far about one operation in one document."""

    anchor: Mention
    names: list[Mention] = field(default_factory=list)
    coordinators: list[Mention] = field(default_factory=list)
    participants: list[Mention] = field(default_factory=list)
    participant_count: Figure | None = None
    arrests: Figure | None = None
    counts: list[Count] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    confidence: float = 0.0

    def cite(self, sentence: Sentence, rule: str, confidence: float) -> None:
        if sentence not in self.sentences:
            self.sentences.append(sentence)
        if rule not in self.rules:
            self.rules.append(rule)
        self.confidence = max(self.confidence, confidence)


def name_key(text: str) -> str:
    """ "OPERATION SERENGETI", "Serengeti" and "Operation Serengeti" share one key."""
    words = re.sub(r"[^\w\s.]", " ", text.casefold()).split()
    return " ".join(w for w in words if w not in {"operation", "the"})


def same_operation(a: str, b: str) -> bool:
    ka, kb = name_key(a), name_key(b)
    return bool(ka and kb) and (ka.startswith(kb) or kb.startswith(ka))


class OperationAssembler:
    """Collects operation evidence for one document, in document order."""

    def __init__(self, ctx: Context, lexicon: Lexicon) -> None:
        self.ctx = ctx
        self.lexicon = lexicon
        self.frames: list[Frame] = []
        self.current: Frame | None = None

    def add_sentence(self, sent: Span, matches: list[RuleMatch]) -> None:
        """Take one sentence's evidence: names first, then what can open a frame."""
        self._open_named_frames(sent)
        for match in sorted(matches, key=_evidence_order):
            self._add(match)

    def _add(self, match: RuleMatch) -> None:
        frame = self._frame_for(match)
        if frame is None:
            return
        sentence = self.ctx.sentence(match.span)
        if self._fill(frame, match):
            frame.cite(sentence, match.rule.id, match.rule.confidence)

    def _open_named_frames(self, sent: Span) -> None:
        named = [m for m in self._sentence_mentions(sent) if m.kind is EntityKind.OPERATION]
        for i, mention in enumerate(named):
            frame = self._find_named(mention)
            if (
                frame is None
                and i > 0
                and _ALIAS_LINK.search(
                    self.ctx.tagged.words.doc_text[named[i - 1].end : mention.start]
                )
            ):
                frame = self._find_named(named[i - 1])
            if frame is None and self.current is not None and not self.current.names:
                frame = self.current
            if frame is None:
                frame = Frame(anchor=mention)
                self.frames.append(frame)
            if all(
                not same_operation(n.text, mention.text) or n.text != mention.text
                for n in frame.names
            ) and mention.text not in {n.text for n in frame.names}:
                frame.names.append(mention)
            frame.cite(self.ctx.sentence(sent), "operation.named_mention.v1", 0.8)
            self.current = frame

    def _sentence_mentions(self, sent: Span) -> list[Mention]:
        return [m for m in self.ctx.tagged.mentions if sent.start_char <= m.start < sent.end_char]

    def _find_named(self, mention: Mention) -> Frame | None:
        for frame in self.frames:
            if any(same_operation(n.text, mention.text) for n in frame.names):
                return frame
        return None

    def _frame_for(self, match: RuleMatch) -> Frame | None:
        if "operation" in match.slots:
            return self._name_from_slot(match)
        if self.current is not None:
            return self.current
        if _STRONG & match.slots.keys() and self._mentions_operation(match.span.sent):
            anchor = self._unnamed_anchor(match.span.sent)
            self.current = Frame(anchor=anchor)
            self.frames.append(self.current)
            return self.current
        return None

    def _mentions_operation(self, sent: Span) -> bool:
        return any(t.lower_ in self.lexicon.operation_nouns for t in sent)

    def _unnamed_anchor(self, sent: Span) -> Mention:
        for token in sent:
            if token.lower_ in self.lexicon.operation_nouns:
                return Mention(
                    token.text, EntityKind.OPERATION, token.idx, token.idx + len(token), None
                )
        return Mention(
            sent.text[:40],
            EntityKind.OPERATION,
            sent.start_char,
            sent.start_char + min(40, len(sent.text)),
            None,
        )

    def _name_from_slot(self, match: RuleMatch) -> Frame | None:
        """ "codenamed 'First Light'": the quoted words name the current or a new frame."""
        span = match.slots["operation"]
        text = span.text.strip(" '\"‘’“”")
        if not text:
            return self.current
        mention = Mention(text, EntityKind.OPERATION, span.start_char, span.end_char, None)
        frame = self._find_named(mention) or self.current
        if frame is None:
            frame = Frame(anchor=mention)
            self.frames.append(frame)
        if not any(same_operation(n.text, text) for n in frame.names):
            frame.names.append(mention)
        self.current = frame
        return frame

    def _fill(self, frame: Frame, match: RuleMatch) -> bool:
        """Add what the match says to the frame; False when it said nothing usable."""
        slots, ctx, filled = match.slots, self.ctx, False
        for mention in ctx.mentions(slots.get("coordinator"), AGENT_CLASSES):
            filled |= _add_new(frame.coordinators, mention)
        for mention in ctx.mentions(slots.get("participant"), AGENT_CLASSES):
            filled |= _add_new(frame.participants, mention)
        for slot in ("participant_count", "arrests"):
            figure = _figure(slots.get(slot))
            if figure is not None:
                setattr(frame, slot, _better(getattr(frame, slot), figure))
                filled = True
        count = self._count(match)
        if count is not None and count not in frame.counts:
            frame.counts.append(count)
            filled = True
        filled |= self._dates(frame, match)
        return filled or "operation" in slots

    def _count(self, match: RuleMatch) -> Count | None:
        span = match.slots.get("count")
        quantity = parse_quantity(span.text) if span is not None else None
        if quantity is None:
            return None
        what = self._what(match, quantity.unit)
        return Count(what, quantity.value, quantity.unit) if what else None

    def _what(self, match: RuleMatch, unit: str | None) -> str:
        """What was counted, as "<things> <participle>": "malicious infrastructures
        dismantled", "computers seized", "USD seized" for money with no noun."""
        noun = match.slots.get("what")
        words = noun.text.strip() if noun is not None else ""
        verb = next((t for t in match.span if t.lemma_ in self.lexicon.count_verbs), None)
        participle = self.lexicon.count_verbs.get(verb.lemma_, "") if verb is not None else ""
        if not participle:
            return ""
        return " ".join(part for part in (unit if not words else None, words, participle) if part)

    def _dates(self, frame: Frame, match: RuleMatch) -> bool:
        reference = self.ctx.document.date
        period = match.slots.get("period")
        if period is not None:
            found = parse_period(period.text.strip("() "), reference)
            if found is None:
                return False
            start, end = found
            if start:
                frame.starts.append(start)
            if end:
                frame.ends.append(end)
            return bool(start or end)
        start_span = match.slots.get("start")
        if start_span is not None:
            start = parse_date(start_span.text, reference)
            if start:
                frame.starts.append(start)
                return True
        return False

    def facts(self) -> list[Fact]:
        return [fact for frame in self.frames if (fact := _report(frame)) is not None]


def _add_new(mentions: list[Mention], mention: Mention) -> bool:
    """Append unless the same entity (gazetteer key, else name) is there already."""
    identity = _identity(mention)
    if any(_identity(m) == identity for m in mentions):
        return False
    mentions.append(mention)
    return True


def _identity(mention: Mention) -> str:
    return mention.key or name_key(mention.text)


def _evidence_order(match: RuleMatch) -> int:
    if "operation" in match.slots:
        return 0
    return 1 if _STRONG & match.slots.keys() else 2


def _figure(span: Span | None) -> Figure | None:
    if span is None:
        return None
    quantity = parse_quantity(span.text)
    if quantity is None or quantity.unit is not None or quantity.value <= 0:
        return None
    return Figure(quantity.value, quantity.approximate)


def _better(old: Figure | None, new: Figure) -> Figure:
    if old is None or (old.approximate and not new.approximate):
        return new
    return old


def _report(frame: Frame) -> Fact | None:
    evidence = frame.coordinators or frame.participants or frame.arrests or frame.counts
    if not evidence and not frame.names:
        return None
    name = frame.names[0] if frame.names else None
    coordinators = {_identity(m) for m in frame.coordinators}
    participants = tuple(p for p in frame.participants if _identity(p) not in coordinators)
    report = OperationReport(
        operation=name or frame.anchor,
        name=name.text if name else None,
        coordinators=tuple(frame.coordinators),
        participants=participants,
        participant_count=frame.participant_count.value if frame.participant_count else None,
        start=frame.starts[0] if frame.starts else None,
        end=frame.ends[0] if frame.ends else None,
        arrests=frame.arrests.value if frame.arrests else None,
        counts=tuple(frame.counts),
    )
    rule = frame.rules[0] if len(frame.rules) == 1 else "operation.frame.v1"
    sentences = tuple(sorted(frame.sentences, key=lambda s: s.start))
    return Fact(report, Provenance(sentences, rule, round(frame.confidence, 2)))


def operation_aliases(assembler: OperationAssembler) -> list[tuple[Mention, Mention]]:
    """Pairs of names of one operation ("Operation AFRICA CYBER SURGE" = "OPERATION SERENGETI")."""
    return [(f.names[0], other) for f in assembler.frames for other in f.names[1:]]

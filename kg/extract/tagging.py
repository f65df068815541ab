"""Coarse token classes that the rule patterns match on, and the mentions behind them.

spaCy's entity labels are too fine and too noisy for rules written by hand (the statistical
NER calls a country an ORG one day and a PRODUCT the next). This module gives every token one
class (``token_classes(doc)``) — ``COUNTRY``, ``ORG``, ``PERSON``, ``TREATY``, ``OPERATION``,
``PLACE``, ``DATE``, ``NUM``, ``ORDINAL``, ``ROLE``, ``SEP`` (`,` `and` `&`), ``ORGREF`` /
``TREATYREF`` (anaphors such as "the organisation", "its", "the convention") or ``O`` — using
the gazetteer to overrule the model, and records a ``Mention`` for every entity span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.attrs import IS_LOWER, IS_PUNCT, LIKE_NUM, LOWER, ORTH, POS, SENT_START, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.symbols import NOUN, PROPN, X
from spacy.tokens import Doc, Span

from kg.extract.lexicon import Lexicon
from kg.gazetteer import ORGANISATION_KINDS, Gazetteer
from kg.records import EntityKind, Mention

ENTITY_CLASSES = ("COUNTRY", "ORG", "PERSON", "TREATY", "OPERATION", "PLACE")
_LABEL_CLASS = {
    "ORG": "ORG",
    "PERSON": "PERSON",
    "LAW": "TREATY",
    "OPERATION": "OPERATION",
    "DATE": "DATE",
    "CARDINAL": "NUM",
    "MONEY": "NUM",
    "QUANTITY": "NUM",
    "ORDINAL": "ORDINAL",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
}
_CLASS_KIND = {
    "COUNTRY": EntityKind.COUNTRY,
    "ORG": EntityKind.ORGANISATION,
    "PERSON": EntityKind.PERSON,
    "TREATY": EntityKind.TREATY,
    "OPERATION": EntityKind.OPERATION,
}
_SEPARATORS = {",", "and", "&"}
_TITLES = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sir",
    "dame",
    "ambassador",
    "general",
    "senior",
    "lieutenant",
    "colonel",
    "judge",
    "justice",
}
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)
_POSSESSIVES = {"'s", "’s", "'", "’"}
_DETERMINERS = {"the", "this", "that", "these"}

CLASSES_EXTENSION = "kg_classes"
"""The Doc extension holding the list of token classes (one ``str`` per token)."""

if not Doc.has_extension(CLASSES_EXTENSION):
    Doc.set_extension(CLASSES_EXTENSION, default=None)


def join_text(words: list[str], spaces: list[int]) -> str:
    """``doc.text`` from its words and ``SPACY`` flags: ``doc.text`` itself joins the text
    of a new Token per token at every access."""
    return "".join([w + " " if space else w for w, space in zip(words, spaces, strict=True)])


def token_classes(doc: Doc) -> list[str]:
    """The class of each token that ``Tagger`` gave it (``O`` for all when the Doc was
    never tagged)."""
    classes = doc._.get(CLASSES_EXTENSION)
    return classes if classes is not None else ["O"] * len(doc)


@dataclass(frozen=True, slots=True)
class Words:
    """What tagging reads of every token, read once per Doc from its arrays: a spaCy
    ``Token`` object made per access cost more than the tagging itself."""

    text: list[str]
    lower: list[str]
    sent_start: list[bool]
    """``Token.is_sent_start`` is True."""
    name_word: list[bool]
    """Could be part of a name (``_is_name_word``)."""
    plain: list[str]
    """The class from the word alone: ``SEP`` (`,` `and` `&`), ``NUM`` or ``O``."""
    doc_text: str
    """``doc.text``, which joins the text of a new Token per token at every access."""

    @classmethod
    def of(cls, doc: Doc) -> Words:
        strings = doc.vocab.strings
        attrs = [ORTH, LOWER, POS, SENT_START, LIKE_NUM, IS_PUNCT, IS_LOWER, SPACY]
        orth, lower, pos, start, like_num, punct, is_lower, space = doc.to_array(attrs).T.tolist()
        text = [strings[h] for h in orth]
        doc_text = join_text(text, space)
        lowers = [strings[h] for h in lower]
        sent_start = [value == 1 for value in start]
        name_word = [
            word[:1].isupper()
            and word.isalpha()
            and not first
            and (tag in _NAME_POS or word.isupper())
            for word, first, tag in zip(text, sent_start, pos, strict=True)
        ]
        plain = [
            "SEP"
            if low in _SEPARATORS
            else "NUM"  # "1,006", "three"; not "First" in the name 'First Light'
            if number and not p and (low_flag or any(ch.isdigit() for ch in word))
            else "O"
            for word, low, number, p, low_flag in zip(
                text, lowers, like_num, punct, is_lower, strict=True
            )
        ]
        return cls(text, lowers, sent_start, name_word, plain, doc_text)


@dataclass(slots=True)
class TaggedDoc:
    """A Doc with the class of each of its tokens and the mentions found in it.

    ``classes`` is the list ``token_classes(doc)`` gives too. ``mention_at`` maps a token
    index to the mention covering it, so rule slots (token ranges) turn into mentions
    without searching.
    """

    doc: Doc
    classes: list[str]
    words: Words
    ents: tuple[Span, ...]
    """``doc.ents``, which builds every entity's Span at every access."""
    mentions: list[Mention] = field(default_factory=list)
    mention_at: dict[int, Mention] = field(default_factory=dict)


class Tagger:
    """Tags Docs of one vocabulary; built once per pipeline because the role matcher is."""

    def __init__(self, nlp: Language, gazetteer: Gazetteer, lexicon: Lexicon) -> None:
        self.gazetteer = gazetteer
        self.lexicon = lexicon
        self.roles = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.roles.add("ROLE", [nlp.make_doc(role) for role in lexicon.roles])

    def __call__(self, doc: Doc) -> TaggedDoc:
        """Class every token of ``doc`` (kept as ``token_classes(doc)``) and collect its
        entity mentions."""
        words = Words.of(doc)
        tagged = TaggedDoc(doc, list(words.plain), words, tuple(doc.ents))
        doc._.set(CLASSES_EXTENSION, tagged.classes)
        classes = tagged.classes
        for _, start, end in self.roles(doc):
            classes[start:end] = ["ROLE"] * (end - start)
        for ent in tagged.ents:
            self._tag_entity(tagged, ent)
        self._recover_people(tagged)
        self._expand_acronyms(tagged)
        tagged.mentions.sort(key=lambda m: m.start)
        _tag_anaphors(tagged, self.lexicon)
        _tag_list_glue(tagged)
        return tagged

    def _tag_entity(self, tagged: TaggedDoc, ent: Span) -> None:
        """Class an entity's tokens. A role or title at the front of a name stays outside the
        mention: the model reads "Secretary-General Jurgen Stock" as one PERSON, or as an ORG;
        what follows such a role is a person's name."""
        classes = tagged.classes
        first = _classify(tagged, ent, self.gazetteer)
        cls, whole = first[0], ent
        if cls != "PERSON" and not ent.ent_id_ and "ROLE" in classes[ent.start : ent.end]:
            rest = _after_role(tagged, ent)
            if rest is None:
                return  # "Secretary of State": the role wins over a guessed organisation
            self._add_person(tagged, rest)
            return
        if cls == "PERSON":
            ent = _after_role(tagged, ent) or ent
        if not ent.ent_id_:
            ent = self._trim_ordinals(tagged, ent)
            if ent is None:
                return
            if _is_anaphor(tagged, ent, self.lexicon):
                # the model's ORG "Organization's": an anaphor
                classes[ent.start : ent.end] = ["ORGREF"] * len(ent)
                return
        cls, mention = first if ent is whole else _classify(tagged, ent, self.gazetteer)
        if cls == "O":
            return
        classes[ent.start : ent.end] = [cls] * len(ent)
        if mention is not None and any(ch.isalnum() for ch in mention.text):
            tagged.mentions.append(mention)
            for i in range(ent.start, ent.end):
                tagged.mention_at[i] = mention

    @staticmethod
    def _trim_ordinals(tagged: TaggedDoc, ent: Span) -> Span | None:
        """ "the 31st" is no date and "Organization's 195th" no name: the ordinal is an
        ORDINAL whatever the model said; None when nothing else is left."""
        text, lower, classes = tagged.words.text, tagged.words.lower, tagged.classes
        end = ent.end
        while end > ent.start and _ORDINAL.fullmatch(text[end - 1]):
            end -= 1
        if end == ent.end:
            return ent
        classes[end : ent.end] = ["ORDINAL"] * (ent.end - end)
        rest = ent.doc[ent.start : end]
        if all(lower[i] in _DETERMINERS for i in range(ent.start, end)):
            classes[ent.start : end] = ["O"] * (end - ent.start)
            return None
        return rest

    def _people_taken_for_organisations(self, tagged: TaggedDoc) -> None:
        """ "President of Turkey, Recep Tayyip Erdoğan": a name the model calls an
        organisation, right after a role, with no organisational word in it, is a person."""
        doc, words = tagged.doc, tagged.words
        for mention in [m for m in tagged.mentions if m.kind is EntityKind.ORGANISATION]:
            span = doc.char_span(mention.start, mention.end)
            if (
                mention.key is None
                and span is not None
                and 2 <= len(span) <= 4
                and _role_context(tagged, span.start)
                and all(words.name_word[i] or words.sent_start[i] for i in _indexes(span))
                and not {words.lower[i] for i in _indexes(span)} & _ORG_WORDS
            ):
                tagged.mentions.remove(mention)
                self._add_person(tagged, span)

    def _expand_acronyms(self, tagged: TaggedDoc) -> None:
        """ "the Permanent Forum of International Pharmaceutical crime (PFIPC)": when the
        words before a bracketed acronym have its letters as initials, they are one
        organisation's name, whatever pieces the model made of them, and the acronym names it
        too (the two become aliases downstream)."""
        doc, text = tagged.doc, tagged.words.text
        for open_at in [i for i, word in enumerate(text) if word == "("]:
            after = range(open_at + 1, min(open_at + 4, len(text)))
            close_at = next((i for i in after if text[i] == ")"), None)
            if close_at is None or close_at == open_at + 1:
                continue
            acronym = "".join(text[open_at + 1 : close_at])
            if not (2 <= len(acronym) <= 10 and acronym.isalpha() and acronym.isupper()):
                continue
            start = _initials_start(doc, open_at, acronym)
            if start is None:
                continue
            long_form = doc[start:open_at]
            self._replace_with_org(tagged, long_form)
            self._replace_with_org(tagged, doc[open_at + 1 : close_at])

    def _replace_with_org(self, tagged: TaggedDoc, span: Span) -> None:
        covered = {tagged.mention_at.get(i) for i in range(span.start, span.end)} - {None}
        exact = [m for m in covered if (m.start, m.end) == (span.start_char, span.end_char)]
        if len(covered) == 1 and exact and exact[0].key:
            return  # already a known organisation, exactly
        tagged.mentions[:] = [m for m in tagged.mentions if m not in covered]
        for i in [i for i, m in tagged.mention_at.items() if m in covered]:
            del tagged.mention_at[i]
        text = _text(tagged, span)
        entry = self.gazetteer.find(text)
        kind = entry.kind if entry is not None else EntityKind.ORGANISATION
        mention = Mention(text, kind, span.start_char, span.end_char, entry.id if entry else None)
        tagged.mentions.append(mention)
        for i in _indexes(span):
            tagged.classes[i] = "ORG"
            tagged.mention_at[i] = mention

    def _add_person(self, tagged: TaggedDoc, span: Span) -> None:
        mention = Mention(
            _text(tagged, span), EntityKind.PERSON, span.start_char, span.end_char, None
        )
        tagged.mentions.append(mention)
        for i in _indexes(span):
            tagged.classes[i] = "PERSON"
            tagged.mention_at[i] = mention

    def _recover_people(self, tagged: TaggedDoc) -> None:
        """Names the model missed: capitalised words right after a role ("Executive Director
        of UNODC Ghada Waly"), and later mentions of a known person by surname ("Stock
        added")."""
        doc, classes, words = tagged.doc, tagged.classes, tagged.words
        name_word, n = words.name_word, len(doc)
        for i in range(n):
            if not name_word[i] or not (
                classes[i] == "O" or (classes[i] == "PLACE" and i not in tagged.mention_at)
            ):
                continue
            if _role_context(tagged, i):
                end = i
                while end < n and end - i < 4 and classes[end] == "O" and name_word[end]:
                    end += 1
                if end - i >= 2:
                    self._add_person(tagged, doc[i:end])
        self._people_taken_for_organisations(tagged)
        surnames = {
            m.text.split()[-1]: m
            for m in tagged.mentions
            if m.kind is EntityKind.PERSON and len(m.text.split()) > 1
        }
        for i, word in enumerate(words.text):
            if classes[i] == "O" and word in surnames and name_word[i]:
                self._add_person(tagged, doc[i : i + 1])


_ORG_WORDS = {
    "agency",
    "authority",
    "bureau",
    "centre",
    "center",
    "commission",
    "committee",
    "council",
    "department",
    "directorate",
    "force",
    "group",
    "institute",
    "ministry",
    "office",
    "police",
    "service",
    "unit",
    "union",
    "association",
    "organisation",
    "organization",
    "court",
}


def _indexes(span: Span) -> range:
    return range(span.start, span.end)


def _role_context(tagged: TaggedDoc, i: int) -> bool:
    """Does the token at ``i`` follow a role ("Director X", "President of Turkey, X")?"""
    classes = tagged.classes
    previous = i - 1 if i else None
    if previous is not None and tagged.words.text[previous] == "," and i > 1:
        previous = i - 2
    return previous is not None and (
        classes[previous] == "ROLE"
        or (classes[previous] in {"ORG", "COUNTRY"} and _role_before(tagged, previous))
    )


def _is_anaphor(tagged: TaggedDoc, ent: Span, lexicon: Lexicon) -> bool:
    text, lower = tagged.words.text, tagged.words.lower
    words = [
        lower[i]
        for i in _indexes(ent)
        if lower[i] not in _DETERMINERS and text[i] not in _POSSESSIVES
    ]
    return len(words) == 1 and words[0] in lexicon.organisation_anaphors


_ACRONYM_GLUE = {"of", "and", "for", "on", "the", "&", "to", "-", "’s", "'s", "in"}


def _initials_start(doc: Doc, end: int, acronym: str) -> int | None:
    """Where the words before ``end`` spell ``acronym`` with their initials, or None."""
    letters = acronym.lower()
    i, need = end - 1, len(letters) - 1
    while i >= 0 and need >= 0:
        token = doc[i]
        if token.lower_ in _ACRONYM_GLUE:
            i -= 1
            continue
        if not token.is_alpha or token.lower_[0] != letters[need]:
            return None
        need -= 1
        i -= 1
    start = i + 1
    if need >= 0 or not doc[start].text[:1].isupper():
        return None
    return start


def _after_role(tagged: TaggedDoc, span: Span) -> Span | None:
    """The words after leading role and title words, when those look like a name."""
    classes, words = tagged.classes, tagged.words
    i = 0
    while i < len(span) and (
        classes[span.start + i] == "ROLE"
        or words.lower[span.start + i].rstrip(".") in _TITLES
        or words.text[span.start + i] in {"-", "–"}
    ):
        i += 1
    rest = span[i:]
    if i == 0 or not 1 <= len(rest) <= 4 or not all(words.name_word[j] for j in _indexes(rest)):
        return None
    return rest


_NAME_POS = frozenset({0, PROPN, NOUN, X})
"""``Token.pos`` of a name word: PROPN, NOUN, X or none (``pos_`` "")."""


def _role_before(tagged: TaggedDoc, org_end: int) -> bool:
    """Is the organisation ending at ``org_end`` preceded by "ROLE of"?"""
    classes = tagged.classes
    i = org_end
    while i >= 0 and classes[i] in {"ORG", "COUNTRY"}:
        i -= 1
    return i >= 1 and tagged.words.lower[i] == "of" and classes[i - 1] == "ROLE"


def _classify(tagged: TaggedDoc, ent: Span, gazetteer: Gazetteer) -> tuple[str, Mention | None]:
    """Decide what an entity span is: the gazetteer's word beats the model's label."""
    entry = gazetteer.get(ent.ent_id_) if ent.ent_id_ else None
    if entry is None and ent.label_ in {"ORG", "GPE", "LOC", "PERSON", "NORP", "PRODUCT", "FAC"}:
        entry = gazetteer.find(_text(tagged, ent))
    if entry is not None:
        cls = _class_of_kind(entry.kind)
        return cls, _mention(tagged, ent, entry.kind, entry.id)
    cls = _LABEL_CLASS.get(ent.label_, "O")
    if _names_operation(tagged, ent) and cls in {"ORG", "PERSON", "O"}:
        cls = "OPERATION"
    kind = _CLASS_KIND.get(cls)
    return cls, (_mention(tagged, ent, kind, None) if kind is not None else None)


def _text(tagged: TaggedDoc, span: Span) -> str:
    """``span.text``, sliced from the Doc's text instead of joined from new Tokens."""
    return tagged.words.doc_text[span.start_char : span.end_char]


def _names_operation(tagged: TaggedDoc, ent: Span) -> bool:
    """ "Operation Jackal" or "AFRICA Cyber Surge Operation", whatever the model called it."""
    lower = tagged.words.lower
    return (
        len(ent) > 1
        and "operation" in (lower[ent.start], lower[ent.end - 1])
        and tagged.words.text[ent.start + 1][:1].isupper()
    )


def _class_of_kind(kind: EntityKind) -> str:
    if kind in ORGANISATION_KINDS:
        return "ORG"
    return {v: k for k, v in _CLASS_KIND.items()}[kind]


def _mention(tagged: TaggedDoc, ent: Span, kind: EntityKind, key: str | None) -> Mention:
    span = _strip_determiner(tagged, ent)
    return Mention(_text(tagged, span), kind, span.start_char, span.end_char, key)


def _strip_determiner(tagged: TaggedDoc, span: Span) -> Span:
    if len(span) > 1 and tagged.words.lower[span.start] in _DETERMINERS:
        return span[1:]
    if len(span) > 1 and span[-1].tag_ == "POS":
        return span[:-1]
    return span


def _tag_anaphors(tagged: TaggedDoc, lexicon: Lexicon) -> None:
    """Mark "the organisation", "its", "the convention" so rules can use them as slots."""
    classes, lower = tagged.classes, tagged.words.lower
    for i, word in enumerate(lower):
        if classes[i] != "O":
            continue
        previous = lower[i - 1] if i > 0 else ""
        if (word == "its" and tagged.doc[i].tag_ in {"PRP$", ""}) or (
            previous in _DETERMINERS and word in lexicon.organisation_anaphors
        ):
            classes[i] = "ORGREF"
        elif previous in _DETERMINERS and word in lexicon.treaty_anaphors:
            classes[i] = "TREATYREF"


def _tag_list_glue(tagged: TaggedDoc) -> None:
    """Let lists of entities run on across the words that join them in news prose:
    "the" before a name ("France, Germany and the Netherlands"), a possessive between two
    organisations ("Interpol's Cybercrime Directorate"), and brackets around an acronym
    ("the World Customs Organization (WCO), the ...")."""
    classes, text, lower = tagged.classes, tagged.words.text, tagged.words.lower
    n = len(classes)
    for i in range(n):
        if classes[i] != "O" and classes[i] != "SEP":
            continue
        nxt = classes[i + 1] if i + 1 < n else "O"
        prev = classes[i - 1] if i > 0 else "O"
        if lower[i] == "the" and nxt in ENTITY_CLASSES:
            classes[i] = nxt
        elif text[i] in _POSSESSIVES and prev == "ORG" and nxt == "ORG":
            classes[i] = "ORG"
        elif (text[i] == "(" and nxt in ENTITY_CLASSES and prev in ENTITY_CLASSES) or (
            text[i] == ")"
            and prev in ENTITY_CLASSES
            and (i + 1 < n and lower[i + 1] in _SEPARATORS)
        ):
            classes[i] = "SEP"

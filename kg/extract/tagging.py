"""Coarse token classes that the rule patterns match on, and the mentions behind them.

spaCy's entity labels are too fine and too noisy for rules written by hand (the statistical
NER calls a country an ORG one day and a PRODUCT the next). This module gives every token one
class in ``Token._.kg`` — ``COUNTRY``, ``ORG``, ``PERSON``, ``TREATY``, ``OPERATION``,
``PLACE``, ``DATE``, ``NUM``, ``ORDINAL``, ``ROLE``, ``SEP`` (`,` `and` `&`), ``ORGREF`` /
``TREATYREF`` (anaphors such as "the organisation", "its", "the convention") or ``O`` — using
the gazetteer to overrule the model, and records a ``Mention`` for every entity span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

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

if not Token.has_extension("kg"):
    Token.set_extension("kg", default="O")


@dataclass(slots=True)
class TaggedDoc:
    """A Doc whose tokens carry ``_.kg`` classes, with the mentions found in it.

    ``mention_at`` maps a token index to the mention covering it, so rule slots (token
    ranges) turn into mentions without searching.
    """

    doc: Doc
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
        """Set ``Token._.kg`` on every token of ``doc`` and collect its entity mentions."""
        tagged = TaggedDoc(doc)
        for token in doc:
            token._.kg = _plain_class(token)
        for _, start, end in self.roles(doc):
            for token in doc[start:end]:
                token._.kg = "ROLE"
        for ent in doc.ents:
            self._tag_entity(tagged, ent)
        self._recover_people(tagged)
        self._expand_acronyms(tagged)
        tagged.mentions.sort(key=lambda m: m.start)
        _tag_anaphors(doc, self.lexicon)
        _tag_list_glue(doc)
        return tagged

    def _tag_entity(self, tagged: TaggedDoc, ent: Span) -> None:
        """Class an entity's tokens. A role or title at the front of a name stays outside the
        mention: the model reads "Secretary-General Jurgen Stock" as one PERSON, or as an ORG;
        what follows such a role is a person's name."""
        cls, _ = _classify(ent, self.gazetteer)
        if cls != "PERSON" and not ent.ent_id_ and any(t._.kg == "ROLE" for t in ent):
            rest = _after_role(ent)
            if rest is None:
                return  # "Secretary of State": the role wins over a guessed organisation
            self._add_person(tagged, rest)
            return
        if cls == "PERSON":
            ent = _after_role(ent) or ent
        if not ent.ent_id_:
            ent = self._trim_ordinals(ent)
            if ent is None:
                return
            if _is_anaphor(ent, self.lexicon):
                for token in ent:
                    token._.kg = "ORGREF"  # the model's ORG "Organization's": an anaphor
                return
        cls, mention = _classify(ent, self.gazetteer)
        if cls == "O":
            return
        for token in ent:
            token._.kg = cls
        if mention is not None and any(ch.isalnum() for ch in mention.text):
            tagged.mentions.append(mention)
            for i in range(ent.start, ent.end):
                tagged.mention_at[i] = mention

    @staticmethod
    def _trim_ordinals(ent: Span) -> Span | None:
        """ "the 31st" is no date and "Organization's 195th" no name: the ordinal is an
        ORDINAL whatever the model said; None when nothing else is left."""
        end = ent.end
        while end > ent.start and _ORDINAL.fullmatch(ent.doc[end - 1].text):
            end -= 1
        if end == ent.end:
            return ent
        for token in ent.doc[end : ent.end]:
            token._.kg = "ORDINAL"
        rest = ent.doc[ent.start : end]
        if all(t.lower_ in _DETERMINERS for t in rest):
            for token in rest:
                token._.kg = "O"
            return None
        return rest

    def _people_taken_for_organisations(self, tagged: TaggedDoc) -> None:
        """ "President of Turkey, Recep Tayyip Erdoğan": a name the model calls an
        organisation, right after a role, with no organisational word in it, is a person."""
        doc = tagged.doc
        for mention in [m for m in tagged.mentions if m.kind is EntityKind.ORGANISATION]:
            span = doc.char_span(mention.start, mention.end)
            if (
                mention.key is None
                and span is not None
                and 2 <= len(span) <= 4
                and _role_context(doc, span.start)
                and all(_is_name_word(t) or t.is_sent_start for t in span)
                and not {t.lower_ for t in span} & _ORG_WORDS
            ):
                tagged.mentions.remove(mention)
                self._add_person(tagged, span)

    def _expand_acronyms(self, tagged: TaggedDoc) -> None:
        """ "the Permanent Forum of International Pharmaceutical crime (PFIPC)": when the
        words before a bracketed acronym have its letters as initials, they are one
        organisation's name, whatever pieces the model made of them, and the acronym names it
        too (the two become aliases downstream)."""
        doc = tagged.doc
        for open_at in (t.i for t in doc if t.text == "("):
            close_at = next((t.i for t in doc[open_at + 1 : open_at + 4] if t.text == ")"), None)
            if close_at is None or close_at == open_at + 1:
                continue
            acronym = "".join(t.text for t in doc[open_at + 1 : close_at])
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
        entry = self.gazetteer.find(span.text)
        kind = entry.kind if entry is not None else EntityKind.ORGANISATION
        mention = Mention(
            span.text, kind, span.start_char, span.end_char, entry.id if entry else None
        )
        tagged.mentions.append(mention)
        for token in span:
            token._.kg = "ORG"
            tagged.mention_at[token.i] = mention

    def _add_person(self, tagged: TaggedDoc, span: Span) -> None:
        mention = Mention(span.text, EntityKind.PERSON, span.start_char, span.end_char, None)
        tagged.mentions.append(mention)
        for token in span:
            token._.kg = "PERSON"
            tagged.mention_at[token.i] = mention

    def _recover_people(self, tagged: TaggedDoc) -> None:
        """Names the model missed: capitalised words right after a role ("Executive Director
        of UNODC Ghada Waly"), and later mentions of a known person by surname ("Stock
        added")."""
        doc = tagged.doc
        for token in doc:
            if not _is_name_word(token) or not (
                token._.kg == "O" or (token._.kg == "PLACE" and token.i not in tagged.mention_at)
            ):
                continue
            if _role_context(doc, token.i):
                end = token.i
                while (
                    end < len(doc)
                    and end - token.i < 4
                    and doc[end]._.kg == "O"
                    and (_is_name_word(doc[end]))
                ):
                    end += 1
                if end - token.i >= 2:
                    self._add_person(tagged, doc[token.i : end])
        self._people_taken_for_organisations(tagged)
        surnames = {
            m.text.split()[-1]: m
            for m in tagged.mentions
            if m.kind is EntityKind.PERSON and len(m.text.split()) > 1
        }
        for token in doc:
            if token._.kg == "O" and token.text in surnames and _is_name_word(token):
                self._add_person(tagged, doc[token.i : token.i + 1])


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


def _role_context(doc: Doc, i: int) -> bool:
    """Does the token at ``i`` follow a role ("Director X", "President of Turkey, X")?"""
    previous = doc[i - 1] if i else None
    if previous is not None and previous.text == "," and i > 1:
        previous = doc[i - 2]
    return previous is not None and (
        previous._.kg == "ROLE"
        or (previous._.kg in {"ORG", "COUNTRY"} and _role_before(doc, previous.i))
    )


def _is_anaphor(ent: Span, lexicon: Lexicon) -> bool:
    words = [t.lower_ for t in ent if t.lower_ not in _DETERMINERS and t.text not in _POSSESSIVES]
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


def _after_role(span: Span) -> Span | None:
    """The words after leading role and title words, when those look like a name."""
    i = 0
    while i < len(span) and (
        span[i]._.kg == "ROLE"
        or span[i].lower_.rstrip(".") in _TITLES
        or span[i].text in {"-", "–"}
    ):
        i += 1
    rest = span[i:]
    if i == 0 or not 1 <= len(rest) <= 4 or not all(_is_name_word(t) for t in rest):
        return None
    return rest


def _is_name_word(token: Token) -> bool:
    text = token.text
    return (
        text[:1].isupper()
        and text.isalpha()
        and not token.is_sent_start
        and (token.pos_ in {"PROPN", "NOUN", "X", ""} or text.isupper())
    )


def _role_before(doc: Doc, org_end: int) -> bool:
    """Is the organisation ending at ``org_end`` preceded by "ROLE of"?"""
    i = org_end
    while i >= 0 and doc[i]._.kg in {"ORG", "COUNTRY"}:
        i -= 1
    return i >= 1 and doc[i].lower_ == "of" and doc[i - 1]._.kg == "ROLE"


def _plain_class(token: Token) -> str:
    if token.lower_ in _SEPARATORS:
        return "SEP"
    if (
        token.like_num
        and not token.is_punct
        and (any(ch.isdigit() for ch in token.text) or token.is_lower)
    ):
        return "NUM"  # "1,006", "three"; not "First" in the name 'First Light'

    return "O"


def _classify(ent: Span, gazetteer: Gazetteer) -> tuple[str, Mention | None]:
    """Decide what an entity span is: the gazetteer's word beats the model's label."""
    entry = gazetteer.get(ent.ent_id_) if ent.ent_id_ else None
    if entry is None and ent.label_ in {"ORG", "GPE", "LOC", "PERSON", "NORP", "PRODUCT", "FAC"}:
        entry = gazetteer.find(ent.text)
    if entry is not None:
        cls = _class_of_kind(entry.kind)
        return cls, _mention(ent, entry.kind, entry.id)
    cls = _LABEL_CLASS.get(ent.label_, "O")
    if _names_operation(ent) and cls in {"ORG", "PERSON", "O"}:
        cls = "OPERATION"
    kind = _CLASS_KIND.get(cls)
    return cls, (_mention(ent, kind, None) if kind is not None else None)


def _names_operation(ent: Span) -> bool:
    """ "Operation Jackal" or "AFRICA Cyber Surge Operation", whatever the model called it."""
    words = [t.lower_ for t in ent]
    return len(words) > 1 and "operation" in (words[0], words[-1]) and ent[1].text[:1].isupper()


def _class_of_kind(kind: EntityKind) -> str:
    if kind in ORGANISATION_KINDS:
        return "ORG"
    return {v: k for k, v in _CLASS_KIND.items()}[kind]


def _mention(ent: Span, kind: EntityKind, key: str | None) -> Mention:
    span = _strip_determiner(ent)
    return Mention(span.text, kind, span.start_char, span.end_char, key)


def _strip_determiner(span: Span) -> Span:
    if len(span) > 1 and span[0].lower_ in _DETERMINERS:
        return span[1:]
    if len(span) > 1 and span[-1].tag_ == "POS":
        return span[:-1]
    return span


def _tag_anaphors(doc: Doc, lexicon: Lexicon) -> None:
    """Mark "the organisation", "its", "the convention" so rules can use them as slots."""
    for token in doc:
        if token._.kg != "O":
            continue
        lower = token.lower_
        previous = doc[token.i - 1].lower_ if token.i > 0 else ""
        if (lower == "its" and token.tag_ in {"PRP$", ""}) or (
            previous in _DETERMINERS and lower in lexicon.organisation_anaphors
        ):
            token._.kg = "ORGREF"
        elif previous in _DETERMINERS and lower in lexicon.treaty_anaphors:
            token._.kg = "TREATYREF"


def _tag_list_glue(doc: Doc) -> None:
    """Let lists of entities run on across the words that join them in news prose:
    "the" before a name ("France, Germany and the Netherlands"), a possessive between two
    organisations ("Interpol's Cybercrime Directorate"), and brackets around an acronym
    ("the World Customs Organization (WCO), the ...")."""
    n = len(doc)
    for token in doc:
        if token._.kg != "O" and token._.kg != "SEP":
            continue
        nxt = doc[token.i + 1]._.kg if token.i + 1 < n else "O"
        prev = doc[token.i - 1]._.kg if token.i > 0 else "O"
        if token.lower_ == "the" and nxt in ENTITY_CLASSES:
            token._.kg = nxt
        elif token.text in _POSSESSIVES and prev == "ORG" and nxt == "ORG":
            token._.kg = "ORG"
        elif (token.text == "(" and nxt in ENTITY_CLASSES and prev in ENTITY_CLASSES) or (
            token.text == ")"
            and prev in ENTITY_CLASSES
            and (token.i + 1 < n and doc[token.i + 1].lower_ in _SEPARATORS)
        ):
            token._.kg = "SEP"

"""Hand-built spaCy Docs for rule tests: no statistical model, every annotation explicit.

``hand_doc(vocab, "[Zimbabwe](GPE#country:ZW) has been a member of [Interpol](ORG#interpol) "
"since [13 November 1980](DATE) .")`` gives a Doc whose tokens are the words split on
spaces (``||`` marks a sentence break inside a line), entities where the brackets say
(``LABEL`` or ``LABEL#gazetteer-id``), lemmas and
coarse POS tags from the small tables below (what the rules look at), and one sentence per
line of the text.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

LEMMAS = {
    "has": "have",
    "had": "have",
    "have": "have",
    "been": "be",
    "is": "be",
    "was": "be",
    "were": "be",
    "are": "be",
    "became": "become",
    "becomes": "become",
    "arrested": "arrest",
    "arrest": "arrest",
    "arrests": "arrest",
    "signed": "sign",
    "ratified": "ratify",
    "acceded": "accede",
    "adopted": "adopt",
    "joined": "join",
    "admitted": "admit",
    "deposited": "deposit",
    "dismantled": "dismantle",
    "seized": "seize",
    "identified": "identify",
    "rescued": "rescue",
    "participated": "participate",
    "took": "take",
    "coordinated": "coordinate",
    "led": "lead",
    "said": "say",
    "detained": "detain",
    "launched": "launch",
    "began": "begin",
    "counts": "count",
    "frozen": "freeze",
}
VERBS = {
    "has",
    "had",
    "have",
    "been",
    "is",
    "was",
    "were",
    "are",
    "became",
    "arrested",
    "arrest",
    "signed",
    "ratified",
    "acceded",
    "adopted",
    "joined",
    "admitted",
    "deposited",
    "dismantled",
    "seized",
    "identified",
    "rescued",
    "participated",
    "took",
    "coordinated",
    "led",
    "said",
    "detained",
    "launched",
    "began",
    "counts",
}
AUX = {"has", "had", "have", "been", "is", "was", "were", "are"}
ADJ = {"african", "malicious", "joint", "new", "global", "european", "asian", "suspected"}
ADV = {"already", "also", "formally", "officially", "now", "recently", "jointly"}
DET = {"the", "a", "an", "its", "this"}
ADP = {"of", "in", "since", "by", "to", "from", "on", "at", "as", "for", "with"}
_ENTITY = re.compile(r"\[([^\]]+)\]\(([A-Z_]+)(?:#([^)]+))?\)")


def hand_doc(vocab: Vocab, text: str) -> Doc:
    words, spaces, ents, sent_starts = [], [], [], []
    for line in text.strip().splitlines():
        first = True
        pos = 0
        for found in [*_ENTITY.finditer(line), None]:
            plain = line[pos : found.start()] if found else line[pos:]
            for word in plain.split():
                if word == "||":  # a sentence break inside a line, as a parser might make
                    first = True
                    continue
                words.append(word)
                sent_starts.append(first)
                first = False
            if found is None:
                break
            start = len(words)
            for word in found.group(1).split():
                words.append(word)
                sent_starts.append(first)
                first = False
            ents.append((start, len(words), found.group(2), found.group(3) or ""))
            pos = found.end()
    spaces = [True] * len(words)
    lemmas = [LEMMAS.get(w.lower(), w.lower()) for w in words]
    pos_tags = [_pos(w) for w in words]
    tags = [_tag(w, words[i - 1] if i else "") for i, w in enumerate(words)]
    doc = Doc(
        vocab,
        words=words,
        spaces=spaces,
        lemmas=lemmas,
        pos=pos_tags,
        tags=tags,
        sent_starts=sent_starts,
    )
    doc.ents = [Span(doc, s, e, label=label, kb_id=kb) for s, e, label, kb in ents]
    for span, (_, _, _, kb) in zip(doc.ents, ents, strict=True):
        if kb:
            for token in span:
                token.ent_id_ = kb
    return doc


def _pos(word: str) -> str:
    lower = word.lower()
    if lower in AUX:
        return "AUX"
    if lower in VERBS or (lower.endswith("ed") and len(lower) > 4):
        return "VERB"
    if lower in DET:
        return "DET"
    if lower in ADP:
        return "ADP"
    if lower in ADJ:
        return "ADJ"
    if lower in ADV:
        return "ADV"
    if lower in {"and", "or"}:
        return "CCONJ"
    if re.fullmatch(r"\d[\d.,]*", word):
        return "NUM"
    if not any(ch.isalnum() for ch in word):
        return "PUNCT"
    return "PROPN" if word[0].isupper() else "NOUN"


def _tag(word: str, previous: str) -> str:
    """Penn tags where rules look at them: a past participle after an auxiliary, else a
    past tense."""
    lower = word.lower()
    if lower in {"'s", "’s"}:
        return "POS"
    if lower == "its":
        return "PRP$"
    if lower.endswith("ed") or lower in {"been", "taken", "frozen"}:
        return "VBN" if previous.lower() in AUX | {"being"} else "VBD"
    return "XX"

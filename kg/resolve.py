"""Entity resolution: which entity each mention names, within and across documents.

Keys, strongest first:
1. the gazetteer id a mention was recognised with, or that its text (or any alias the
   document ties to it) finds in the gazetteer: ``interpol``, ``country:ZW``;
2. alias links the text states: an acronym in brackets after a name, an operation
   "renamed" or "called" another name; all names of a group share one key;
3. people by full name: a surname or a partial name ("Stock", "Urquiza") is the person of
   the same document whose full name ends with or contains it;
4. otherwise a normalised name, so the same name in two documents is one entity
   (``org:…``, ``treaty:…``, ``person:…``, ``operation:…``); an unnamed operation is its
   own entity (``operation:{doc}@{offset}``).

Nothing is merged on similarity alone: two names become one entity only by an exact key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from kg.extract.operations import name_key
from kg.gazetteer import ORGANISATION_KINDS, Gazetteer, load_gazetteer, normalise_name
from kg.records import (
    DocumentFacts,
    Entity,
    EntityKind,
    Fact,
    MemberCount,
    Membership,
    Mention,
    OperationReport,
    Position,
    Resolution,
    Statement,
    TreatyAction,
)
from kg.text import clean_label

_PREFIX = {
    EntityKind.PERSON: "person",
    EntityKind.TREATY: "treaty",
    EntityKind.OPERATION: "operation",
    EntityKind.COUNTRY: "place",
}
_NAMES = 1 << 16
"""Names whose normal form and clean label are remembered: the same names recur in every
document, and people are compared pairwise."""
_normalised = lru_cache(maxsize=_NAMES)(normalise_name)
_clean = lru_cache(maxsize=_NAMES)(clean_label)


def fact_mentions(fact: Fact) -> list[Mention]:
    """Every mention a fact's claim refers to."""
    claim = fact.claim
    match claim:
        case Membership():
            return [claim.member, claim.organisation]
        case MemberCount():
            return [claim.organisation]
        case TreatyAction():
            return [claim.agent, claim.treaty]
        case OperationReport():
            return [claim.operation, *claim.coordinators, *claim.participants]
        case Position():
            return [claim.person] + ([claim.organisation] if claim.organisation else [])
        case Statement():
            return [claim.speaker]
    raise TypeError(f"unknown claim {type(claim).__name__}")


class _Groups:
    """Union-find over hashable items, holding only items that were joined to another (a
    build looks up every operation name it reads). ``moved`` collects, in order, the items
    whose parent changed since the caller last cleared it: what one step taught is read
    from there, where comparing the whole table before and after would cost time growing
    with every name ever seen, for every document."""

    def __init__(self) -> None:
        self.parent: dict = {}
        self.moved: dict = {}

    def find(self, item):
        parent = self.parent
        if item not in parent:
            return item  # on its own: not kept, or the table grows with every name looked up
        while parent[item] != item:
            grandparent = parent[parent[item]]
            if grandparent != parent[item]:
                parent[item] = grandparent
                self.moved[item] = None
            item = parent[item]
        return item

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent.setdefault(ra, ra)
            self.parent[rb] = ra
            self.moved[rb] = None


class Resolver:
    """Resolves a batch of documents; keeps what it learnt so later batches agree."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or load_gazetteer()
        self.operation_names = _Groups()

    def resolve(self, batch: Iterable[DocumentFacts]) -> Resolution:
        resolution = Resolution()
        labels: dict[str, list[str]] = defaultdict(list)
        kinds: dict[str, EntityKind] = {}
        for item in batch:
            for mention, key in self._document_keys(item).items():
                resolution.by_mention[(item.document.id, mention.start, mention.end)] = key
                labels[key].append(mention.text)
                kinds.setdefault(key, mention.kind)
        for key, seen in labels.items():
            resolution.entities[key] = self._entity(key, kinds[key], seen)
        return resolution

    def _document_keys(self, item: DocumentFacts) -> dict[Mention, str]:
        """The key of every mention a fact uses, and of every alias the text ties to one
        (so "First Light" becomes a label of "Operation First Light 2024")."""
        used = [m for fact in item.facts for m in fact_mentions(fact)]
        groups = _Groups()
        for a, b in item.aliases:
            groups.union(a, b)
        people = [m for m in used if m.kind is EntityKind.PERSON]
        for mention in people:
            full = _full_name(mention, people)
            if full is not None:
                groups.union(full, mention)
        members: dict = defaultdict(list)
        # in text order, not set order (which follows the per-process string hash): the key
        # a group gets must not change from one run to the next
        mentions = {*used, *(m for pair in item.aliases for m in pair)}
        for mention in sorted(mentions, key=lambda m: (m.start, m.end, m.text)):
            members[groups.find(mention)].append(mention)
        keys: dict[Mention, str] = {}
        for group in members.values():
            key = self._group_key(group, item.document.id)
            for mention in group:
                keys[mention] = key
        return keys

    def _group_key(self, group: list[Mention], doc_id: str) -> str:
        for mention in group:
            if mention.key:
                return mention.key
        if all(m.kind is not EntityKind.PERSON for m in group):
            for mention in group:
                entry = self.gazetteer.find(mention.text)
                if entry is not None:
                    return entry.id
        head = max(group, key=lambda m: (len(m.text.split()), len(m.text)))
        if head.kind is EntityKind.OPERATION:
            return self._operation_key(group, doc_id)
        prefix = "org" if head.kind in ORGANISATION_KINDS else _PREFIX[head.kind]
        return f"{prefix}:{_normalised(head.text)}"

    def _operation_key(self, group: list[Mention], doc_id: str) -> str:
        names = [name_key(m.text) for m in group if m.key is None and _is_named(m)]
        if not names:
            first = min(group, key=lambda m: m.start)
            return f"operation:{doc_id}@{first.start}"
        for name in names[1:]:
            self.operation_names.union(names[0], name)
        return f"operation:{self.operation_names.find(names[0])}"

    def _entity(self, key: str, kind: EntityKind, seen: list[str]) -> Entity:
        entry = self.gazetteer.get(key)
        names = [_clean(text) for text in seen]
        if entry is not None:
            known = [entry.label, *entry.acronyms, *entry.aliases]
            labels = _ordered([entry.label, *names, *known])
            return Entity(key, entry.kind, entry.label, tuple(labels[1:]), entry.wikidata)
        label = max(names, key=lambda n: (len(n.split()), len(n), n)) if names else key
        if kind is EntityKind.OPERATION and "@" in key:
            doc_id = key.removeprefix("operation:").rsplit("@", 1)[0]
            return Entity(key, kind, f"unnamed operation reported in {doc_id}", ())
        return Entity(key, kind, label, tuple(n for n in _ordered(names) if n != label))


def _is_named(mention: Mention) -> bool:
    """Operation mentions built from a proper name, not the bare noun "operation"."""
    return any(ch.isupper() for ch in mention.text) and name_key(mention.text) != ""


def _full_name(mention: Mention, people: list[Mention]) -> Mention | None:
    """The longest name of the same document that contains this one as whole words."""
    words = _normalised(mention.text).split()
    best = None
    for other in people:
        other_words = _normalised(other.text).split()
        if len(other_words) <= len(words):
            continue
        if _contains(other_words, words) and (best is None or len(other.text) > len(best.text)):
            best = other
    return best


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _ordered(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        if name and name not in seen:
            seen[name] = None
    return list(seen)

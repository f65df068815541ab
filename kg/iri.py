"""Minting IRIs: the one place kg turns keys, names and ids into IRIs.

Keys and ids come from article text, so nothing of them reaches an IRI except a slug of
lower-case ASCII letters, digits and hyphens. A key already in canonical form (a gazetteer id
such as ``interpol`` or ``treaty:un-cybercrime-convention``, or the resolver's normalised name
``person:valdecy urquiza``, whose spaces become hyphens) is used as it is, so IRIs stay
readable. Any other key gets the slug of what it says plus ``--`` and 8 hex digits of its
SHA-256, so keys that slug alike still get different IRIs, and since a canonical slug never
holds ``--`` no key can forge another's IRI. Keys that differ only by their kind prefix
(``org:interpol``, ``interpol``) or by a space for a hyphen name the same IRI: they are the
same name. Every minted IRI is checked against a strict character set before it leaves this
module. The IRI shapes are listed in ``ontologies/README.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from enum import Enum
from urllib.parse import urlsplit

from rdflib import URIRef

from kg.errors import RdfError
from kg.records import Entity, EntityKind, Fact, Mention, Resolution

DEFAULT_BASE = "https://w3id.org/kgnews/"
MAX_SLUG = 120
HASH_LEN = 8

KEY_PREFIXES: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.ORGANISATION: ("org:",),
    EntityKind.INTERNATIONAL_ORGANISATION: ("org:",),
    EntityKind.LAW_ENFORCEMENT_AGENCY: ("org:",),
    EntityKind.LEGISLATIVE_BODY: ("org:",),
    EntityKind.COUNTRY: ("country:", "place:"),
    EntityKind.PERSON: ("person:",),
    EntityKind.TREATY: ("treaty:",),
    EntityKind.OPERATION: ("operation:",),
}
"""The prefixes a key of each kind may carry (``person:jane-okafor``); they are not in IRIs."""

SEGMENT: dict[EntityKind, str] = {
    EntityKind.ORGANISATION: "org",
    EntityKind.INTERNATIONAL_ORGANISATION: "org",
    EntityKind.LAW_ENFORCEMENT_AGENCY: "org",
    EntityKind.LEGISLATIVE_BODY: "org",
    EntityKind.COUNTRY: "country",
    EntityKind.PERSON: "person",
    EntityKind.TREATY: "treaty",
    EntityKind.OPERATION: "operation",
}
"""The path segment under ``{base}id/`` for each kind."""

_SAFE_IRI = re.compile(r"https?://(?:[A-Za-z0-9\-._~/#=,:]|%[0-9A-Fa-f]{2})+")
_CANONICAL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A key already in slug form, or the resolver's normalised name (words and single spaces).
_CANONICAL_KEY = re.compile(r"[a-z0-9]+(?:[- ][a-z0-9]+)*")
_ISO_ALPHA2 = re.compile(r"[A-Za-z]{2}")
# Letters NFKD does not decompose into an ASCII base letter.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}
)


def slug(text: str, max_len: int = MAX_SLUG) -> str:
    """Lower-case ASCII letters and digits of ``text`` joined by single hyphens.

    Accents are folded (``Côte d'Ivoire`` -> ``cote-d-ivoire``); "" when nothing is left. A slug
    longer than ``max_len`` is cut and ends in ``--`` plus a hash of the whole text, so long
    names that differ only after the cut still get different slugs.
    """
    if max_len < 2 * HASH_LEN:
        raise ValueError(f"slug max_len must be at least {2 * HASH_LEN}, got {max_len}")
    core = _slug_core(text)
    if len(core) <= max_len:
        return core
    return _with_hash(core, text, max_len)


def check_iri(iri: str) -> str:
    """``iri`` itself when it is an absolute http(s) IRI made only of safe characters.

    Safe means RFC 3986 unreserved characters, ``/ # = , :`` and %-escapes: nothing that could
    end a literal or an IRI in any serialisation (no spaces, quotes, ``<>{}|\\^``, backtick or
    controls).
    """
    if not _SAFE_IRI.fullmatch(iri) or iri.count("#") > 1:
        raise RdfError(f"expected an IRI of safe characters only, got {iri!r}")
    return iri


def country_code(entity: Entity) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country (key ``country:ZW`` -> ``ZW``), else None."""
    if entity.kind is not EntityKind.COUNTRY:
        return None
    rest = entity.key.removeprefix("country:")
    return rest.upper() if rest != entity.key and _ISO_ALPHA2.fullmatch(rest) else None


class IriMinter:
    """Mints every IRI kg writes, under one base.

    Deterministic: the same arguments always give the same IRI, whatever was minted before.
    """

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = _checked_base(base)

    def __repr__(self) -> str:
        return f"IriMinter({self.base!r})"

    def entity(self, entity: Entity) -> URIRef:
        """``{base}id/{segment}/{local}``: ``id/org/interpol``, ``id/country/zw``."""
        return self._mint(f"id/{SEGMENT[entity.kind]}/{_entity_local(entity)}")

    def document(self, doc_id: str) -> URIRef:
        """``{base}doc/{doc id slug}``."""
        return self._mint(f"doc/{_document_local(doc_id)}")

    def graph(self, doc_id: str) -> URIRef:
        """``{base}graph/{doc id slug}``: the named graph holding what a document says."""
        return self._mint(f"graph/{_document_local(doc_id)}")

    def sentence(self, doc_id: str, start: int, end: int) -> URIRef:
        """``{base}doc/{doc id slug}#char={start},{end}`` (an RFC 5147 fragment)."""
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            raise RdfError(
                f"document {doc_id!r}: expected character offsets 0 <= start <= end, "
                f"got {start!r}, {end!r}"
            )
        return self._mint(f"doc/{_document_local(doc_id)}#char={start},{end}")

    def extraction(self, doc_id: str) -> URIRef:
        """``{base}doc/{doc id slug}#extraction``: the activity that read the document."""
        return self._mint(f"doc/{_document_local(doc_id)}#extraction")

    def fact(self, doc_id: str, fact: Fact, resolution: Resolution) -> URIRef:
        """``{base}fact/{family}/{16 hex}``, hashed over what makes the fact this fact.

        The hash covers the document id, the family, the rule, the claim with each mention
        replaced by its resolved entity key and offsets, and the sentence offsets; the same
        fact read twice gets the same IRI, a fact read from another sentence a new one.
        """
        payload = [
            doc_id,
            fact.family,
            fact.provenance.rule,
            _canonical_claim(fact.claim, doc_id, resolution),
            [[s.start, s.end] for s in fact.provenance.sentences],
        ]
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return self._mint(f"fact/{fact.family}/{_digest(text, 16)}")

    def post(self, organisation: Entity | None, role: str) -> URIRef:
        """``{base}id/post/{org slug}/{role slug}``, or ``id/post/{role slug}`` without one.

        An organisation of a non-organisation kind keeps its segment (``id/post/country/fr/
        president``) so it cannot meet an organisation with the same slug.
        """
        role_local = _role_local(role)
        if organisation is None:
            return self._mint(f"id/post/{role_local}")
        segment = SEGMENT[organisation.kind]
        local = _entity_local(organisation)
        org_path = local if segment == "org" else f"{segment}/{local}"
        return self._mint(f"id/post/{org_path}/{role_local}")

    def role(self, role: str) -> URIRef:
        """``{base}id/role/{role slug}``: ``Secretary General`` and ``secretary-general`` meet."""
        return self._mint(f"id/role/{_role_local(role)}")

    def part(self, node: URIRef, *path: str | int) -> URIRef:
        """``{node}/{path...}``: a node that only exists inside another (``{fact}/interval``).

        Parts are kg's own fixed words and numbers, never text from a document.
        """
        if not str(node).startswith(self.base):
            raise RdfError(f"expected a node under {self.base!r}, got {str(node)!r}")
        words = [str(p) for p in path]
        if not words or not all(_CANONICAL.fullmatch(word) for word in words):
            raise RdfError(f"expected slug or number path parts, got {path!r}")
        return URIRef(check_iri("/".join([str(node), *words])))

    def _mint(self, path: str) -> URIRef:
        return URIRef(check_iri(self.base + path))


def _checked_base(base: str) -> str:
    """The base with a trailing slash, or an RdfError saying what a base must look like."""
    problem = f"expected an absolute http(s) base IRI such as {DEFAULT_BASE!r}, got {base!r}"
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise RdfError(problem)
    if not base.endswith("/"):
        base += "/"
    try:
        parts = urlsplit(base)
    except ValueError as exc:
        raise RdfError(problem) from exc
    if not parts.hostname or parts.query or parts.fragment or "#" in base or "?" in base:
        raise RdfError(problem)
    try:
        check_iri(base)
    except RdfError as exc:
        raise RdfError(problem) from exc
    return base


def _slug_core(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "-".join(re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode("ascii")))


def _digest(text: str, length: int = HASH_LEN) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def _with_hash(core: str, original: str, max_len: int = MAX_SLUG) -> str:
    """``core`` cut to fit ``max_len`` with ``--{hash of original}``; "--{hash}" if empty."""
    head = core[: max_len - HASH_LEN - 2].rstrip("-/")
    return f"{head}--{_digest(original)}"


def _entity_local(entity: Entity) -> str:
    """The last path segment of an entity IRI, from its kind and key."""
    key = entity.key
    if not key:
        raise RdfError(f"entity {entity.label!r}: expected a non-empty key, got {key!r}")
    code = country_code(entity)
    if code is not None:
        return code.lower()
    rest = next((key[len(p) :] for p in KEY_PREFIXES[entity.kind] if key.startswith(p)), key)
    if len(rest) <= MAX_SLUG and _CANONICAL_KEY.fullmatch(rest):
        return rest.replace(" ", "-")
    return _with_hash(_slug_core(rest), key)


def _document_local(doc_id: str) -> str:
    """The path of a document under ``doc/`` and ``graph/``: its id, slugged per segment."""
    if not doc_id:
        raise RdfError(f"expected a non-empty document id, got {doc_id!r}")
    parts = doc_id.split("/")
    if len(doc_id) <= MAX_SLUG and all(_CANONICAL.fullmatch(part) for part in parts):
        return doc_id
    slugged = "/".join(core for core in map(_slug_core, parts) if core)
    return _with_hash(slugged, doc_id)


def _role_local(role: str) -> str:
    """The slug of a title: deliberately lossy, so spellings of one title share a role."""
    if not role.strip():
        raise RdfError(f"expected a non-empty role title, got {role!r}")
    return slug(role) or _with_hash("", role)


def _canonical_claim(value: object, doc_id: str, resolution: Resolution) -> object:
    """A JSON-able form of a claim, mentions replaced by their resolved keys and offsets."""
    if isinstance(value, Mention):
        try:
            key = resolution.entity_of(doc_id, value).key
        except KeyError as exc:
            raise RdfError(
                f"document {doc_id!r}: mention {value.text!r} at {value.start}-{value.end} "
                "was not resolved to an entity"
            ) from exc
        return {"key": key, "start": value.start, "end": value.end}
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {
            f.name: _canonical_claim(getattr(value, f.name), doc_id, resolution) for f in fields
        }
    if isinstance(value, tuple | list):
        return [_canonical_claim(item, doc_id, resolution) for item in value]
    return value

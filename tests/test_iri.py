"""kg.iri: every IRI is minted here, deterministic, readable and safe whatever the text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import URIRef

from kg.errors import KgError, RdfError
from kg.iri import (
    DEFAULT_BASE,
    MAX_SLUG,
    SEGMENT,
    IriMinter,
    check_iri,
    country_code,
    slug,
)
from kg.records import (
    Entity,
    EntityKind,
    Fact,
    Membership,
    Mention,
    Provenance,
    Resolution,
    Sentence,
)

BASE = "https://example.org/kg/"
HOSTILE = 'x" . <http://evil/s> <http://evil/p> <http://evil/o> .'
# Stricter than check_iri on purpose: a test of the promise, not a copy of the code.
SAFE = re.compile(r"[A-Za-z0-9\-._~/#=,:%]+")
FORBIDDEN = set(' "<>{}|\\^`\n\r\t\x00')

prefixes = st.sampled_from(["", "org:", "country:", "place:", "person:", "treaty:", "operation:"])
keys = st.one_of(
    st.text(min_size=1),
    st.builds(str.__add__, prefixes, st.text(alphabet="aZz09 -@:", min_size=1, max_size=4)),
    st.text(alphabet=st.sampled_from('abcXYZ019 -_/:."<>{}|\\^`\n\x00é'), min_size=1),
    st.sampled_from([HOSTILE, "x\ny", "\x00", "{}|\\^", "person:", "country:", "--", "ß"]),
)
kinds = st.sampled_from(list(EntityKind))


def at(path: str) -> URIRef:
    return URIRef(BASE + path)


def entity(key: str, kind: EntityKind = EntityKind.PERSON, label: str = "Someone") -> Entity:
    return Entity(key, kind, label)


@pytest.fixture(scope="module")
def minter() -> IriMinter:
    return IriMinter(BASE)


def assert_safe(iri: str, under: str) -> None:
    assert iri.startswith(under)
    assert SAFE.fullmatch(iri), iri
    assert not FORBIDDEN & set(iri)
    assert check_iri(iri) == iri


# --- slug -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Côte d'Ivoire", "cote-d-ivoire"),
        ("  Operation   SERENGETI 2.0 ", "operation-serengeti-2-0"),
        ("Straße Øresund Łódź", "strasse-oresund-lodz"),
        ("!!!", ""),
        ("中文", ""),
        ("", ""),
    ],
)
def test_slug_folds_accents_and_keeps_letters_digits_and_single_hyphens(text, expected):
    assert slug(text) == expected


def test_a_long_slug_is_cut_and_ends_in_a_hash_of_the_whole_text():
    first, second = "a" * 200 + "x", "a" * 200 + "y"
    assert len(slug(first)) <= MAX_SLUG
    assert slug(first) != slug(second)
    assert slug(first).startswith("a" * 100)
    assert re.fullmatch(r"a+--[0-9a-f]{8}", slug(first))


@given(st.text(), st.integers(min_value=16, max_value=200))
def test_slug_is_short_and_made_of_safe_characters(text, max_len):
    result = slug(text, max_len)
    assert len(result) <= max_len
    assert re.fullmatch(r"[a-z0-9-]*", result)
    assert result == slug(text, max_len)


# --- entities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kind", "expected"),
    [
        ("interpol", EntityKind.INTERNATIONAL_ORGANISATION, "id/org/interpol"),
        ("afripol", EntityKind.LAW_ENFORCEMENT_AGENCY, "id/org/afripol"),
        ("unga", EntityKind.LEGISLATIVE_BODY, "id/org/unga"),
        ("org:national crime agency", EntityKind.ORGANISATION, "id/org/national-crime-agency"),
        ("country:ZW", EntityKind.COUNTRY, "id/country/zw"),
        ("person:valdecy-urquiza", EntityKind.PERSON, "id/person/valdecy-urquiza"),
        ("person:valdecy urquiza", EntityKind.PERSON, "id/person/valdecy-urquiza"),
        (
            "treaty:un-cybercrime-convention",
            EntityKind.TREATY,
            "id/treaty/un-cybercrime-convention",
        ),
        ("operation:serengeti", EntityKind.OPERATION, "id/operation/serengeti"),
    ],
)
def test_canonical_keys_give_readable_iris(minter, key, kind, expected):
    assert minter.entity(entity(key, kind)) == at(expected)


def test_other_keys_get_their_slug_and_a_hash(minter):
    iri = minter.entity(entity("person:Valdecy Urquiza"))
    assert re.fullmatch(re.escape(BASE) + r"id/person/valdecy-urquiza--[0-9a-f]{8}", iri)
    unnamed = minter.entity(entity("operation:wire/alpha@57", EntityKind.OPERATION))
    assert re.fullmatch(re.escape(BASE) + r"id/operation/wire-alpha-57--[0-9a-f]{8}", unnamed)
    assert minter.entity(entity("place:atlantis", EntityKind.COUNTRY)) == at("id/country/atlantis")


def test_a_key_with_nothing_to_slug_still_gets_an_iri(minter):
    iri = minter.entity(entity("person:中文"))
    assert re.fullmatch(re.escape(BASE) + r"id/person/--[0-9a-f]{8}", iri)
    assert iri != minter.entity(entity("person:日本"))


def test_an_empty_key_is_refused(minter):
    with pytest.raises(RdfError, match="non-empty key"):
        minter.entity(entity(""))


def test_country_code_comes_from_country_keys_only():
    assert country_code(entity("country:ZW", EntityKind.COUNTRY)) == "ZW"
    assert country_code(entity("country:zw", EntityKind.COUNTRY)) == "ZW"
    assert country_code(entity("place:atlantis", EntityKind.COUNTRY)) is None
    assert country_code(entity("country:ZW", EntityKind.ORGANISATION)) is None


@given(keys, kinds)
def test_any_key_gives_a_safe_iri_under_the_base(key, kind):
    iri = IriMinter(BASE).entity(entity(key, kind))
    assert_safe(iri, f"{BASE}id/{SEGMENT[kind]}/")
    assert iri.count("/") == BASE.count("/") + 2
    assert iri == IriMinter(BASE).entity(entity(key, kind))


def _same_name(kind: EntityKind, key: str) -> str:
    """What the IRI policy promises to tell apart: keys up to prefix, case of ISO codes and
    spaces for hyphens (``README``: those are the same name)."""
    segment = SEGMENT[kind]
    for prefix in (f"{segment}:", "place:" if kind is EntityKind.COUNTRY else None):
        if prefix and key.startswith(prefix):
            key = key[len(prefix) :]
            if (
                kind is EntityKind.COUNTRY
                and prefix == "country:"
                and re.fullmatch("[A-Za-z]{2}", key)
            ):
                return key.lower()
            break
    return key.replace(" ", "-") if re.fullmatch(r"[a-z0-9]+(?:[- ][a-z0-9]+)*", key) else key


@given(keys, keys, kinds)
def test_different_names_never_share_an_iri(first, second, kind):
    minter = IriMinter(BASE)
    if _same_name(kind, first) != _same_name(kind, second):
        assert minter.entity(entity(first, kind)) != minter.entity(entity(second, kind))


def test_long_keys_that_differ_after_the_cut_get_different_iris(minter):
    stem = "person:" + "very long name " * 20
    first, second = minter.entity(entity(stem + "one")), minter.entity(entity(stem + "two"))
    assert first != second
    assert len(first) - len(BASE + "id/person/") <= MAX_SLUG


def test_hostile_key_cannot_inject_anything(minter):
    iri = minter.entity(entity(HOSTILE, EntityKind.ORGANISATION))
    assert_safe(iri, BASE + "id/org/")
    assert "<" not in iri and '"' not in iri and " " not in iri


# --- documents, sentences, facts --------------------------------------------------------------


def test_document_graph_sentence_and_extraction_iris(minter):
    assert minter.document("wire/alpha") == at("doc/wire/alpha")
    assert minter.graph("wire/alpha") == at("graph/wire/alpha")
    assert minter.sentence("wire/alpha", 0, 42) == at("doc/wire/alpha#char=0,42")
    assert minter.extraction("wire/alpha") == at("doc/wire/alpha#extraction")


def test_document_ids_that_are_not_slugs_get_a_hash(minter):
    first, second = minter.document("Wire/Alpha_1"), minter.document("wire/alpha-1")
    assert re.fullmatch(re.escape(BASE) + r"doc/wire/alpha-1--[0-9a-f]{8}", first)
    assert second == at("doc/wire/alpha-1")
    assert minter.document("a/b") != minter.document("a-b")
    assert minter.document("../etc") != minter.document("etc")
    assert "/../" not in minter.document("a/../b")


@given(keys)
def test_any_document_id_gives_safe_iris(doc_id):
    minter = IriMinter(BASE)
    assert_safe(minter.document(doc_id), BASE + "doc/")
    assert_safe(minter.graph(doc_id), BASE + "graph/")
    assert_safe(minter.sentence(doc_id, 3, 9), BASE + "doc/")
    assert minter.sentence(doc_id, 3, 9).endswith("#char=3,9")
    assert "/./" not in minter.document(doc_id) + "/" and "/../" not in minter.document(doc_id)


@pytest.mark.parametrize(("start", "end"), [(-1, 4), (5, 4), ("1", 4)])
def test_sentence_offsets_must_be_ordered_non_negative_integers(minter, start, end):
    with pytest.raises(RdfError, match="offsets"):
        minter.sentence("doc", start, end)


def _membership_fact(start: int = 0) -> tuple[Fact, Resolution]:
    res = Resolution()
    member = Mention("Kenya", EntityKind.COUNTRY, start, start + 5, "country:KE")
    org = Mention("Interpol", EntityKind.INTERNATIONAL_ORGANISATION, 30, 38, "interpol")
    for mention in (member, org):
        res.entities[mention.key] = Entity(mention.key, mention.kind, mention.text)
        res.by_mention[("doc", mention.start, mention.end)] = mention.key
    sentence = Sentence("doc", 0, 40, "x" * 40)
    return Fact(Membership(member, org, "1990"), Provenance((sentence,), "m.v1", 0.5)), res


def test_fact_iri_is_stable_and_depends_on_what_makes_the_fact(minter):
    fact, res = _membership_fact()
    iri = minter.fact("doc", fact, res)
    assert re.fullmatch(re.escape(BASE) + r"fact/member_of/[0-9a-f]{16}", iri)
    assert minter.fact("doc", fact, res) == iri
    assert IriMinter(BASE).fact("doc", _membership_fact()[0], _membership_fact()[1]) == iri
    claim = fact.claim
    variants = [
        Fact(Membership(claim.member, claim.organisation, "1991"), fact.provenance),
        Fact(claim, Provenance(fact.provenance.sentences, "m.v2", 0.5)),
        Fact(claim, Provenance((Sentence("doc", 1, 40, "x" * 39),), "m.v1", 0.5)),
    ]
    assert len({iri, *(minter.fact("doc", v, res) for v in variants)}) == 4
    other, other_res = _membership_fact(start=1)
    assert minter.fact("doc", other, other_res) != iri


def test_fact_iri_ignores_the_confidence(minter):
    fact, res = _membership_fact()
    surer = Fact(fact.claim, Provenance(fact.provenance.sentences, "m.v1", 0.99))
    assert minter.fact("doc", surer, res) == minter.fact("doc", fact, res)


def test_fact_with_an_unresolved_mention_is_refused(minter):
    fact, _ = _membership_fact()
    with pytest.raises(RdfError, match="not resolved"):
        minter.fact("doc", fact, Resolution())


# --- posts, roles, parts ----------------------------------------------------------------------


def test_post_and_role_iris(minter):
    interpol = entity("interpol", EntityKind.INTERNATIONAL_ORGANISATION, "INTERPOL")
    france = entity("country:FR", EntityKind.COUNTRY, "France")
    assert minter.post(interpol, "Secretary General") == at("id/post/interpol/secretary-general")
    assert minter.post(france, "President") == at("id/post/country/fr/president")
    assert minter.post(None, "Minister") == at("id/post/minister")
    assert minter.role("Secretary-General") == minter.role("secretary general")
    assert minter.role("Secretary General") == at("id/role/secretary-general")


@given(keys)
def test_any_role_title_gives_safe_iris(title):
    minter = IriMinter(BASE)
    if not title.strip():
        with pytest.raises(RdfError):
            minter.role(title)
        return
    assert_safe(minter.role(title), BASE + "id/role/")
    assert_safe(minter.post(None, title), BASE + "id/post/")


def test_parts_hang_below_their_node_and_take_only_slugs_and_numbers(minter):
    fact, res = _membership_fact()
    node = minter.fact("doc", fact, res)
    assert minter.part(node, "interval", "begin") == URIRef(f"{node}/interval/begin")
    assert minter.part(node, "count", 3) == URIRef(f"{node}/count/3")
    with pytest.raises(RdfError):
        minter.part(node, "a b")
    with pytest.raises(RdfError):
        minter.part(node)
    with pytest.raises(RdfError):
        minter.part(URIRef("http://elsewhere.example/x"), "interval")


# --- base -------------------------------------------------------------------------------------


def test_default_base_and_trailing_slash():
    assert IriMinter().base == DEFAULT_BASE
    assert IriMinter("https://example.org/kg").base == "https://example.org/kg/"
    assert IriMinter("http://localhost:8080/").base == "http://localhost:8080/"


@pytest.mark.parametrize(
    "base",
    [
        "",
        "example.org/kg/",
        "ftp://example.org/",
        "urn:kg:",
        "https:///kg/",
        "https://example.org/kg/?q=1",
        "https://example.org/kg#",
        "https://exa mple.org/",
        'https://example.org/"x"/',
        "https://user@example.org/",
    ],
)
def test_a_base_that_is_not_an_absolute_http_iri_is_refused(base):
    with pytest.raises(RdfError, match="absolute http") as info:
        IriMinter(base)
    assert isinstance(info.value, KgError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "iri", ["https://e.org/a b", 'https://e.org/"', "https://e.org/<x>", "https://e.org/a#b#c"]
)
def test_check_iri_refuses_unsafe_characters(iri):
    with pytest.raises(RdfError):
        check_iri(iri)

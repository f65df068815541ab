import re
from dataclasses import replace
from itertools import count

import pytest

from kg.errors import InputError
from kg.evaluate.gold import (
    FactBody,
    GoldFact,
    MemberCount,
    MemberOf,
    Operation,
    Position,
    Statement,
    TreatyAction,
)
from kg.evaluate.readout import CitedSentence, SystemFact
from kg.evaluate.report import EvaluationReport
from kg.evaluate.score import name_key, names_match, quotes_match, score

SENTENCES = [
    "Freedonia joined the Global Police Network in 1999.",
    "Officials said the network now has 150 members.",
    "Operation Lantern was coordinated by the Eastern Customs Office.",
    "It ended with 212 arrests.",
]
TEXT = " ".join(SENTENCES)
GPN = ("Global Police Network", "GPN")
ECO = ("Eastern Customs Office", "ECO")
_numbers = count()


def gold(fact: FactBody, evidence: str = SENTENCES[0], doc: str = "a") -> GoldFact:
    return GoldFact(doc, fact, evidence, f"gold/{doc}.jsonl:{next(_numbers)}")


def system(fact: FactBody, *sentences: str, doc: str = "a", shift: int = 0) -> SystemFact:
    """A system fact citing ``sentences`` (the first one by default); ``shift`` moves the
    stated offsets, as a reader that kept a header would."""
    cited = tuple(
        CitedSentence(TEXT.index(text) + shift, TEXT.index(text) + len(text) + shift, text)
        for text in sentences or SENTENCES[:1]
    )
    return SystemFact(doc, fact, cited, f"https://example.org/fact/{next(_numbers)}")


def run(gold_facts: list[GoldFact], system_facts: list[SystemFact]) -> EvaluationReport:
    return score({"a": gold_facts}, {"a": system_facts}, {"a": TEXT})


def counts(report: EvaluationReport, family: str) -> tuple[int, int, int, int]:
    found = report.types[family]
    return found.tp, found.fp, found.fn, found.duplicates


def lantern(**changes: object) -> Operation:
    fields: dict = {
        "name": ("Operation Lantern", "Lantern"),
        "coordinators": (ECO,),
        "participants": (("Freedonia",),),
        "participant_count": 12,
        "start": "2023-10-02",
        "end": None,
        "arrests": 212,
    }
    return Operation(**(fields | changes))


# --- names and quotes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("INTERPOL", "Interpol"),
        ("Ana Müller", "Ana Muller"),
        ("Côte d’Ivoire", "Cote d'Ivoire"),
        ("The Sylvanian Parliament", "Sylvanian Parliament"),
        ("the Eastern Customs Office", "THE EASTERN CUSTOMS OFFICE"),
        ("Secretary-General", "Secretary General"),
        ("Hong Kong, China", "Hong Kong China"),
        ("cyber-crime", "Cybercrime"),
        ("U.N.", "UN"),
    ],
)
def test_names_equal_after_folding_case_accents_punctuation_hyphens_and_the(
    left: str, right: str
) -> None:
    assert name_key(left) == name_key(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Theodor Varga", "odor Varga"),
        ("Global Police Network", "Global Police"),
        ("Sylvania", "Sylvanian"),
    ],
)
def test_names_that_differ_in_letters_do_not_match(left: str, right: str) -> None:
    assert name_key(left) != name_key(right)


def test_a_name_matches_when_any_label_equals_any_gold_alternative() -> None:
    assert names_match(GPN, ("Global Police Network, the", "gpn"))
    assert names_match(("Operation Lantern", "Lantern"), ("lantern",))
    assert not names_match(GPN, ("Global Police",))
    assert not names_match(GPN, ())


@pytest.mark.parametrize(
    ("gold_quote", "system_quote", "expected"),
    [
        ("Cooperation across borders", "“Cooperation across borders is vital,” she said", True),
        ("Cooperation across borders is vital, and it works.", "cooperation across borders", True),
        ("Cooperation-across borders", "COOPERATION ACROSS BORDERS!", True),
        ("Cooperation across borders", "Crime knows no borders", False),
        ("Cooperation", "", False),
    ],
)
def test_quotes_match_when_one_contains_the_other_after_normalising(
    gold_quote: str, system_quote: str, expected: bool
) -> None:
    assert quotes_match(gold_quote, system_quote) is expected


# --- claims of each family ----------------------------------------------------------------


def test_member_of_matches_through_any_label_and_checks_since() -> None:
    report = run(
        [gold(MemberOf(("Freedonia",), GPN, "1999"))],
        [system(MemberOf(("Republic of Freedonia", "Freedonia"), ("GPN",), "1999"))],
    )
    assert counts(report, "member_of") == (1, 0, 0, 0)
    assert (report.qualifiers["since"].hits, report.qualifiers["since"].total) == (1, 1)


def test_member_count_needs_the_same_count() -> None:
    report = run(
        [gold(MemberCount(GPN, 150), SENTENCES[1])],
        [system(MemberCount(GPN, 105), SENTENCES[1])],
    )
    assert counts(report, "member_count") == (0, 1, 1, 0)


def test_treaty_action_needs_the_same_action_and_null_dates_agree() -> None:
    parliament, treaty = ("Sylvanian Parliament",), ("Marenberg Convention",)
    report = run(
        [gold(TreatyAction("ratified", parliament, treaty, None))],
        [
            system(TreatyAction("ratified", ("The Sylvanian Parliament",), treaty, None)),
            system(TreatyAction("signed", parliament, treaty, None)),
        ],
    )
    assert counts(report, "treaty_action") == (1, 1, 0, 0)
    assert (report.qualifiers["date"].hits, report.qualifiers["date"].total) == (1, 1)


def test_a_wrong_qualifier_is_counted_and_listed() -> None:
    parliament, treaty = ("Sylvanian Parliament",), ("Marenberg Convention",)
    report = run(
        [gold(TreatyAction("ratified", parliament, treaty, "2023-04-12"))],
        [system(TreatyAction("ratified", parliament, treaty, "2023-04"))],
    )
    assert counts(report, "treaty_action") == (1, 0, 0, 0)
    assert report.qualifier_accuracy.value == 0.0
    [error] = report.qualifier_errors
    assert (error.qualifier, error.gold, error.system) == ("date", "2023-04-12", "2023-04")


def test_position_ignores_the_organisation_only_where_gold_has_none() -> None:
    report = run(
        [
            gold(Position(("Ana Müller",), ("Secretary-General",), None)),
            gold(Position(("Tomas Varga",), ("Chief Inspector",), ECO)),
        ],
        [
            system(Position(("Ana Muller",), ("Secretary General",), GPN)),
            system(Position(("Tomas Varga",), ("Chief Inspector",), None)),
        ],
    )
    assert counts(report, "position") == (1, 1, 1, 0)
    assert report.misses[0].claim.startswith("person=Tomas Varga")


def test_statement_matches_on_speaker_and_contained_quote() -> None:
    report = run(
        [gold(Statement(("Ana Müller",), "Cooperation across borders"))],
        [
            system(Statement(("Ana Muller",), "Cooperation across borders is our answer.")),
            system(Statement(("Tomas Varga",), "Cooperation across borders")),
        ],
    )
    assert counts(report, "statement") == (1, 1, 0, 0)


# --- operations ---------------------------------------------------------------------------


def test_operation_decomposes_into_coordinator_participant_and_figure_claims() -> None:
    report = run([gold(lantern(participant_count=None), SENTENCES[2])], [])
    assert counts(report, "operation") == (0, 0, 3, 0)
    assert sorted(miss.claim.split("; ")[1] for miss in report.misses) == [
        "arrests=212",
        "coordinator=Eastern Customs Office|ECO",
        "participant=Freedonia",
    ]


def test_operation_matched_by_any_name_alternative() -> None:
    report = run(
        [gold(lantern(), SENTENCES[2])],
        [system(lantern(name=("LANTERN",), participants=()), SENTENCES[2])],
    )
    assert counts(report, "operation") == (3, 0, 1, 0)


def test_a_named_gold_operation_is_not_matched_by_coordinators_alone() -> None:
    report = run([gold(lantern(), SENTENCES[2])], [system(lantern(name=()), SENTENCES[2])])
    assert counts(report, "operation") == (0, 4, 4, 0)


def test_an_unnamed_gold_operation_is_matched_by_a_shared_coordinator() -> None:
    unnamed = lantern(name=(), coordinators=(GPN, ECO))
    report = run(
        [gold(unnamed, SENTENCES[2])],
        [
            system(lantern(name=(), coordinators=(("ECO",),)), SENTENCES[2]),
            system(lantern(name=(), coordinators=(("Ruritanian Police",),), arrests=5)),
        ],
    )
    # matched: ECO, Freedonia, 12, 212; missed: GPN; the other operation shares no coordinator
    assert counts(report, "operation") == (4, 4, 1, 0)


def test_coordinators_are_pooled_over_reports_of_the_same_operation_entity() -> None:
    entity = "https://example.org/id/operation/a-40"
    sweep = lantern(name=(), participants=(), participant_count=None, entity=entity)
    report = run(
        [gold(lantern(name=(), participants=(), participant_count=None), SENTENCES[2])],
        [system(replace(sweep, arrests=None)), system(replace(sweep, coordinators=()))],
    )
    assert counts(report, "operation") == (2, 0, 0, 0)


def test_operation_start_and_end_qualify_every_claim_and_null_equals_null() -> None:
    report = run(
        [gold(lantern(participants=(), participant_count=None), SENTENCES[2])],
        [system(lantern(participants=(), participant_count=None, start="2023-10"), SENTENCES[2])],
    )
    assert counts(report, "operation") == (2, 0, 0, 0)
    assert (report.qualifiers["start"].hits, report.qualifiers["start"].total) == (0, 2)
    assert (report.qualifiers["end"].hits, report.qualifiers["end"].total) == (2, 2)


# --- provenance ---------------------------------------------------------------------------


def test_provenance_overlaps_when_a_cited_sentence_meets_the_evidence_range() -> None:
    evidence = SENTENCES[2] + " " + SENTENCES[3]
    report = run(
        [gold(MemberCount(GPN, 150), evidence), gold(MemberCount(GPN, 194), SENTENCES[1])],
        [system(MemberCount(GPN, 150), SENTENCES[3]), system(MemberCount(GPN, 194), SENTENCES[0])],
    )
    assert counts(report, "member_count") == (2, 0, 0, 0)
    assert (report.provenance.hits, report.provenance.total) == (1, 2)


def test_provenance_reanchors_sentences_whose_offsets_point_elsewhere() -> None:
    report = run(
        [gold(MemberCount(GPN, 150), SENTENCES[1])],
        [system(MemberCount(GPN, 150), SENTENCES[1], shift=60)],
    )
    assert report.provenance.value == 1.0


def test_evidence_that_is_not_in_the_article_names_the_gold_line() -> None:
    fact = gold(MemberCount(GPN, 150), "The network has 150 members.")
    with pytest.raises(InputError, match=rf"^{re.escape(fact.location)}: expected the evidence"):
        run([fact], [])


# --- one to one, duplicates, articles -----------------------------------------------------


def test_a_claim_stated_twice_is_one_true_positive_and_one_duplicate() -> None:
    report = run(
        [gold(MemberOf(("Freedonia",), GPN, "1999"))],
        [
            system(MemberOf(("Freedonia",), GPN, None)),
            system(MemberOf(("Freedonia",), ("GPN",), "1999")),
        ],
    )
    assert counts(report, "member_of") == (1, 0, 0, 1)
    assert report.qualifier_accuracy.value == 1.0  # the match prefers the agreeing qualifier
    assert report.false_positives == []


def test_a_wrong_claim_stated_twice_is_one_false_positive_and_one_duplicate() -> None:
    report = run([], [system(MemberCount(GPN, 105)), system(MemberCount(("GPN",), 105))])
    assert counts(report, "member_count") == (0, 1, 0, 1)


def test_each_gold_claim_matches_at_most_one_system_claim() -> None:
    report = run(
        [gold(MemberCount(GPN, 196)), gold(MemberCount(GPN, 196)), gold(MemberCount(GPN, 194))],
        [
            system(MemberCount(GPN, 196)),
            system(MemberCount(GPN, 194)),
            system(MemberCount(GPN, 194)),
        ],
    )
    assert counts(report, "member_count") == (2, 0, 1, 1)


def test_matching_is_maximum_not_greedy() -> None:
    both = gold(MemberOf(("Freedonia", "Sylvania"), GPN))
    only = gold(MemberOf(("Sylvania",), GPN))
    report = run(
        [both, only],
        [system(MemberOf(("Sylvania",), GPN)), system(MemberOf(("Freedonia",), GPN))],
    )
    assert counts(report, "member_of") == (2, 0, 0, 0)


def test_claims_are_compared_within_their_article_only() -> None:
    fact = MemberCount(GPN, 150)
    report = score(
        {"a": [gold(fact, SENTENCES[1])], "b": []},
        {"a": [], "b": [system(fact, SENTENCES[1], doc="b")], "c": [system(fact, doc="c")]},
        {"a": TEXT, "b": TEXT},
    )
    assert counts(report, "member_count") == (0, 1, 1, 0)
    assert sorted(report.articles) == ["a", "b"]
    assert report.false_positives[0].doc_id == "b"


def test_a_gold_article_without_text_is_an_input_error() -> None:
    with pytest.raises(InputError, match="article text of gold document 'a'"):
        score({"a": []}, {}, {})


def test_nothing_to_score_leaves_every_ratio_undefined() -> None:
    report = run([], [])
    assert report.micro.precision is None
    assert report.micro.recall is None
    assert report.micro.f1 is None
    assert report.provenance.value is None
    assert report.qualifier_accuracy.value is None

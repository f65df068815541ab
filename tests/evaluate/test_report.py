import json
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset

from kg.errors import InputError
from kg.evaluate import evaluate
from kg.evaluate.gold import load_gold, read_article
from kg.evaluate.report import (
    Counts,
    EvaluationReport,
    FalsePositive,
    Miss,
    QualifierError,
    Ratio,
)
from kg.evaluate.score import score

FIXTURES = Path(__file__).parents[1] / "fixtures"
CORPUS = Path(__file__).parents[3] / "shared" / "corpus"


@pytest.fixture(scope="module")
def fixture_report() -> EvaluationReport:
    dataset = Dataset()
    dataset.parse(FIXTURES / "eval_graph.trig", format="trig")
    return evaluate(FIXTURES / "eval_corpus", dataset=dataset)


def small_report() -> EvaluationReport:
    report = EvaluationReport()
    report.types["member_of"] = Counts(tp=3, fp=1, fn=2, duplicates=1)
    report.articles["201"] = {"member_of": Counts(tp=3, fp=1, fn=2, duplicates=1)}
    report.qualifiers["since"] = Ratio(hits=2, total=3)
    report.provenance = Ratio(hits=3, total=3)
    report.misses.append(
        Miss("201", "member_of", "member=Ruritania; organisation=GPN", "Ruritania joined.", "g:4")
    )
    report.false_positives.append(
        FalsePositive("201", "member_of", "member=Sylvania", ("Sylvania watched.",), "urn:f:1")
    )
    report.qualifier_errors.append(
        QualifierError("201", "member_of", "member=Freedonia", "since", "1999", None)
    )
    return report


# --- counts and ratios --------------------------------------------------------------------


def test_counts_give_precision_recall_and_f1() -> None:
    counts = Counts(tp=3, fp=1, fn=2)
    assert counts.precision == pytest.approx(0.75)
    assert counts.recall == pytest.approx(0.6)
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_empty_denominators_are_undefined_and_no_hits_is_zero() -> None:
    assert Counts().precision is None
    assert Counts(fn=2).precision is None
    assert Counts(fn=2).recall == 0.0
    assert Counts(fn=2).f1 is None
    assert Counts(fp=1, fn=1).f1 == 0.0
    assert Ratio().value is None


def test_micro_sums_claims_over_types() -> None:
    report = EvaluationReport()
    report.types["member_of"] = Counts(tp=1, fp=0, fn=1)
    report.types["operation"] = Counts(tp=9, fp=1, fn=0)
    assert report.micro.precision == pytest.approx(10 / 11)
    assert report.micro.recall == pytest.approx(10 / 11)


# --- renderings ---------------------------------------------------------------------------


def test_table_columns_are_aligned_and_undefined_scores_read_na() -> None:
    table = small_report().to_table()
    for block in table.split("\n\n"):
        lines = block.splitlines()
        assert len({len(line) for line in lines}) == 1, block
    types = table.split("\n\n")[0].splitlines()
    assert types[2].split() == ["member_of", "3", "1", "2", "1", "0.750", "0.600", "0.667"]
    assert types[3].split()[-3:] == ["n/a", "n/a", "n/a"]  # member_count: nothing either side


def test_json_carries_every_part_with_null_for_undefined() -> None:
    data = json.loads(small_report().to_json())
    assert data["types"]["member_of"]["precision"] == 0.75
    assert data["types"]["statement"]["f1"] is None
    assert data["micro"]["tp"] == 3
    assert data["qualifiers"]["since"] == {"hits": 2, "total": 3, "value": 2 / 3}
    assert data["qualifier_accuracy"]["total"] == 3
    assert data["provenance_overlap"]["value"] == 1.0
    assert data["articles"]["201"]["total"]["fn"] == 2
    assert data["misses"][0]["evidence"] == "Ruritania joined."
    assert data["false_positives"][0]["sentences"] == ["Sylvania watched."]
    assert data["qualifier_errors"][0]["system"] is None


def test_explain_lists_each_miss_with_evidence_and_each_false_positive_with_its_sentence() -> None:
    text = small_report().explain()
    assert 'member=Ruritania; organisation=GPN\n    gold g:4: "Ruritania joined."' in text
    assert 'urn:f:1\n    cited: "Sylvania watched."' in text
    assert "since is null, gold 1999" in text


# --- evaluate -----------------------------------------------------------------------------


def test_evaluate_reads_the_fixture_graph_and_scores_it_against_the_fixture_gold(
    fixture_report: EvaluationReport,
) -> None:
    found = {family: (c.tp, c.fp, c.fn, c.duplicates) for family, c in fixture_report.types.items()}
    assert found == {
        "member_of": (1, 0, 0, 1),
        "member_count": (1, 1, 0, 0),
        "treaty_action": (1, 0, 0, 0),
        "operation": (8, 1, 2, 0),
        "position": (2, 0, 0, 0),
        "statement": (1, 1, 0, 0),
    }
    assert sorted(fixture_report.articles) == ["101", "102"]  # 103 has no gold


def test_evaluate_checks_qualifiers_and_provenance_of_the_fixture(
    fixture_report: EvaluationReport,
) -> None:
    qualifiers = {name: (r.hits, r.total) for name, r in fixture_report.qualifiers.items()}
    assert qualifiers == {"since": (1, 1), "date": (0, 1), "start": (8, 8), "end": (2, 8)}
    assert (fixture_report.provenance.hits, fixture_report.provenance.total) == (13, 14)


def test_evaluate_lists_the_fixture_misses_and_false_positives(
    fixture_report: EvaluationReport,
) -> None:
    misses = sorted(miss.claim.split("; ")[1] for miss in fixture_report.misses)
    assert misses == ["arrests=40", "participant=Ruritania"]
    wrong = sorted(fp.claim.split("; ")[1] for fp in fixture_report.false_positives)
    assert wrong == ["arrests=41", "count=105", "quote=“led the sweep”"]


@pytest.mark.parametrize("missing", ["articles", "gold"])
def test_a_corpus_without_articles_or_gold_names_what_is_missing(
    tmp_path: Path, missing: str
) -> None:
    shutil.copytree(FIXTURES / "eval_corpus", tmp_path, dirs_exist_ok=True)
    shutil.rmtree(tmp_path / missing)
    with pytest.raises(InputError, match=f"lacks {missing}/"):
        evaluate(tmp_path, dataset=Dataset())


def test_gold_without_its_article_is_an_input_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "eval_corpus", tmp_path, dirs_exist_ok=True)
    (tmp_path / "articles" / "102.txt").unlink()
    with pytest.raises(InputError, match=r"102\.txt for gold/102\.jsonl"):
        evaluate(tmp_path, dataset=Dataset())


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "gold").is_dir(), reason="needs ../shared/corpus")
def test_evaluate_builds_the_shared_corpus_and_accounts_for_every_gold_claim() -> None:
    gold = load_gold(CORPUS / "gold")
    texts = {doc: read_article(CORPUS / "articles" / f"{doc}.txt") for doc in gold}
    claims = score(gold, {}, texts).micro.fn
    report = evaluate(CORPUS)
    assert report.micro.tp + report.micro.fn == claims
    assert report.micro.tp > 0

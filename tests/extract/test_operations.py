"""Operation frames assembled from evidence spread over sentences (hand-built Docs)."""

from __future__ import annotations

from kg.extract.operations import name_key, same_operation
from kg.records import OperationReport


def reports(result):
    return [f.claim for f in result.facts if isinstance(f.claim, OperationReport)]


def test_named_operation_gathers_coordinators_counts_and_period(extract):
    result = extract(
        "[Operation Kestrel](OPERATION) ( [3 March - 9 April](DATE) ) was coordinated by "
        "[Europol](ORG#europol) and [Interpol](ORG#interpol) .\n"
        "Police in [Chad](GPE#country:TD) and [Togo](GPE#country:TG) arrested [212](CARDINAL) "
        "suspects .\n"
        "Officers across [31](CARDINAL) countries dismantled [1,204](CARDINAL) illegal websites .",
        date="2024-05-02",
    )
    (report,) = reports(result)
    assert report.name == "Operation Kestrel"
    assert [m.key for m in report.coordinators] == ["europol", "interpol"]
    assert (report.start, report.end) == ("2024-03-03", "2024-04-09")
    assert (report.arrests, report.participant_count) == (212, 31)
    assert [(c.what, c.value) for c in report.counts] == [("illegal websites dismantled", 1204)]


def test_unnamed_operation_takes_the_name_given_next(extract):
    result = extract(
        "A joint operation by [Afripol](ORG#afripol) arrested [40](CARDINAL) suspects .\n"
        "[Operation Dune](OPERATION) ran for a month ."
    )
    (report,) = reports(result)
    assert report.name == "Operation Dune"
    assert report.arrests == 40


def test_exact_figure_beats_earlier_approximate_one(extract):
    result = extract(
        "Raids led by [Interpol](ORG#interpol) saw over [280](CARDINAL) suspects arrested .\n"
        "The operation led to the arrest of [286](CARDINAL) suspects ."
    )
    (report,) = reports(result)
    assert report.arrests == 286


def test_two_differently_named_operations_stay_apart(extract):
    result = extract(
        "[Operation Kestrel](OPERATION) was coordinated by [Europol](ORG#europol) .\n"
        "[Operation Heron](OPERATION) was coordinated by [Interpol](ORG#interpol) ."
    )
    got = sorted((r.name, r.coordinators[0].key) for r in reports(result))
    assert got == [("Operation Heron", "interpol"), ("Operation Kestrel", "europol")]


def test_sentence_without_operation_yields_no_report(extract):
    result = extract(
        "[Interpol](ORG#interpol) trained [300](CARDINAL) officers in [Chad](GPE#country:TD) ."
    )
    assert reports(result) == []


def test_operation_names_compare_without_the_word_operation():
    assert name_key("OPERATION SERENGETI") == name_key("Serengeti") == "serengeti"
    assert same_operation("Operation First Light 2024", "First Light")
    assert not same_operation("Operation Kestrel", "Operation Heron")


def test_bracketed_acronym_joins_the_words_whose_initials_it_spells(extract):
    result = extract(
        "[Operation Kestrel](OPERATION) was coordinated by the [Permanent Forum of "
        "International Pharmaceutical](ORG) crime ( PFIPC ) and [Europol](ORG#europol) ."
    )
    (report,) = reports(result)
    names = [m.text for m in report.coordinators]
    assert names == ["Permanent Forum of International Pharmaceutical crime", "Europol"]
    assert any(b.text == "PFIPC" for _, b in result.aliases)

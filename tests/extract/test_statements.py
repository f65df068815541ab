"""Quotations and their speakers (hand-built Docs)."""

from __future__ import annotations

from kg.extract.statements import find_quotes
from kg.records import Statement


def statements(result):
    return [
        (f.claim.speaker.text, f.claim.quote)
        for f in result.facts
        if isinstance(f.claim, Statement)
    ]


def test_speaker_before_quote(extract):
    result = extract("[Ana Ruiz](PERSON) said , “ We will not stop until they are caught . ”")
    assert statements(result) == [("Ana Ruiz", "We will not stop until they are caught .")]


def test_speaker_after_quote_with_pronoun(extract):
    result = extract(
        "[Ana Ruiz](PERSON) spoke first .\n“ This was a long investigation , ” she added ."
    )
    assert statements(result) == [("Ana Ruiz", "This was a long investigation")]


def test_speaker_after_quote_verb_first(extract):
    result = extract("“ Borders mean little to these gangs , ” said [Ana Ruiz](PERSON) .")
    assert statements(result)[0][0] == "Ana Ruiz"


def test_quote_without_speaker_is_ignored(extract):
    result = extract("The report called it “ a turning point for the region ” .")
    assert statements(result) == []


def test_short_scare_quotes_are_not_statements(extract):
    result = extract("[Ana Ruiz](PERSON) said the “ largest ” raid ended .")
    assert statements(result) == []


def test_quote_running_over_paragraphs_is_one_run():
    text = "She said:\n“First part of it.\n“Second part.”\nAfter."
    runs = list(find_quotes(text))
    assert len(runs) == 1
    assert [text[q.start : q.end] for q in runs[0]] == ["First part of it.", "Second part."]


def test_closed_quotes_in_two_paragraphs_are_two_runs():
    text = "“One thing.” he said.\n“Another thing.” she said."
    assert len(list(find_quotes(text))) == 2

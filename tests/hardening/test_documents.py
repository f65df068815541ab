"""Rows B1-B14 of RELIABILITY.md: hostile documents and corpora at the ingest boundary."""

from __future__ import annotations

import codecs
import gzip
import json
import time
import tracemalloc
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDFS, SKOS

from kg.errors import DecodingError, EmptyInputError, InputError, UnsupportedFormatError
from kg.iri import DEFAULT_BASE, IriMinter, slug
from kg.records import Entity, EntityKind
from kg.sources import MAX_DOCUMENT_CHARS, MAX_JSONL_LINE_BYTES, read_documents
from kg.text import MAX_COMBINING_RUN, clean_text
from tests.hardening.helpers import (
    assert_exports_parse,
    assert_rdf_round_trips,
    build,
    canonical_hash,
    write_jsonl,
)

GOOD = "Veldoria joined INTERPOL on 3 May 2021, the organisation said in Lyon."
# B7: the adversarial strings of the row, each a whole document.
ADVERSARIAL = {
    "bangs": "Some word" + "!" * 100_000,
    "parentheses": "(" * 8000 + "x" + ")" * 8000,
    "snowmen": "http://www.example.com/" + "\u2603" * 13_200,
    "numbers": ".".join(str(n) for n in range(400)),
    "quotes": '"' * 8000,
}
DOCUMENT_BUDGET = 2.0  # seconds here; the target is 1 s (benchmarks/hardening_adversarial.py)


def _read(path: Path) -> tuple[list, list[tuple[str, InputError]]]:
    errors: list[tuple[str, InputError]] = []
    documents = list(read_documents([path], on_error=lambda p, e: errors.append((p, e))))
    return documents, errors


def _labels(dataset) -> list[str]:
    return [
        str(o)
        for p in (SKOS.prefLabel, SKOS.altLabel, RDFS.label)
        for _, _, o, _ in dataset.quads((None, p, None, None))
    ]


@pytest.mark.model
def test_b1_empty_documents_are_skipped_as_empty(tmp_path: Path, real_pipeline) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n  ")
    (tmp_path / "good.txt").write_text(GOOD)
    lines = [{"id": "e1", "text": ""}, {"id": "e2", "text": None}, {"id": "e3", "text": "\u200b"}]
    (tmp_path / "records.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n")
    dataset, report = build([tmp_path])
    assert report.documents == 1
    assert [kind for _, kind in report.skipped] == ["EmptyInputError"] * 5
    assert all("empty document" in reason for reason, _ in report.skipped)
    iris = {str(t) for q in dataset.quads() for t in q if isinstance(t, URIRef)}
    assert not any(iri.endswith("/") for iri in iris)
    with pytest.raises(EmptyInputError):
        build([tmp_path], strict=True)


def test_b2_latin1_bytes_fail_with_the_byte_offset(tmp_path: Path) -> None:
    (tmp_path / "cafe.txt").write_bytes("Le caf\xe9 \x93quoted\x94".encode("latin-1"))
    documents, errors = _read(tmp_path)
    assert documents == []
    assert isinstance(errors[0][1], DecodingError)
    assert "not valid UTF-8 at byte 6" in str(errors[0][1])


def test_b3_boms_are_stripped_utf16_decoded_and_line_endings_normalised(tmp_path: Path) -> None:
    body = "Veldoria joined INTERPOL.\r\nIt said so.\rThen it left."
    (tmp_path / "a.txt").write_bytes(codecs.BOM_UTF8 + body.encode())
    (tmp_path / "b.txt").write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))
    documents, errors = _read(tmp_path)
    assert errors == []
    expected = "Veldoria joined INTERPOL.\nIt said so.\nThen it left."
    assert [d.text for d in documents] == [expected, expected]


def test_b4_lone_surrogates_become_replacement_characters_before_spacy(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text('{"id": "s", "text": "Velda\\ud800ria joined"}\n')
    documents, _ = _read(tmp_path)
    assert documents[0].text == "Velda\ufffdria joined"
    documents[0].text.encode("utf-8")  # strict: no surrogate left


@pytest.mark.model
def test_b5_controls_and_bidi_are_stripped_and_exports_reparse(
    tmp_path: Path, real_pipeline
) -> None:
    text = "Vel\x00do\x07ria joined INTER\u202ePOL\u200d on 3 May 2021.\u2028\x1b[1mEu\u200bropol."
    source = write_jsonl(tmp_path / "c.jsonl", [text])
    dataset, _ = build([source])
    labels = _labels(dataset)
    assert {"INTERPOL", "Veldoria"} <= set(labels)
    assert not any(set(label) & set("\x00\x07\x1b\u202e\u200d\u200b\u2028") for label in labels)
    assert_rdf_round_trips(dataset, tmp_path)
    assert_exports_parse(dataset, tmp_path)


@pytest.mark.parametrize("size", [MAX_DOCUMENT_CHARS + 1, 5_000_000])
def test_b6_documents_over_spacy_max_length_are_rejected_citing_e088(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "long.txt"
    path.write_text(("Veldoria joined INTERPOL. " * (size // 26 + 1))[:size])
    tracemalloc.start()
    try:
        documents, errors = _read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert documents == []
    assert "document too long" in str(errors[0][1]) and "E088" in str(errors[0][1])
    assert peak < 20 * size  # a few copies of the text, never a parse


@pytest.mark.model
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_b7_punctuation_runs_finish_within_budget(tmp_path: Path, real_pipeline, name) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", [ADVERSARIAL[name]])
    started = time.perf_counter()
    _, report = build([source])
    assert time.perf_counter() - started < DOCUMENT_BUDGET
    assert report.documents == 1


@pytest.mark.model
def test_b8_a_huge_token_gives_no_iri_or_label_over_the_caps(tmp_path: Path, real_pipeline) -> None:
    source = write_jsonl(
        tmp_path / "t.jsonl", [GOOD + " Veldoria " + "Q" * 400_000 + " joined INTERPOL."]
    )
    dataset, _ = build([source])
    iris = {str(t) for q in dataset.quads() for t in q if isinstance(t, URIRef)}
    assert max(map(len, iris)) < len(DEFAULT_BASE) + 200
    assert 0 < max(map(len, _labels(dataset))) <= 1000


@pytest.mark.model
def test_b8_a_10000_character_entity_is_read_in_bounded_time(tmp_path: Path, real_pipeline) -> None:
    text = "Interpol said " + "Acme " * 2000 + "Corp joined INTERPOL. " + GOOD
    source = write_jsonl(tmp_path / "e.jsonl", [text])
    started = time.perf_counter()
    dataset, report = build([source])
    assert time.perf_counter() - started < 5 * DOCUMENT_BUDGET  # 50 s before sentence capping
    assert report.facts["member_of"] == 1
    assert 0 < max(map(len, _labels(dataset))) <= 1000


def test_b8_long_entity_names_are_capped_and_stay_distinct() -> None:
    minter = IriMinter()
    long_a = Entity("org:" + "acme " * 2000 + "a", EntityKind.ORGANISATION, "Acme " * 2000)
    long_b = Entity("org:" + "acme " * 2000 + "b", EntityKind.ORGANISATION, "Acme " * 2000)
    iri_a, iri_b = minter.entity(long_a), minter.entity(long_b)
    assert iri_a != iri_b
    assert max(len(iri_a), len(iri_b)) <= len(DEFAULT_BASE) + len("id/org/") + 120


def test_b9_zalgo_is_capped_and_normal_forms_share_an_iri() -> None:
    assert clean_text("q" + "\u0335" * 50_000) == "q" + "\u0335" * MAX_COMBINING_RUN
    nfc, nfd = "C\u00f4te d'Ivoire", "Co\u0302te d'Ivoire"
    assert clean_text(nfd) == nfc
    # Policy: labels keep case and width as written (NFC only); IRIs fold both.
    full_width = "\uff29\uff2e\uff34\uff25\uff32\uff30\uff2f\uff2c"
    assert clean_text(full_width) == full_width
    assert slug(full_width) == slug("INTERPOL") == "interpol"
    minter = IriMinter()
    kinds = EntityKind.COUNTRY
    assert minter.entity(Entity(nfc, kinds, nfc)) == minter.entity(
        Entity(clean_text(nfd), kinds, nfd)
    )


def test_b10_html_text_is_visible_text_decoded_once(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="latin-1"><title>T</title><style>p{}</style>'
        "<script>var s = 'secret';</script></head><body><!-- hidden -->"
        "<noscript>no js</noscript><p>Veldoria &amp;lt;joined&amp;gt; INTERPOL &eacute;.</p>"
        "<script>alert(1)</script></body></html>"
    )
    (tmp_path / "p.html").write_text(page)
    documents, _ = _read(tmp_path)
    assert documents[0].text == "Veldoria &lt;joined&gt; INTERPOL \u00e9."
    assert documents[0].title == "T"


def test_b11_xml_entities_in_html_are_never_resolved(tmp_path: Path, no_outbound_io) -> None:
    page = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">'
        f'<!ENTITY y SYSTEM "{no_outbound_io.url}dtd">]><p>Veldoria &x;&y; joined.</p>'
    )
    (tmp_path / "x.html").write_text(page)
    documents, errors = _read(tmp_path)
    assert errors == []
    assert "root:" not in documents[0].text
    assert "Veldoria" in documents[0].text


def test_b12_bad_jsonl_lines_fail_alone_with_their_line_number(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok1", "text": GOOD}),
        "",
        "[1, 2]",
        json.dumps({"id": "nokey"}),
        '{"id": "dup", "text": "a", "text": "b"}',
        '{"id": "nan", "text": NaN}',
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"id": "ok2", "text": GOOD}),
        '{"id": "cut", "text": "Veld',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines))
    documents, errors = _read(path)
    assert [d.id for d in documents] == ["ok1", "ok2"]
    messages = [str(e) for _, e in errors]
    assert [m.split(": ")[0].rsplit(":", 1)[1] for m in messages] == ["3", "4", "5", "6", "7", "9"]
    assert "nested too deeply" in messages[4]
    assert "truncated last line" in messages[5]


def test_b13_compressed_inputs_are_refused_and_huge_lines_capped(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"0" * 10_000_000))
    with pytest.raises(UnsupportedFormatError, match="unsupported file type"):
        list(read_documents([bomb]))
    assert _read(tmp_path) == ([], [])  # in a folder a .gz is not an input at all
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        handle.write(b'{"id": "big", "text": "' + b"a" * (MAX_JSONL_LINE_BYTES + 10) + b'"}\n')
        handle.write(json.dumps({"id": "ok", "text": GOOD}).encode() + b"\n")
    tracemalloc.start()
    try:
        documents, errors = _read(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.id for d in documents] == ["ok"]
    assert "line longer than" in str(errors[0][1])
    assert peak < 3 * MAX_JSONL_LINE_BYTES


@pytest.mark.model
def test_b14_the_same_article_twice_changes_nothing(tmp_path: Path, real_pipeline) -> None:
    once = write_jsonl(tmp_path / "once.jsonl", [GOOD], ["a"])
    (tmp_path / "twice").mkdir()
    write_jsonl(tmp_path / "twice" / "1.jsonl", [GOOD], ["a"])
    write_jsonl(tmp_path / "twice" / "2.jsonl", [GOOD], ["a"])
    first, _ = build([once])
    second, report = build([tmp_path / "twice"])
    assert canonical_hash(second) == canonical_hash(first)
    assert len(report.skipped) == 1 and "duplicate document id 'a'" in report.skipped[0][0]
    # The same text under another id is another document citing the same entities.
    copy = write_jsonl(tmp_path / "copy.jsonl", [GOOD, GOOD], ["a", "copy-of-a"])
    both, _ = build([copy])
    entities = {s for s in both.subjects(SKOS.prefLabel, None)}
    assert entities == {s for s in first.subjects(SKOS.prefLabel, None)}
    assert len(list(both.quads())) == 2 * len(list(first.quads()))

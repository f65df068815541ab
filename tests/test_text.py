import sys
import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.text import MAX_COMBINING_RUN, MAX_REPEAT, MAX_RUN, _combining_runs, clean_label, clean_text


def test_plain_text_is_unchanged() -> None:
    text = "Police in Ghana arrested 12 people.\n\tThe operation ran for two months."
    assert clean_text(text) == text


def test_lone_surrogates_become_replacement_characters() -> None:
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"


def test_nfc_makes_decomposed_and_composed_forms_equal() -> None:
    assert clean_text("Cafe\u0301") == clean_text("Caf\u00e9") == "Caf\u00e9"


def test_nfc_runs_after_removing_zero_width_between_letter_and_mark() -> None:
    assert clean_text("e\u200b\u0301") == "\u00e9"


def test_byte_order_marks_are_removed_anywhere() -> None:
    assert clean_text("\ufeffInterpol\ufeff said") == "Interpol said"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\r\n\r\nb", "a\n\nb"),
        ("a\n\rb", "a\n\nb"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("end.\x0cNext\x0bpage\x85here", "end.\nNext\npage\nhere"),
    ],
)
def test_line_breaks_become_newlines(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_control_characters_are_removed_except_newline_and_tab() -> None:
    raw = "a\x00b\x07c\x1b[31md\x7fe\x80f\x9fg\th\ni"
    assert clean_text(raw) == "abc[31mdefg\th\ni"


@pytest.mark.parametrize(
    "invisible",
    list(
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u200b\u200c\u200d\u2060"
    ),
)
def test_bidi_controls_and_zero_width_characters_are_removed(invisible: str) -> None:
    assert clean_text(f"Euro{invisible}pol") == "Europol"


def test_combining_mark_runs_are_capped() -> None:
    cleaned = clean_text("Z" + "\u0336\u0334" * 25_000 + "algo")
    assert cleaned == "Z" + "\u0336\u0334" * (MAX_COMBINING_RUN // 2) + "algo"


def test_short_combining_runs_are_kept() -> None:
    text = "a" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308"
    assert clean_text(text) == unicodedata.normalize("NFC", text)


def test_astral_combining_marks_are_capped_too() -> None:
    mark = "\U0001d165"  # MUSICAL SYMBOL COMBINING STEM
    assert clean_text("x" + mark * 20 + "\U0001f600") == "x" + mark * 8 + "\U0001f600"


def test_combining_marks_outside_the_scanned_blocks_do_not_exist() -> None:
    scanned = {c for c in range(sys.maxunicode + 1) if c < 0x20000 or 0xE0000 <= c < 0xE1000}
    outside = [
        c
        for c in range(sys.maxunicode + 1)
        if c not in scanned and unicodedata.category(chr(c)).startswith("M")
    ]
    assert outside == []


def test_combining_pattern_covers_every_mark_in_the_bmp() -> None:
    pattern = _combining_runs(False)
    for code in (0x0300, 0x0483, 0x0591, 0x0E31, 0x20D0, 0xFE20):
        assert pattern.fullmatch(chr(code) * 9), hex(code)


def test_long_whitespace_free_runs_are_split_every_max_run_characters() -> None:
    cleaned = clean_text("Wow" + "!?" * 225 + " done")
    parts = cleaned.split(" ")
    assert [len(p) for p in parts] == [MAX_RUN, MAX_RUN, 53, 4]
    assert "".join(parts[:-1]) == "Wow" + "!?" * 225


def test_runs_of_one_punctuation_mark_are_capped_at_max_repeat() -> None:
    assert clean_text("Wow" + "!" * 450 + " (" * 3 + "ok" + "." * MAX_REPEAT) == (
        "Wow" + "!" * MAX_REPEAT + " ( ( (ok" + "." * MAX_REPEAT
    )


def test_run_of_exactly_max_run_characters_is_not_split() -> None:
    assert clean_text("x" * MAX_RUN) == "x" * MAX_RUN


def test_pathological_punctuation_is_cleaned_fast() -> None:
    start = time.perf_counter()
    for text in ("(" * 8000 + "x" + ")" * 8000, "!" * 100_000, '"' * 8000):
        assert max(len(part) for part in clean_text(text).split()) <= 2 * MAX_REPEAT + 1
    assert time.perf_counter() - start < 1.0


# Text rich in what the cleaner acts on: marks, invisibles, line breaks, long runs.
_TRICKY = st.text(
    alphabet=st.sampled_from(
        list("ae! \n\r\t\u0301\u0336\u0327\u200b\u202e\x00\ud800\u1100\u1161")
    ),
    max_size=700,
)


@given(st.text() | _TRICKY)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(st.text() | _TRICKY)
def test_clean_text_output_has_no_forbidden_characters(text: str) -> None:
    cleaned = clean_text(text)
    for char in cleaned:
        assert not 0xD800 <= ord(char) <= 0xDFFF
        assert char in "\n\t" or unicodedata.category(char) != "Cc"
        assert char not in "\ufeff\u200b\u200c\u200d\u200e\u200f\u2060\u2028\u2029\r"
        assert not 0x202A <= ord(char) <= 0x202E
        assert not 0x2066 <= ord(char) <= 0x2069
    assert unicodedata.is_normalized("NFC", cleaned)


def test_clean_label_collapses_whitespace_and_strips() -> None:
    assert clean_label("  United\n Nations \t Office\r\n") == "United Nations Office"


def test_clean_label_cleans_like_clean_text() -> None:
    assert clean_label("\u202eInter\u200bpol\x00") == "Interpol"


def test_clean_label_truncates_with_an_ellipsis() -> None:
    label = clean_label("a" * 1500)
    assert len(label) == 1000
    assert label.endswith("…")


def test_clean_label_keeps_labels_at_max_len() -> None:
    assert clean_label("abcde", max_len=5) == "abcde"
    assert clean_label("abcdef", max_len=5) == "abcd…"


def test_clean_label_does_not_end_in_a_space_before_the_ellipsis() -> None:
    assert clean_label("abc defgh", max_len=5) == "abc…"


def test_clean_label_rejects_a_max_len_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        clean_label("x", max_len=0)

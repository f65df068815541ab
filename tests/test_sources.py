import codecs
import inspect
import io
import json
import time
from pathlib import Path

import pytest

from kg.errors import DecodingError, EmptyInputError, InputError, UnsupportedFormatError
from kg.records import Document
from kg.sources import (
    MAX_JSONL_LINE_BYTES,
    SUPPORTED_EXTENSIONS,
    count_inputs,
    parse_header_date,
    read_documents,
)

BODY = "Police in Freedonia arrested 12 suspects.\nThe operation lasted two weeks."


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def read_one(path: Path) -> Document:
    [document] = read_documents([path])
    return document


def read_with_errors(inputs: list[str | Path]) -> tuple[list[Document], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    documents = list(
        read_documents(inputs, on_error=lambda path, exc: errors.append((path, str(exc))))
    )
    return documents, errors


# ------------------------------------------------------------------------------ decoding


def test_utf8_bom_is_stripped_before_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", codecs.BOM_UTF8 + f"title: T\n\n{BODY}".encode())
    document = read_one(path)
    assert document.title == "T"
    assert document.text == BODY


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    path = write(tmp_path, "a.txt", bom + f"Caf\u00e9 {BODY}".encode(codec))
    assert read_one(path).text == f"Caf\u00e9 {BODY}"


def test_invalid_utf16_reports_the_byte_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"x")
    with pytest.raises(DecodingError, match=r"a\.txt: not valid UTF-16 at byte 6"):
        read_one(path)


def test_cp1252_bytes_report_the_byte_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"The caf\xe9 said \x93yes\x94.")
    with pytest.raises(DecodingError) as caught:
        read_one(path)
    assert str(caught.value) == f"{path}: not valid UTF-8 at byte 7; re-save the file as UTF-8"


def test_byte_offset_counts_a_stripped_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", codecs.BOM_UTF8 + b"caf\xe9")
    with pytest.raises(DecodingError, match="at byte 6;"):
        read_one(path)


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DecodingError) as caught:
        read_one(path)
    assert str(caught.value) == f"{path}: looks like a binary file, not text"


def test_nul_after_the_sniffed_prefix_is_removed_by_cleaning(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"x" * 9000 + b" a\x00b")
    assert read_one(path).text.endswith(" ab")


def test_text_is_cleaned(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Inter\u200bpol\r\nsaid \u202eno\x07.\r")
    assert read_one(path).text == "Interpol\nsaid no."


@pytest.mark.parametrize(
    "content", ["", "   \n\t\n  ", "\u200b\u200b", "title: Only a header\n\n  \n"]
)
def test_empty_documents_are_errors(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "a.txt", content)
    with pytest.raises(EmptyInputError) as caught:
        read_one(path)
    assert str(caught.value) == f"{path}: empty document"


# -------------------------------------------------------------------------------- inputs


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as caught:
        list(read_documents([missing]))
    assert str(caught.value) == f"no such file or directory: {missing}"


def test_every_input_is_checked_before_the_first_document(tmp_path: Path) -> None:
    good = write(tmp_path, "good.txt", BODY)
    documents = read_documents([good, tmp_path / "missing.txt"])
    with pytest.raises(InputError, match="no such file"):
        next(documents)


def test_missing_path_raises_even_with_on_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_with_errors([tmp_path / "missing"])


@pytest.mark.parametrize(("name", "found"), [("a.pdf", "'.pdf'"), ("README", "no extension")])
def test_named_file_with_unsupported_extension_is_rejected(
    tmp_path: Path, name: str, found: str
) -> None:
    path = write(tmp_path, name, BODY)
    with pytest.raises(UnsupportedFormatError) as caught:
        list(read_documents([path]))
    message = str(caught.value)
    assert found in message
    assert all(extension in message for extension in SUPPORTED_EXTENSIONS)


def test_extensions_are_case_insensitive(tmp_path: Path) -> None:
    assert read_one(write(tmp_path, "Loud.TXT", BODY)).id == "Loud"


def test_read_documents_is_a_lazy_generator(tmp_path: Path) -> None:
    documents = read_documents([write(tmp_path, "a.txt", b"\xff")])
    assert inspect.isgenerator(documents)
    with pytest.raises(DecodingError):
        next(documents)


def test_file_argument_id_is_its_stem(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "deep/er/report.v2.txt", BODY))
    assert document.id == "report.v2"
    assert document.path == str(tmp_path / "deep/er/report.v2.txt")


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for name in ["b.txt", "a/z.md", "a/b/c.html", "a.txt", "c.jsonl", "a/0.htm", "b/x.markdown"]:
        content = json.dumps({"text": BODY}) if name.endswith(".jsonl") else BODY
        write(corpus, name, content)
    ids = [document.id for document in read_documents([corpus])]
    assert ids == ["a/0", "a/b/c", "a/z", "a", "b/x", "b", "c/1"]


def test_directory_skips_hidden_and_unsupported_files(tmp_path: Path) -> None:
    write(tmp_path, "kept.txt", BODY)
    write(tmp_path, ".hidden.txt", BODY)
    write(tmp_path, ".git/objects.txt", BODY)
    write(tmp_path, "notes.pdf", b"%PDF\x00")
    write(tmp_path, "data.json", "{}")
    assert [document.id for document in read_documents([tmp_path])] == ["kept"]


def test_hidden_file_named_explicitly_is_read(tmp_path: Path) -> None:
    assert read_one(write(tmp_path, ".draft.txt", BODY)).id == ".draft"


def test_symlinked_folder_loop_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "corpus/a.txt", BODY)
    (tmp_path / "corpus/loop").symlink_to(tmp_path / "corpus")
    assert [document.id for document in read_documents([tmp_path / "corpus"])] == ["a"]


def test_duplicate_ids_name_both_paths(tmp_path: Path) -> None:
    first = write(tmp_path, "one/report.txt", BODY)
    second = write(tmp_path, "two/report.md", BODY)
    with pytest.raises(InputError) as caught:
        list(read_documents([tmp_path / "one", tmp_path / "two"]))
    assert str(caught.value) == f"duplicate document id 'report': {first} and {second}"


def test_duplicate_id_goes_to_on_error_and_the_first_document_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", BODY)
    documents, errors = read_with_errors([path, path])
    assert [document.id for document in documents] == ["a"]
    assert errors == [(str(path), f"duplicate document id 'a': {path} and {path}")]


def test_jsonl_id_colliding_with_a_file_id_names_the_line(tmp_path: Path) -> None:
    text_file = write(tmp_path, "x.txt", BODY)
    jsonl = write(tmp_path, "y.jsonl", "\n" + json.dumps({"id": "x", "text": BODY}) + "\n")
    with pytest.raises(InputError) as caught:
        list(read_documents([text_file, jsonl]))
    assert str(caught.value) == f"duplicate document id 'x': {text_file} and {jsonl}:2"


def test_on_error_collects_per_document_errors_and_reading_continues(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", BODY)
    bad = write(tmp_path, "b.txt", b"caf\xe9")
    empty = write(tmp_path, "c.txt", "")
    write(tmp_path, "d.txt", BODY)
    documents, errors = read_with_errors([tmp_path])
    assert [document.id for document in documents] == ["a", "d"]
    assert [path for path, _ in errors] == [str(bad), str(empty)]


def test_without_on_error_the_first_bad_document_raises(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", BODY)
    write(tmp_path, "b.txt", "")
    documents = read_documents([tmp_path])
    assert next(documents).id == "a"
    with pytest.raises(EmptyInputError):
        next(documents)


def test_count_inputs_counts_files(tmp_path: Path) -> None:
    write(tmp_path, "corpus/a.txt", BODY)
    write(tmp_path, "corpus/sub/b.jsonl", jsonl('{"text": "x"}', '{"text": "y"}'))
    write(tmp_path, "corpus/.hidden.txt", BODY)
    write(tmp_path, "corpus/skip.pdf", BODY)
    single = write(tmp_path, "single.md", BODY)
    assert count_inputs([tmp_path / "corpus", single]) == 3


def test_count_inputs_is_none_with_stdin(tmp_path: Path) -> None:
    assert count_inputs([write(tmp_path, "a.txt", BODY), "-"]) is None


def test_count_inputs_rejects_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        count_inputs([tmp_path / "missing"])


# --------------------------------------------------------------------------------- stdin


def test_stdin_text_is_read_as_txt_with_id_stdin() -> None:
    stream = io.StringIO(f"date: 24 November 2022\n\n{BODY}\n")
    [document] = read_documents(["-"], stdin=stream)
    assert (document.id, document.date, document.text, document.path) == (
        "stdin",
        "2022-11-24",
        BODY,
        None,
    )


def test_stdin_text_with_a_bom_still_has_its_header() -> None:
    [document] = read_documents(["-"], stdin=io.StringIO(f"\ufefftitle: T\n\n{BODY}"))
    assert (document.title, document.text) == ("T", BODY)


def test_stdin_bytes_are_decoded_like_files() -> None:
    stream = io.BytesIO(codecs.BOM_UTF16_LE + BODY.encode("utf-16-le"))
    [document] = read_documents(["-"], stdin=stream)
    assert document.text == BODY


def test_stdin_with_a_buffer_reports_invalid_utf8_offsets() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"abc\xe9"), encoding="utf-8")
    with pytest.raises(DecodingError, match=r"<stdin>: not valid UTF-8 at byte 3"):
        list(read_documents(["-"], stdin=stream))


def test_stdin_defaults_to_sys_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(BODY))
    assert [document.text for document in read_documents(["-"])] == [BODY]


def test_empty_stdin_goes_to_on_error_as_stdin() -> None:
    errors: list[str] = []
    documents = read_documents(
        ["-"], stdin=io.StringIO(" \n"), on_error=lambda path, _: errors.append(path)
    )
    assert list(documents) == []
    assert errors == ["<stdin>"]


def test_stdin_named_twice_is_rejected() -> None:
    with pytest.raises(InputError, match="more than once"):
        list(read_documents(["-", "-"], stdin=io.StringIO(BODY)))


# ------------------------------------------------------------------------------- headers


def test_txt_header_fills_metadata_and_stays_out_of_text(tmp_path: Path) -> None:
    content = (
        "Source: https://news.example.org/a\nTITLE:   Police  arrest 12 \n"
        "date: 2024-11-26/27\n\n\n" + BODY + "\n\n"
    )
    document = read_one(write(tmp_path, "a.txt", content))
    assert document.source == "https://news.example.org/a"
    assert document.title == "Police arrest 12"
    assert document.date == "2024-11-26"
    assert document.text == BODY


def test_txt_header_with_crlf_line_endings(tmp_path: Path) -> None:
    content = f"date: 2024-06-20\ntitle: T\n\n{BODY}".replace("\n", "\r\n")
    document = read_one(write(tmp_path, "a.txt", content))
    assert (document.title, document.date, document.text) == ("T", "2024-06-20", BODY)


def test_text_without_a_header_key_on_the_first_line_is_all_body(tmp_path: Path) -> None:
    content = f"Crime Reporter\ntitle: not a header here\n\n{BODY}"
    document = read_one(write(tmp_path, "a.txt", content))
    assert document.text == content
    assert document.title is None


def test_leading_and_trailing_blank_lines_are_stripped(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "a.txt", f"\n  \n\n  {BODY}  \n\n \n"))
    assert document.text == f"  {BODY}"


def test_header_without_a_blank_line_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", f"title: T\n{BODY}")
    with pytest.raises(InputError, match=r"a\.txt:2: expected a header line"):
        read_one(path)


def test_header_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", f"date: 2024\nsource: s\nDate: 2025\n\n{BODY}")
    with pytest.raises(InputError, match=r"a\.txt:3: header key 'date' appears twice"):
        read_one(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "2024-12 (not stated in the text; the General Assembly adopted the convention on "
            "24 December 2024)",
            "2024-12",
        ),
        ("2024-11-26/27", "2024-11-26"),
        ("24 November 2022", "2022-11-24"),
        ("October 24, 2022", "2022-10-24"),
        ("26 Jul, 2021", "2021-07-26"),
        ("undated (page)", None),
        ('2024-06-20 (accessions "on 20 June")', "2024-06-20"),
        ("2024", "2024"),
        ("2024-06/07", "2024-06"),
        ("Nov 2022", "2022-11"),
        ("November, 2022", "2022-11"),
        ("Sept. 3, 2021", "2021-09-03"),
        ("1st March 2023", "2023-03-01"),
        ("Monday, 24 November 2025", "2025-11-24"),
        ("2024-11-26T10:30:00+00:00", "2024-11-26"),
        ("  2024-11-26  ", "2024-11-26"),
        ("2024-02-30", None),
        ("2024-13", None),
        ("31 February 2022", None),
        ("Smarch 2022", None),
        ("20240101", None),
        ("", None),
    ],
)
def test_parse_header_date(value: str, expected: str | None) -> None:
    assert parse_header_date(value) == expected


def test_unparseable_header_date_becomes_none(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "a.txt", f"date: undated (page)\n\n{BODY}"))
    assert document.date is None


# ------------------------------------------------------------------------------ markdown


def test_markdown_front_matter_fills_metadata(tmp_path: Path) -> None:
    content = (
        "---\ntitle: \"Operation 'Sandstorm' ends\"\ndate: '2023-08-21'\n"
        "source: https://example.org/x\nauthor: someone\ntags: [a, b]\n---\n\n" + BODY
    )
    document = read_one(write(tmp_path, "a.md", content))
    assert document.title == "Operation 'Sandstorm' ends"
    assert document.date == "2023-08-21"
    assert document.source == "https://example.org/x"
    assert document.text == BODY


def test_markdown_without_closing_front_matter_is_text(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "a.markdown", f"---\ntitle: T\n\n{BODY}"))
    assert document.title is None
    assert document.text == f"title: T\n\n{BODY}"


def test_markdown_syntax_is_stripped_lightly(tmp_path: Path) -> None:
    content = "\n".join(
        [
            "# Police arrest 12 #",
            "Some **bold**, *italic*, _under_, __strong__ and ~~old~~ words.",
            "Keep snake_case_names and 2 * 3 * 4 as they are.",
            'A [linked text](https://example.org "t") and ![a chart](c.png) here.',
            "A [reference][r] and <https://auto.example.org>.",
            "[r]: https://example.org/ref",
            "> quoted words",
            "- first bullet",
            "1. numbered item",
            "Use `inline code` and \\*literal stars\\*.",
            "<!-- an editor's",
            "comment -->",
            "***",
            "```python",
            "x = *kept* [as](text)",
            "```",
            "Setext heading",
            "==============",
        ]
    )
    document = read_one(write(tmp_path, "a.md", content))
    assert document.text == "\n".join(
        [
            "Police arrest 12",
            "Some bold, italic, under, strong and old words.",
            "Keep snake_case_names and 2 * 3 * 4 as they are.",
            "A linked text and  here.",
            "A reference and https://auto.example.org.",
            "",
            "quoted words",
            "first bullet",
            "1. numbered item",
            "Use inline code and *literal stars*.",
            "",
            "",
            "x = *kept* [as](text)",
            "Setext heading",
        ]
    )


# ---------------------------------------------------------------------------------- HTML

HTML_PAGE = """<!DOCTYPE html>
<html><head>
<meta charset="iso-8859-1">
<title>Police  &amp; partners</title>
<meta name="date" content="2024-11-27T08:00:00Z">
<link rel="stylesheet canonical" href="https://news.example.org/a?x=1&amp;y=2">
<meta property="og:url" content="https://og.example.org/a">
<style>p { color: red; }</style>
<script>var secret = "<p>script text</p>";</script>
</head>
<body>
<noscript>Enable JavaScript</noscript>
<template><p>template text</p></template>
<svg><title>svg title</title><text>svg text</text></svg>
<!-- a comment -->
<h1>Operation  Caf\u00e9</h1>
<p>Officers said   &amp;lt;b&amp;gt; is
literal and &lt;this&gt; too.</p>
<div>one<br>two</div>
<ul><li>first<li>second</ul>
<table><tr><td>cell 1</td><td>cell 2</td></tr></table>
<pre>line 1
line 2</pre>
</body></html>
"""


def test_html_visible_text_matches_golden(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "a.html", HTML_PAGE))
    assert document.text == "\n".join(
        [
            "Operation Caf\u00e9",
            "",
            "Officers said &lt;b&gt; is literal and <this> too.",
            "",
            "one",
            "two",
            "",
            "first",
            "second",
            "",
            "cell 1 cell 2",
            "",
            "line 1",
            "line 2",
        ]
    )


def test_html_metadata(tmp_path: Path) -> None:
    document = read_one(write(tmp_path, "a.htm", HTML_PAGE))
    assert document.title == "Police & partners"
    assert document.date == "2024-11-27"
    assert document.source == "https://news.example.org/a?x=1&y=2"


def test_html_og_url_and_published_time_are_fallbacks(tmp_path: Path) -> None:
    page = (
        '<meta property="og:url" content="https://og.example.org/a">'
        '<meta property="article:published_time" content="October 24, 2022">'
        "<p>Body text.</p>"
    )
    document = read_one(write(tmp_path, "a.html", page))
    assert (document.source, document.date, document.title) == (
        "https://og.example.org/a",
        "2022-10-24",
        None,
    )


def test_html_meta_charset_does_not_override_utf8(tmp_path: Path) -> None:
    page = '<meta charset="windows-1252"><p>Caf\u00e9</p>'
    assert read_one(write(tmp_path, "a.html", page.encode())).text == "Caf\u00e9"
    latin = write(tmp_path, "b.html", page.encode("cp1252"))
    offset = page.index("\u00e9")
    with pytest.raises(DecodingError, match=f"not valid UTF-8 at byte {offset};"):
        read_one(latin)


def test_html_utf16_bom_wins(tmp_path: Path) -> None:
    page = codecs.BOM_UTF16_LE + '<meta charset="utf-8"><p>Caf\u00e9</p>'.encode("utf-16-le")
    assert read_one(write(tmp_path, "a.html", page)).text == "Caf\u00e9"


def test_html_without_head_tags_ends_the_head_implicitly(tmp_path: Path) -> None:
    page = "<html><head><title>T</title><p>Body text.</p>"
    document = read_one(write(tmp_path, "a.html", page))
    assert (document.title, document.text) == ("T", "Body text.")


def test_html_doctype_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "TOP SECRET")
    page = f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><p>Value: &e; end</p>'
    assert read_one(write(tmp_path, "a.html", page)).text == "Value: &e; end"


def test_html_unclosed_comment_hides_the_rest(tmp_path: Path) -> None:
    page = "<p>Shown.</p><!-- never closed <p>hidden</p>"
    assert read_one(write(tmp_path, "a.html", page)).text == "Shown."


def test_html_tag_left_open_at_the_end_is_dropped(tmp_path: Path) -> None:
    page = "<p>Shown.</p><a href='https://example.org <b>never closed"
    assert read_one(write(tmp_path, "a.html", page)).text == "Shown."


def test_html_marked_section_without_keyword_is_a_bogus_comment(tmp_path: Path) -> None:
    page = "<p>One <![ junk ]> two <![CDATA[x]]> three</p>"
    assert read_one(write(tmp_path, "a.html", page)).text == "One two three"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.html", "<p>x</p>" + "<a " * 40_000),
        ("b.html", "<p>x</p>" + "<![" * 40_000),
        ("c.md", "_a " * 20_000),
        ("d.md", "[" * 40_000 + " x"),
        ("e.md", "# a" + " " * 100_000 + "#"),
        ("f.md", "<https://x" * 10_000),
    ],
)
def test_pathological_markup_is_read_in_linear_time(
    tmp_path: Path, name: str, content: str
) -> None:
    path = write(tmp_path, name, content)
    start = time.perf_counter()
    read_one(path)
    assert time.perf_counter() - start < 1.0


def test_html_with_only_invisible_content_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "a.html", "<html><head><title>T</title></head><script>x</script>")
    with pytest.raises(EmptyInputError):
        read_one(path)


# --------------------------------------------------------------------------------- JSONL


def jsonl(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_jsonl_records_become_documents(tmp_path: Path) -> None:
    content = jsonl(
        json.dumps(
            {
                "id": "doc-1",
                "text": f"\n{BODY}\r\n",
                "title": " A  title ",
                "date": "26 Jul, 2021",
                "source": "https://example.org",
                "extra": [1, 2],
            }
        ),
        "",
        "   ",
        json.dumps({"text": "No id here."}),
        json.dumps({"id": 7, "text": "Integer id.", "title": None}),
    )
    documents = list(read_documents([write(tmp_path, "batch.jsonl", content)]))
    assert [(d.id, d.title, d.date, d.source) for d in documents] == [
        ("doc-1", "A title", "2021-07-26", "https://example.org"),
        ("batch/4", None, None, None),
        ("7", None, None, None),
    ]
    assert documents[0].text == BODY
    assert documents[0].path == str(tmp_path / "batch.jsonl")


def test_jsonl_in_a_directory_prefixes_missing_ids_with_its_relative_path(
    tmp_path: Path,
) -> None:
    write(tmp_path, "corpus/sub/part.jsonl", jsonl(json.dumps({"text": BODY})))
    assert [document.id for document in read_documents([tmp_path / "corpus"])] == ["sub/part/1"]


def test_jsonl_bom_crlf_and_unterminated_valid_last_line(tmp_path: Path) -> None:
    content = codecs.BOM_UTF8 + b'{"text": "First."}\r\n{"text": "Last."}'
    documents = list(read_documents([write(tmp_path, "a.jsonl", content)]))
    assert [document.text for document in documents] == ["First.", "Last."]


BAD_LINES = [
    ("{not json}", "invalid JSON: Expecting property name"),
    ("[1, 2]", "expected a JSON object, got an array"),
    ('"just a string"', "expected a JSON object, got a string"),
    ('{"id": "x"}', 'missing "text"'),
    ('{"text": null}', "empty document"),
    ('{"text": ""}', "empty document"),
    ('{"text": "  \\n "}', "empty document"),
    ('{"text": 42}', '"text" must be a string, got a number'),
    ('{"text": ["a"]}', '"text" must be a string, got an array'),
    ('{"text": "x", "title": {"a": 1}}', '"title" must be a string, got an object'),
    ('{"text": "x", "id": true}', '"id" must be a string or an integer, got a boolean'),
    ('{"text": "x", "id": " \\u200b"}', '"id" is empty'),
    ('{"text": "x", "text": "y"}', "invalid JSON: duplicate key 'text'"),
    ('{"text": "x", "n": NaN}', "invalid JSON: NaN is not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_jsonl_bad_line_raises_with_its_line_number(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write(tmp_path, "a.jsonl", jsonl(json.dumps({"text": BODY}), line))
    documents = read_documents([path])
    assert next(documents).text == BODY
    with pytest.raises(InputError) as caught:
        next(documents)
    assert str(caught.value).startswith(f"{path}:2: {message}")


def test_jsonl_on_error_collects_every_bad_line_and_keeps_the_good_ones(
    tmp_path: Path,
) -> None:
    lines = []
    for index, (line, _) in enumerate(BAD_LINES):
        lines += [json.dumps({"id": f"good-{index}", "text": BODY}), line]
    content = jsonl(*lines).encode() + b'{"text": "caf\xe9"}\n{"text": "trunc'
    path = write(tmp_path, "a.jsonl", content)
    documents, errors = read_with_errors([path])
    assert [document.id for document in documents] == [f"good-{i}" for i in range(len(BAD_LINES))]
    expected = [f"{path}:{2 * i + 2}: {message}" for i, (_, message) in enumerate(BAD_LINES)]
    invalid_at = len(jsonl(*lines).encode()) + len('{"text": "caf')
    expected += [
        f"{path}:{len(lines) + 1}: not valid UTF-8 at byte {invalid_at}",
        f"{path}:{len(lines) + 2}: truncated last line: Unterminated string",
    ]
    assert [where for where, _ in errors] == [str(path)] * len(expected)
    assert [
        message[: len(start)] for (_, message), start in zip(errors, expected, strict=True)
    ] == expected


def test_jsonl_line_over_the_byte_cap_is_skipped(tmp_path: Path) -> None:
    huge = json.dumps({"text": "x" * (MAX_JSONL_LINE_BYTES + 10)})
    content = jsonl(huge, json.dumps({"text": BODY})).encode() + b'{"text": "\xff"}\n'
    path = write(tmp_path, "a.jsonl", content)
    documents, errors = read_with_errors([path])
    assert [document.text for document in documents] == [BODY]
    invalid_at = content.index(b"\xff")
    assert errors == [
        (str(path), f"{path}:1: line longer than {MAX_JSONL_LINE_BYTES:,} bytes"),
        (str(path), f"{path}:3: not valid UTF-8 at byte {invalid_at}; re-save the file as UTF-8"),
    ]


def test_jsonl_binary_file_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", b'{"text": "a"}\n\x00\x01\x02')
    with pytest.raises(DecodingError, match="looks like a binary"):
        list(read_documents([path]))


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "articles"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_article_reads_with_its_header_out_of_the_text() -> None:
    documents = list(read_documents([CORPUS]))
    assert len(documents) == count_inputs([CORPUS])
    for document in documents:
        assert document.source is not None, document.id
        first_line = document.text.partition("\n")[0].lower()
        assert not first_line.startswith(("source:", "title:", "date:")), document.id

"""Rows B19-B25 of RELIABILITY.md: RDF files from users (``kg.rdfio.load_dataset``, behind
``kg query``, ``kg serve``, ``kg validate``), which must not expand, fetch or crash, and must
fail with a message naming the file and the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rdflib import URIRef

from kg.errors import RdfError, UnsupportedFormatError
from kg.rdfio import load_dataset
from tests.hardening.conftest import Canary

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TRIPLE = "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"


def _laughs(root: str, namespace: str) -> str:
    """The 7-level billion laughs: about 700 bytes that expand to 10**7 'lol's."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 8)]
    doctype = f"<!DOCTYPE {root} [\n" + "\n".join(entities) + "\n]>"
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<{root} xmlns="{namespace}" xmlns:rdf="{RDF_NS}">'
        f"&lol7;</{root}>\n"
    )


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# --- B19 billion laughs ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_b19_billion_laughs_rdfxml_is_rejected_within_a_second(tmp_path, encoding) -> None:
    path = _write(tmp_path, "laughs.rdf", _laughs("rdf:RDF", RDF_NS).encode(encoding))
    started = time.monotonic()
    with pytest.raises(RdfError, match="entity declarations not allowed"):
        load_dataset(path)
    assert time.monotonic() - started < 1.0


def test_b19_trix_is_not_a_format_kg_parses(tmp_path) -> None:
    path = _write(
        tmp_path, "laughs.trix", _laughs("TriX", "http://www.w3.org/2004/03/trix/trix-1/")
    )
    started = time.monotonic()
    with pytest.raises(UnsupportedFormatError, match="cannot tell the RDF format"):
        load_dataset(path)
    with pytest.raises(UnsupportedFormatError, match="unknown RDF format 'trix'"):
        load_dataset(path, "trix")
    assert time.monotonic() - started < 1.0


def test_b19_trix_content_named_rdf_is_refused_by_the_same_prescan(tmp_path) -> None:
    content = _laughs("TriX", "http://www.w3.org/2004/03/trix/trix-1/")
    with pytest.raises(RdfError, match="entity declarations not allowed"):
        load_dataset(_write(tmp_path, "laughs.rdf", content))


# --- B20 external entities and DTDs ----------------------------------------------------------


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{url}entity">]>',
        '<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{url}param"> %p;]>',
        '<!DOCTYPE rdf:RDF SYSTEM "{url}dtd">',
        '<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["general", "parameter", "external-dtd", "file"],
)
def test_b20_external_entities_are_rejected_without_a_fetch(
    tmp_path, no_outbound_io: Canary, doctype: str
) -> None:
    content = (
        f'<?xml version="1.0"?>\n{doctype.format(url=no_outbound_io.url)}\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}"><rdf:Description rdf:about="http://e/a"/></rdf:RDF>\n'
    )
    with pytest.raises(RdfError, match="entity declarations not allowed"):
        load_dataset(_write(tmp_path, "external.rdf", content))


# --- B21 JSON-LD contexts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    ['"{url}ctx"', '"file:///etc/passwd"', '"ctx.jsonld"', '[{{"x": "http://e/x"}}, "{url}ctx"]'],
    ids=["remote", "file", "relative", "mixed-array"],
)
def test_b21_remote_and_relative_jsonld_contexts_are_rejected(
    tmp_path, no_outbound_io: Canary, context: str
) -> None:
    document = f'{{"@context": {context.format(url=no_outbound_io.url)}, "@id": "http://e/a"}}'
    with pytest.raises(RdfError, match="remote or relative JSON-LD contexts not allowed"):
        load_dataset(_write(tmp_path, "doc.jsonld", document))


def test_b21_an_inline_context_works(tmp_path, no_outbound_io: Canary) -> None:
    document = '{"@context": {"x": "http://e/x"}, "@id": "http://e/a", "x": "value"}'
    dataset = load_dataset(_write(tmp_path, "doc.jsonld", document))
    assert len(dataset) == 1


# --- B22 deep nesting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opener", "closer", "depth"),
    [("[ <http://e/p> ", " ]", 1000), ("[ <http://e/p> ", " ]", 100_000), ("( ", " )", 1000)],
    ids=["blank-1000", "blank-100000", "list-1000"],
)
def test_b22_deep_turtle_nesting_is_refused_as_too_deep(tmp_path, opener, closer, depth) -> None:
    content = (
        "<http://e/a> <http://e/b> " + opener * depth + "<http://e/o>" + closer * depth + " .\n"
    )
    path = _write(tmp_path, "deep.ttl", content)
    with pytest.raises(RdfError, match="nesting too deep"):
        load_dataset(path)
    assert path.read_text(encoding="utf-8") == content


def test_b22_a_flat_list_of_5000_items_is_accepted(tmp_path) -> None:
    items = " ".join(f"<http://e/o{i}>" for i in range(5000))
    dataset = load_dataset(
        _write(tmp_path, "list.ttl", f"<http://e/a> <http://e/b> ( {items} ) .\n")
    )
    assert len(dataset) == 1 + 2 * 5000


# --- B23 syntax errors and invalid IRIs -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "cited"),
    [
        (
            "bad.ttl",
            "@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b ex:c ;; ex:\n",
            "line 3:",
        ),
        (
            "bad.trig",
            "<http://e/g> { <http://e/a> <http://e/b> <http://e/c> . }\n<http://e/g> {\n",
            "line 2:",
        ),
        ("bad.nt", TRIPLE + TRIPLE + "<http://e/a> <http://e/b> <http://e/c\n", "<http://e/c"),
    ],
)
def test_b23_a_syntax_error_on_the_last_line_is_cited(tmp_path, name, content, cited) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(RdfError) as info:
        load_dataset(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert cited in message
    assert "\n" not in message


def test_b23_the_turtle_error_gives_the_column(tmp_path) -> None:
    path = _write(
        tmp_path,
        "bad.ttl",
        "<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> ;\n",
    )
    with pytest.raises(RdfError, match=r"line 2: .* at column \d+"):
        load_dataset(path)


@pytest.mark.parametrize(
    "iri",
    ["http://e/a{b}", "http://e/a|b", "http://e/a^b", "http://e/a`b"],
    ids=["braces", "pipe", "caret", "backtick"],
)
def test_b23_invalid_iris_rdflib_accepts_are_rejected_at_the_boundary(tmp_path, iri) -> None:
    with pytest.raises(RdfError, match="invalid IRI"):
        load_dataset(_write(tmp_path, "iri.ttl", f'<{iri}> <http://e/p> "x" .\n'))


def test_b23_bad_escapes_are_rejected(tmp_path) -> None:
    with pytest.raises(RdfError, match="line 1"):
        load_dataset(_write(tmp_path, "escape.ttl", '<http://e/a> <http://e/p> "x\\q" .\n'))


# --- B24 owl:imports ----------------------------------------------------------------------------


def test_b24_owl_imports_are_not_followed(tmp_path, no_outbound_io: Canary) -> None:
    content = (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<http://e/onto> a owl:Ontology ; owl:imports <{no_outbound_io.url}onto.ttl>, "
        "<file:///etc/passwd> .\n"
    )
    dataset = load_dataset(_write(tmp_path, "onto.ttl", content))
    assert len(dataset) == 3
    assert URIRef(f"{no_outbound_io.url}onto.ttl") in set(dataset.objects())


# --- B25 wrong or missing extension ------------------------------------------------


def test_b25_rdfxml_named_ttl_fails_as_turtle_without_trying_other_parsers(tmp_path) -> None:
    content = f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="{RDF_NS}"></rdf:RDF>\n'
    with pytest.raises(RdfError, match=r"^.*wrong\.ttl: "):
        load_dataset(_write(tmp_path, "wrong.ttl", content))
    assert len(load_dataset(tmp_path / "wrong.ttl", "xml")) == 0  # the explicit format works


def test_b25_binary_junk_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(RdfError, match=r"junk\.ttl: .*utf-8"):
        load_dataset(_write(tmp_path, "junk.ttl", bytes(range(256)) * 4))


def test_b25_a_missing_extension_needs_an_explicit_format(tmp_path) -> None:
    path = _write(tmp_path, "graph", TRIPLE)
    with pytest.raises(UnsupportedFormatError, match="cannot tell the RDF format"):
        load_dataset(path)
    assert len(load_dataset(path, "ntriples")) == 1


@pytest.mark.parametrize(("name", "outcome"), [("empty.ttl", 0), ("empty.rdf", "no element found")])
def test_b25_a_zero_byte_file_is_an_empty_graph_or_a_clear_error(tmp_path, name, outcome) -> None:
    path = _write(tmp_path, name, b"")
    if isinstance(outcome, int):
        assert len(load_dataset(path)) == outcome
    else:
        with pytest.raises(RdfError, match=outcome):
            load_dataset(path)

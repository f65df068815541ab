"""kg.rdfio: every format round-trips, writes are atomic, reads never fetch or expand."""

from __future__ import annotations

import json
import os
import stat
import urllib.request
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS
from rdflib.plugins.serializers.turtle import TurtleSerializer

from kg.errors import InputError, KgError, OutputError, RdfError, UnsupportedFormatError
from kg.iri import IriMinter
from kg.rdf import build_dataset
from kg.rdfio import FORMATS, atomic_write, format_for, load_dataset, write_dataset
from kg.vocab import KG, NIF
from tests.test_rdf import EVIL_ORG, EVIL_PERSON, HOSTILE, sample

BASE = "https://example.org/kg/"
OXIGRAPH = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "json-ld": pyoxigraph.RdfFormat.JSON_LD,
    "xml": pyoxigraph.RdfFormat.RDF_XML,
}
EXTENSIONS = [(ext, fmt.name) for fmt in FORMATS.values() for ext in fmt.extensions]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    docs, res = sample(hostile=True)
    return build_dataset(docs, res, IriMinter(BASE), extractor_version="kg test")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("kg.rdfio tried to fetch something")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def named_graphs(dataset: Dataset) -> dict[URIRef, Graph]:
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def union(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("ext", "name"), EXTENSIONS)
def test_the_format_comes_from_the_extension(ext, name):
    assert format_for(Path(f"out/graph{ext}")).name == name
    assert format_for(Path(f"out/GRAPH{ext.upper()}")).name == name


@pytest.mark.parametrize(
    ("explicit", "name"),
    [
        ("turtle", "turtle"),
        ("TriG", "trig"),
        ("nt", "ntriples"),
        (".jsonld", "json-ld"),
        ("rdf", "xml"),
    ],
)
def test_an_explicit_name_or_extension_wins_over_the_path(explicit, name):
    assert format_for(Path("graph.txt"), explicit).name == name


@pytest.mark.parametrize(
    ("path", "explicit"), [("graph.txt", None), ("graph", None), ("g.ttl", "n3")]
)
def test_an_unknown_format_lists_the_valid_ones(path, explicit):
    with pytest.raises(UnsupportedFormatError) as info:
        format_for(Path(path), explicit)
    message = str(info.value)
    assert all(name in message for name in FORMATS)
    assert ".jsonld" in message
    assert isinstance(info.value, KgError)


def test_formats_say_whether_they_keep_named_graphs():
    assert {name for name, fmt in FORMATS.items() if fmt.quads} == {"trig", "nquads", "json-ld"}
    assert FORMATS["turtle"].media_type == "text/turtle"


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_round_trips_through_rdflib_and_oxigraph(tmp_path, dataset, name):
    fmt = FORMATS[name]
    path = tmp_path / f"graph{fmt.extensions[0]}"
    count = write_dataset(dataset, path)
    back = load_dataset(path)
    if fmt.quads:
        assert count == sum(1 for _ in dataset.quads((None, None, None, None)))
        original, loaded = named_graphs(dataset), named_graphs(back)
        assert original.keys() == loaded.keys()
        for identifier, graph in original.items():
            assert isomorphic(graph, loaded[identifier]), identifier
    else:
        assert count == len(union(dataset))
        assert isomorphic(union(dataset), union(back))
    parsed = list(pyoxigraph.parse(path=str(path), format=OXIGRAPH[name]))
    assert len(parsed) == count


@pytest.mark.parametrize("name", list(FORMATS))
def test_hostile_text_survives_every_format_as_literals(tmp_path, dataset, name):
    path = tmp_path / f"graph{FORMATS[name].extensions[0]}"
    write_dataset(dataset, path)
    back = load_dataset(path)
    minter = IriMinter(BASE)
    assert {str(o) for o in back.objects(minter.entity(EVIL_ORG), SKOS.prefLabel)} == {HOSTILE}
    quotes = {str(o) for o in back.objects(None, KG.quote)}
    assert f"</script> {HOSTILE}" in quotes
    person_labels = {str(o) for o in back.objects(minter.entity(EVIL_PERSON), SKOS.prefLabel)}
    assert person_labels == {'Ann "Q" O\'Neil </script>'}
    anchors = {str(o) for o in back.objects(None, NIF.anchorOf)}
    assert "It ended with 312 arrests\nand 2000000 USD seized." in anchors
    iris = {t for quad in back.quads() for t in quad if isinstance(t, URIRef)}
    assert not [iri for iri in iris if iri.startswith("http://evil")]
    for quad in pyoxigraph.parse(path=str(path), format=OXIGRAPH[name]):
        terms = [quad.subject, quad.predicate, quad.object, getattr(quad, "graph_name", None)]
        named = [t.value for t in terms if isinstance(t, pyoxigraph.NamedNode)]
        assert not [iri for iri in named if iri.startswith("http://evil")]


def test_triple_formats_keep_provenance_in_the_union(tmp_path, dataset):
    path = tmp_path / "graph.ttl"
    write_dataset(dataset, path)
    back = load_dataset(path)
    for fact in back.subjects(KG.rule, None):
        for sentence in back.objects(fact, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")):
            assert (sentence, NIF.referenceContext, None) in back


def test_loaded_dataset_is_a_union_over_its_graphs(tmp_path, dataset):
    path = tmp_path / "graph.trig"
    write_dataset(dataset, path)
    back = load_dataset(path)
    assert back.default_union
    assert len(set(back.subjects(KG.rule, None))) == len(set(dataset.subjects(KG.rule, None)))


def test_json_ld_is_written_with_an_inline_context(tmp_path, dataset):
    path = tmp_path / "graph.jsonld"
    write_dataset(dataset, path)
    document = json.loads(path.read_bytes())
    assert isinstance(document["@context"], dict)
    assert document["@context"]["kg"] == "https://w3id.org/kgnews/ontology#"


# --- atomic writes ----------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_serialiser_failing_half_way_leaves_the_previous_file_untouched(
    tmp_path, dataset, monkeypatch
):
    path = tmp_path / "graph.ttl"
    path.write_bytes(b"# the previous graph\n")
    before = path.read_bytes()

    def half_then_fail(self, stream, *args, **kwargs):
        stream.write(b"@prefix kg: <https://w3id.org/kgnews/ontology#> .\n<half")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(TurtleSerializer, "serialize", half_then_fail)
    with pytest.raises(OutputError, match=f"cannot write {path}: disk on fire"):
        write_dataset(dataset, path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_atomic_write_replaces_the_file_only_when_the_writer_finishes(tmp_path):
    path = tmp_path / "out.nt"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)

    def fail(stream):
        stream.write(b"new but broken")
        raise ValueError("cannot finish")

    with pytest.raises(OutputError, match="cannot finish"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    atomic_write(path, lambda stream: stream.write(b"new"))
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_atomic_write_of_a_new_file_gets_the_usual_permissions(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    path = tmp_path / "new.ttl"
    atomic_write(path, lambda stream: stream.write(b"x"))
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_an_interrupt_is_not_swallowed_and_leaves_nothing_behind(tmp_path):
    def interrupted(stream):
        stream.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.ttl", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_writing_into_a_missing_folder_is_an_output_error(tmp_path, dataset):
    with pytest.raises(OutputError, match="does not exist"):
        write_dataset(dataset, tmp_path / "missing" / "graph.trig")


def test_writing_over_a_folder_is_an_output_error(tmp_path, dataset):
    (tmp_path / "graph.trig").mkdir()
    with pytest.raises(OutputError, match="cannot write"):
        write_dataset(dataset, tmp_path / "graph.trig")
    assert _leftovers(tmp_path) == []


# --- safe reading -----------------------------------------------------------------------------

RDF_XML = """<?xml version="1.0"?>
{doctype}<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:b>{value}</ex:b></rdf:Description>
</rdf:RDF>
"""
BILLION_LAUGHS = '<!DOCTYPE rdf:RDF [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
EXTERNAL = '<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'


def test_plain_rdf_xml_loads(tmp_path):
    path = tmp_path / "plain.rdf"
    path.write_text(RDF_XML.format(doctype="", value="fine"), encoding="utf-8")
    back = load_dataset(path)
    assert (URIRef("http://example.org/a"), None, Literal("fine")) in back


@pytest.mark.parametrize(
    ("doctype", "value", "encoding"),
    [
        (BILLION_LAUGHS, "&lol2;", "utf-8"),
        (EXTERNAL, "&secret;", "utf-8"),
        (BILLION_LAUGHS, "&lol2;", "utf-16"),
        ("<!doctype rdf:RDF>\n", "x", "utf-8"),
    ],
)
def test_rdf_xml_with_entity_declarations_is_refused(tmp_path, doctype, value, encoding):
    path = tmp_path / "evil.rdf"
    text = RDF_XML.format(doctype=doctype, value=value)
    if encoding != "utf-8":
        text = text.replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
    path.write_bytes(text.encode(encoding))
    with pytest.raises(RdfError, match=f"{path}: entity declarations not allowed in RDF/XML"):
        load_dataset(path)


@pytest.mark.parametrize(
    "context",
    [
        "https://schema.org/",
        "context.jsonld",
        ["https://example.org/context.jsonld", {"ex": "http://example.org/"}],
        {"@import": "https://example.org/context.jsonld"},
        {"ex": {"@id": "http://example.org/b", "@context": "https://example.org/scoped"}},
    ],
)
def test_json_ld_with_a_remote_or_relative_context_is_refused(tmp_path, context):
    path = tmp_path / "evil.jsonld"
    document = {"@context": context, "@id": "http://example.org/a", "ex:b": "x"}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(RdfError, match="remote or relative JSON-LD contexts not allowed"):
        load_dataset(path)


def test_json_ld_with_a_nested_remote_context_is_refused(tmp_path):
    path = tmp_path / "nested.jsonld"
    document = {"@graph": [{"@id": "http://example.org/a", "@context": "http://example.org/c"}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(RdfError, match="contexts not allowed"):
        load_dataset(path)


def test_json_ld_with_an_inline_context_loads(tmp_path):
    path = tmp_path / "inline.jsonld"
    document = {"@context": {"ex": "http://example.org/"}, "@id": "ex:a", "ex:b": "x"}
    path.write_text(json.dumps(document), encoding="utf-8")
    back = load_dataset(path)
    assert (URIRef("http://example.org/a"), URIRef("http://example.org/b"), Literal("x")) in back


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("bad.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", 3),
        ("bad.trig", "@prefix ex: <http://example.org/> .\nex:g {\n ex:a ex:b }\n", 3),
        ("bad.rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="x">\n<a></b>\n</rdf:RDF>', 3),
        ("bad.jsonld", '{"@id": "http://example.org/a",\n "x": }', 2),
        ("bad.nt", "<http://example.org/a> <http://example.org/b> c .\n", None),
        ("bad.nq", '<http://example.org/a> <http://example.org/b> "c .\n', None),
    ],
)
def test_parse_errors_are_rdf_errors_naming_the_file_and_line(tmp_path, name, content, line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RdfError) as info:
        load_dataset(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    if line is not None:
        assert f"line {line}:" in message


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_dataset(tmp_path / "absent.ttl")


def test_an_explicit_format_reads_a_file_with_any_name(tmp_path, dataset):
    path = tmp_path / "graph.data"
    write_dataset(dataset, path, "nquads")
    assert len(load_dataset(path, "nquads")) > 0
    with pytest.raises(UnsupportedFormatError):
        load_dataset(path)

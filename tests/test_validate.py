"""SHACL validation graph by graph, its report, and the RDFS / OWL-RL closure for queries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.errors import InputError, RdfError
from kg.query import run_query
from kg.rdfio import load_dataset, write_dataset
from kg.store import GraphStore
from kg.validate import INFERRED_GRAPH, materialise, validate
from kg.vocab import KG, NIF

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
BASE = "https://w3id.org/kgnews/"
DOC_ONE = URIRef(f"{BASE}doc/veldoria-joins-interpol")
GRAPH_ONE = URIRef(f"{BASE}graph/veldoria-joins-interpol")
SENTENCE = URIRef(f"{BASE}doc/veldoria-joins-interpol#char=0,51")
PREFIXES = (
    "PREFIX kg: <https://w3id.org/kgnews/ontology#>\n"
    "PREFIX org: <http://www.w3.org/ns/org#>\n"
    "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
)

# Every ratifier must say it took a treaty action: true only once kg:ratified is known to
# be a subproperty of kg:treatyAction. Persons should have a Wikidata link (a warning).
EXTRA_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kg: <https://w3id.org/kgnews/ontology#> .
@prefix ex: <https://example.org/shapes#> .

ex:Ratifier a sh:NodeShape ;
    sh:targetSubjectsOf kg:ratified ;
    sh:property [ sh:path kg:treatyAction ; sh:minCount 1 ] .

ex:LinkedPerson a sh:NodeShape ;
    sh:targetClass kg:Person ;
    sh:property [ sh:path kg:wikidata ; sh:minCount 1 ; sh:severity sh:Warning ] .
"""


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=120
    )


def fixture() -> Dataset:
    return load_dataset(FIXTURE)


def broken() -> Dataset:
    """The fixture with two faults in the first document's graph: its text hash is gone and
    a sentence offset is a plain xsd:integer."""
    dataset = fixture()
    graph = dataset.graph(GRAPH_ONE)
    graph.remove((DOC_ONE, KG.contentHash, None))
    graph.set((SENTENCE, NIF.beginIndex, Literal("0", datatype=XSD.decimal)))
    return dataset


@pytest.fixture
def broken_file(tmp_path) -> Path:
    path = tmp_path / "broken.trig"
    write_dataset(broken(), path)
    return path


@pytest.fixture
def extra_shapes(tmp_path) -> Path:
    path = tmp_path / "extra.ttl"
    path.write_text(EXTRA_SHAPES, encoding="utf-8")
    return path


# --- validation -----------------------------------------------------------------------------


def test_a_graph_as_kg_writes_it_conforms():
    report = validate(fixture())
    assert report.conforms
    assert (report.graphs, report.triples, report.findings) == (2, 274, [])
    assert report.summary().startswith("2 graphs, 274 triples: conforms")


def test_each_fault_is_reported_with_its_graph_shape_focus_path_and_message():
    report = validate(broken())
    assert not report.conforms
    found = {(f.graph, f.shape, f.component, f.focus, f.path) for f in report.findings}
    assert found == {
        (f"<{GRAPH_ONE}>", "kgsh:Document kg:contentHash", "MinCount", f"<{DOC_ONE}>",
         "kg:contentHash"),
        (f"<{GRAPH_ONE}>", "kgsh:Sentence nif:beginIndex", "Or", f"<{SENTENCE}>",
         "nif:beginIndex"),
    }  # fmt: skip
    datatype = next(f for f in report.findings if f.component == "Or")
    assert datatype.value == '"0"^^xsd:decimal'
    assert all(f.severity == "Violation" for f in report.findings)


def test_the_text_report_counts_by_shape_and_lists_the_first_results():
    text = validate(broken()).to_text(limit=1)
    lines = text.splitlines()
    assert lines[0].startswith("2 graphs, 273 triples: does not conform: 2 violations in 1 graph")
    assert "  Violation 1  kgsh:Document kg:contentHash (MinCount)" in lines
    assert "  Violation 1  kgsh:Sentence nif:beginIndex (Or)" in lines
    assert "first 1 of 2:" in lines
    assert lines.count(f"  Violation in <{GRAPH_ONE}>") == 1
    assert f"    focus    <{SENTENCE}>" in lines  # results in order of focus node
    assert "    path     nif:beginIndex" in lines


def test_other_shapes_and_their_severities(extra_shapes):
    report = validate(fixture(), shapes=extra_shapes)
    counts = report.counts()
    assert counts[("Warning", "ex:LinkedPerson kg:wikidata", "MinCount")] == 3
    assert counts[("Violation", "ex:Ratifier kg:treatyAction", "MinCount")] == 1
    assert "1 violation, 3 warnings in 2 graphs" in report.summary()


def test_inference_lets_shapes_see_superproperties(extra_shapes):
    report = validate(fixture(), shapes=extra_shapes, inference="rdfs")
    assert {f.shape for f in report.findings} == {"ex:LinkedPerson kg:wikidata"}
    assert "rdfs inference" in report.summary()


def test_unknown_inference_and_unreadable_shapes_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="unknown inference 'hermit'"):
        validate(fixture(), inference="hermit")
    with pytest.raises(InputError, match="no such file"):
        validate(fixture(), shapes=tmp_path / "missing.ttl")
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(RdfError, match="cannot read the shapes"):
        validate(fixture(), shapes=bad)


def test_triples_outside_named_graphs_are_validated_as_the_default_graph(tmp_path):
    union = tmp_path / "union.ttl"
    write_dataset(broken(), union)
    report = validate(load_dataset(union))
    assert report.graphs == 1
    assert {f.graph for f in report.findings} == {"(default graph)"}


def store_of(dataset: Dataset, path: Path) -> Path:
    """A kg store holding the dataset's document graphs."""
    with GraphStore.open(path, create=True) as store:
        for graph in dataset.graphs():
            if len(graph):
                doc_id = str(graph.identifier).rsplit("/", 1)[1]
                store.replace_document(doc_id, graph, str(graph.value(predicate=KG.contentHash)))
    return path


def test_a_store_is_validated_document_graph_by_document_graph(tmp_path, extra_shapes):
    with GraphStore.open(store_of(fixture(), tmp_path / "store"), read_only=True) as store:
        report = validate(store, shapes=extra_shapes)
    assert (report.graphs, report.triples) == (2, 274)  # not the union, not the metadata
    assert {f.graph for f in report.findings} == {
        f"<{GRAPH_ONE}>",
        f"<{BASE}graph/operation-harbour-light>",
    }


def test_cli_validate_reads_a_store_folder(tmp_path, extra_shapes):
    folder = store_of(fixture(), tmp_path / "store")
    result = kg("validate", str(folder), "--shapes", str(extra_shapes), "--infer")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("2 graphs, 274 triples, rdfs inference: does not conform")


def test_cli_validate_exits_0_when_the_graph_conforms():
    result = kg("validate", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert "conforms" in result.stdout


def test_cli_validate_prints_the_report_and_exits_1_when_it_does_not(broken_file):
    result = kg("validate", str(broken_file), "--limit", "1")
    assert result.returncode == 1
    assert "does not conform: 2 violations in 1 graph" in result.stdout
    assert "by shape:" in result.stdout
    assert "first 1 of 2:" in result.stdout
    assert result.stderr == ""


def test_cli_validate_with_infer_and_shapes(extra_shapes):
    plain = kg("validate", str(FIXTURE), "--shapes", str(extra_shapes))
    inferred = kg("validate", str(FIXTURE), "--shapes", str(extra_shapes), "--infer")
    assert "ex:Ratifier" in plain.stdout
    assert "ex:Ratifier" not in inferred.stdout
    assert "rdfs inference" in inferred.stdout
    assert plain.returncode == inferred.returncode == 1  # the persons' warnings remain


# --- inference for queries ------------------------------------------------------------------


def values(dataset: Dataset, sparql: str) -> list[tuple[object, ...]]:
    return sorted(run_query(dataset, PREFIXES + sparql).rows)


def test_rdfs_closure_finds_organisations_of_every_kind():
    sparql = "SELECT ?o WHERE { ?o a org:Organization }"
    assert values(fixture(), sparql) == []
    assert values(materialise(fixture()), sparql) == [
        (f"{BASE}id/org/europol",),  # a kg:LawEnforcementAgency
        (f"{BASE}id/org/interpol",),  # a kg:InternationalOrganisation
    ]


def test_rdfs_closure_answers_through_superproperties():
    sparql = "SELECT ?agent ?action WHERE { ?agent kg:treatyAction ?treaty ; ?action ?treaty }"
    rows = values(materialise(fixture()), sparql)
    assert (f"{BASE}id/country/xv", str(KG.ratified)) in rows
    assert (f"{BASE}id/country/xv", str(KG.signed)) in rows


def test_owl_rl_closure_answers_with_wikidata_properties():
    sparql = "SELECT ?member ?org WHERE { ?member wdt:P463 ?org }"
    assert values(materialise(fixture()), sparql) == []
    assert values(materialise(fixture(), owl=True), sparql) == [
        (f"{BASE}id/country/xv", f"{BASE}id/org/interpol")
    ]


def test_the_closure_of_a_store_holds_its_document_graphs(tmp_path):
    with GraphStore.open(store_of(fixture(), tmp_path / "store"), read_only=True) as store:
        closed = materialise(store)
    sparql = "SELECT ?o WHERE { ?o a org:Organization }"
    assert len(values(closed, sparql)) == 2
    assert len(closed.graph(GRAPH_ONE)) == 101


def test_the_closure_is_one_extra_graph_without_trivia_and_leaves_the_source_alone():
    source = fixture()
    closed = materialise(source, owl=True)
    assert sum(1 for _ in source.quads((None, None, None, None))) == 274
    graphs = {graph.identifier: len(graph) for graph in closed.graphs() if len(graph)}
    assert graphs.keys() == {*(g.identifier for g in source.graphs() if len(g)), INFERRED_GRAPH}
    inferred = closed.graph(INFERRED_GRAPH)
    assert not any(isinstance(s, Literal) for s, _, _ in inferred)
    assert not list(inferred.triples((None, RDF.type, RDFS.Resource)))
    assert not list(inferred.triples((None, RDF.type, OWL.Thing)))
    assert not any(s == o for s, _, o in inferred.triples((None, OWL.sameAs, None)))
    assert (KG.Organisation, RDF.type, OWL.Class) in inferred  # the ontology comes along
    rdfs = materialise(source).graph(INFERRED_GRAPH)
    assert not list(rdfs.triples((None, KG.action, None)))  # no "signed"@en twins of literals


def test_cli_query_infer_materialises_before_querying():
    sparql = PREFIXES + "SELECT ?o WHERE { ?o a kg:Organisation } ORDER BY ?o"
    plain = kg("query", str(FIXTURE), sparql, "--format", "json")
    inferred = kg("query", str(FIXTURE), sparql, "--format", "json", "--infer")
    assert plain.returncode == inferred.returncode == 0, inferred.stderr
    assert json.loads(plain.stdout)["rows"] == []
    assert [row["o"] for row in json.loads(inferred.stdout)["rows"]] == [
        f"{BASE}id/org/europol",
        f"{BASE}id/org/interpol",
    ]


def test_cli_query_owl_uses_equivalent_properties():
    sparql = PREFIXES + "SELECT ?org WHERE { ?member wdt:P463 ?org }"
    result = kg("query", str(FIXTURE), sparql, "--format", "csv", "--owl")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["org", f"{BASE}id/org/interpol"]


def test_cli_query_infer_reads_a_store_folder(tmp_path):
    folder = store_of(fixture(), tmp_path / "store")
    sparql = PREFIXES + "SELECT ?o WHERE { ?o a org:Organization } ORDER BY ?o"
    result = kg("query", str(folder), sparql, "--format", "csv", "--infer")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["o", f"{BASE}id/org/europol", f"{BASE}id/org/interpol"]


def test_a_store_built_by_kg_conforms_to_the_packaged_shapes(tmp_path):
    """Oxigraph keeps the offsets' xsd:nonNegativeInteger as xsd:integer; still conforms."""
    with GraphStore.open(store_of(fixture(), tmp_path / "store"), read_only=True) as store:
        report = validate(store)
    assert report.conforms, report.summary()

"""kg.vocab: the closed KG namespace and ontologies/kg.ttl stay in step."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg import vocab
from kg.vocab import KG, KG_NS, NIF, ONTOLOGY_PATH, PREFIXES, SHAPES_PATH, WDT


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


def kg_terms(graph: Graph) -> set[str]:
    return {
        str(node)[len(KG_NS) :]
        for triple in graph
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(KG_NS)
    }


def test_the_generated_block_is_what_the_generator_makes_of_kg_ttl():
    source = Path(vocab.__file__).read_text(encoding="utf-8")
    assert vocab.generated_block(source) == vocab.render(), "run: python -m kg.vocab"


def test_every_kg_term_of_the_ontology_is_in_KG_and_nothing_else(ontology):
    assert set(KG.__annotations__) == kg_terms(ontology)


def test_KG_is_closed():
    assert KG.Membership == URIRef(KG_NS + "Membership")
    assert KG["Country"] == URIRef(KG_NS + "Country")
    with pytest.raises(AttributeError):
        _ = KG.Membershp


def test_every_kg_term_is_declared_labelled_and_commented(ontology):
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property}
    for name in kg_terms(ontology):
        term = KG[name]
        assert kinds & set(ontology.objects(term, RDF.type)), name
        assert ontology.value(term, RDFS.label) is not None, name
        assert ontology.value(term, RDFS.comment) is not None, name


def test_the_ontology_header_says_what_it_is(ontology):
    header = URIRef("https://w3id.org/kgnews/ontology")
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(header, OWL.versionInfo) is not None
    assert ontology.value(header, RDFS.label) is not None
    assert ontology.value(header, RDFS.comment) is not None
    assert ontology.value(header, DCTERMS.license) == URIRef("https://opensource.org/licenses/MIT")


@pytest.mark.parametrize(
    ("subject", "wikidata"),
    [
        (URIRef("http://www.w3.org/ns/org#memberOf"), "P463"),
        (URIRef("http://www.w3.org/ns/org#holds"), "P39"),
        (KG.participant, "P710"),
        (KG.startDate, "P580"),
        (KG.endDate, "P582"),
    ],
)
def test_wikidata_alignments(ontology, subject, wikidata):
    assert (subject, OWL.equivalentProperty, WDT[wikidata]) in ontology


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (KG.Organisation, URIRef("http://www.w3.org/ns/org#Organization")),
        (KG.Country, URIRef("http://xmlns.com/foaf/0.1/Agent")),
        (KG.Membership, URIRef("http://www.w3.org/ns/org#Membership")),
        (KG.Membership, KG.Fact),
        (KG.Fact, URIRef("http://www.w3.org/ns/prov#Entity")),
        (KG.Operation, URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/Event")),
        (KG.Statement, URIRef("https://schema.org/Quotation")),
        (KG.Ratification, KG.TreatyAction),
    ],
)
def test_classes_are_aligned_with_the_vocabularies_they_refine(ontology, cls, parent):
    assert (cls, RDFS.subClassOf, parent) in ontology


def test_the_shapes_use_only_terms_of_the_ontology():
    shapes = Graph().parse(SHAPES_PATH, format="turtle")
    assert kg_terms(shapes) <= set(KG.__annotations__)


@pytest.mark.parametrize("path", [ONTOLOGY_PATH, SHAPES_PATH])
def test_ontology_files_parse_with_a_second_parser(path):
    quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(Graph().parse(path, format="turtle"))


def test_prefixes_name_the_namespaces_kg_writes():
    assert PREFIXES["kg"] == KG_NS
    assert PREFIXES["nif"] == "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
    assert PREFIXES["schema"] == "https://schema.org/"
    assert NIF.Sentence == URIRef(PREFIXES["nif"] + "Sentence")


def test_a_module_without_markers_is_an_error():
    with pytest.raises(ValueError, match="BEGIN GENERATED"):
        vocab.generated_block("class KG: pass\n")

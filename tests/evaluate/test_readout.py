from pathlib import Path

import pytest
from rdflib import Dataset

from kg.evaluate.gold import (
    MemberCount,
    MemberOf,
    Operation,
    Position,
    Statement,
    TreatyAction,
    read_article,
)
from kg.evaluate.readout import CitedSentence, SystemFact, read_facts

FIXTURE = Path(__file__).parents[1] / "fixtures" / "eval_graph.trig"
BASE = "https://w3id.org/kgnews/"
GPN = ("Global Police Network", "GPN")
ECO = ("Eastern Customs Office", "ECO")
FREEDONIA = ("Freedonia", "Republic of Freedonia")


CORPUS = Path(__file__).parents[1] / "fixtures" / "eval_corpus" / "articles"
TEXTS = {doc: read_article(CORPUS / f"{doc}.txt") for doc in ("101", "102", "103")}


def cited(doc: str, begin: int, end: int) -> CitedSentence:
    """The fixture cites whole sentences of the fictional articles, text included."""
    return CitedSentence(begin, end, TEXTS[doc][begin:end])


S101 = [cited("101", 0, 77), cited("101", 78, 153), cited("101", 154, 274)]
S102 = [
    cited("102", 0, 130),
    cited("102", 131, 236),
    cited("102", 237, 336),
    cited("102", 337, 409),
]


def fact(family: str, number: str) -> str:
    return f"{BASE}fact/{family}/00000000000000{number}"


QUOTE = "Cooperation across borders is our only answer to organised crime, and it works."
EXPECTED = {
    "101": [
        SystemFact(
            "101", MemberOf(FREEDONIA, GPN, "1999-03-03"), (S101[0],), fact("member_of", "a1")
        ),
        SystemFact("101", MemberOf(FREEDONIA, GPN, None), (S101[0],), fact("member_of", "a2")),
        SystemFact("101", MemberCount(GPN, 150), (S101[1],), fact("member_count", "b1")),
        SystemFact("101", MemberCount(GPN, 105), (S101[1],), fact("member_count", "b2")),
        SystemFact(
            "101",
            TreatyAction(
                "ratified", ("The Sylvanian Parliament",), ("Marenberg Convention",), "2023-04"
            ),
            (S101[2],),
            fact("treaty_action", "e1"),
        ),
        SystemFact(
            "101",
            Position(("Ana Muller",), ("Secretary General",), GPN),
            (S101[2],),
            fact("position", "c1"),
        ),
        SystemFact(
            "101",
            Statement(("Ana Muller",), QUOTE),
            (S101[2],),
            fact("statement", "d1"),
        ),
    ],
    "102": [
        SystemFact(
            "102",
            Operation(
                name=("Operation Lantern",),
                coordinators=(ECO, GPN),
                participants=(FREEDONIA, ("Sylvania",)),
                participant_count=12,
                start="2023-10-02",
                end=None,
                arrests=212,
                counts=(),
                entity=f"{BASE}id/operation/operation-lantern",
            ),
            (S102[0], S102[1]),
            fact("operation", "f1"),
        ),
        SystemFact(
            "102",
            Operation(
                name=(),
                coordinators=(ECO,),
                participants=(),
                participant_count=9,
                start="2023-09",
                end=None,
                arrests=41,
                counts=(("suspects arrested", 41),),
                entity=f"{BASE}id/operation/102-251--8503e8d4",
            ),
            (S102[2],),
            fact("operation", "f2"),
        ),
        SystemFact(
            "102",
            Position(("Tomas Varga",), ("Chief Inspector",), ECO),
            (S102[3],),
            fact("position", "c2"),
        ),
        SystemFact(
            "102",
            Statement(("Tomas Varga",), "led the sweep"),
            (S102[3],),
            fact("statement", "d2"),
        ),
    ],
    "103": [
        SystemFact(
            "103",
            MemberOf(("Ruritania",), GPN, "2024"),
            (cited("103", 0, 51),),
            fact("member_of", "a3"),
        ),
    ],
}


@pytest.fixture(scope="module")
def facts() -> dict[str, list[SystemFact]]:
    dataset = Dataset()
    dataset.parse(FIXTURE, format="trig")
    return read_facts(dataset)


def test_readout_of_the_fixture_graph_gives_exactly_the_expected_facts(
    facts: dict[str, list[SystemFact]],
) -> None:
    assert facts == EXPECTED


def test_entity_slots_hold_every_label_preferred_first(facts: dict[str, list[SystemFact]]) -> None:
    membership = facts["101"][0].fact
    assert isinstance(membership, MemberOf)
    assert membership.organisation == ("Global Police Network", "GPN")


def test_an_operation_minted_as_unnamed_has_no_name_whatever_its_label(
    facts: dict[str, list[SystemFact]],
) -> None:
    names = [item.fact.name for item in facts["102"] if isinstance(item.fact, Operation)]
    assert names == [("Operation Lantern",), ()]


SMALL = """
@base <https://w3id.org/kgnews/> .
@prefix kg: <https://w3id.org/kgnews/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

<graph/articles/201> {
    <doc/articles/201> a kg:Document ; dcterms:identifier "articles/201" .
    <doc/articles/201#char=0,20> nif:referenceContext <doc/articles/201> ;
        nif:beginIndex 0 ; nif:endIndex 20 .
    <id/operation/articles-201-4> skos:prefLabel "a raid" .
    <id/operation/articles-201-raid> skos:prefLabel "Articles 201 Raid" .
    <fact/operation/1> a kg:OperationReport ;
        kg:operation <id/operation/articles-201-4> ;
        prov:wasDerivedFrom <doc/articles/201#char=0,20> .
    <fact/operation/2> a kg:OperationReport ;
        kg:operation <id/operation/articles-201-raid> ;
        prov:wasDerivedFrom <doc/articles/201#char=0,20> .
}
<graph/202> {
    <doc/202> a kg:Document ; dcterms:identifier "202" .
}
"""


def test_unnamed_is_read_from_the_iri_form_readme_states_and_silent_documents_are_kept() -> None:
    dataset = Dataset()
    dataset.parse(data=SMALL, format="trig")
    facts = read_facts(dataset)
    assert facts["202"] == []
    operations = {item.iri.rsplit("/", 1)[-1]: item.fact for item in facts["articles/201"]}
    assert operations["1"].name == ()
    assert operations["2"].name == ("Articles 201 Raid",)
    assert facts["articles/201"][0].sentences == (CitedSentence(0, 20, None),)

"""kg.rdf: facts become plain triples plus qualified nodes, in one named graph per document.

The sample documents below are written for these tests (never corpus text); ``sample()`` builds
them with a ``Resolution`` by hand, so no model is needed. ``tests/test_rdfio.py`` reuses it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyshacl import validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

from kg.errors import RdfError
from kg.iri import IriMinter, check_iri
from kg.rdf import (
    build_dataset,
    date_literal,
    document_graph,
    new_dataset,
)
from kg.records import (
    Count,
    Document,
    DocumentFacts,
    Entity,
    EntityKind,
    Fact,
    MemberCount,
    Membership,
    Mention,
    OperationReport,
    Position,
    Provenance,
    Resolution,
    Sentence,
    Statement,
    TreatyAction,
    TreatyActionKind,
)
from kg.vocab import KG, NIF, ONTOLOGY_PATH, SHAPES_PATH, WD

BASE = "https://example.org/kg/"
HOSTILE = 'x" . <http://evil/s> <http://evil/p> <http://evil/o> .'

NAMIBIA = Entity("country:NA", EntityKind.COUNTRY, "Namibia", wikidata="Q1030")
GHANA = Entity("country:GH", EntityKind.COUNTRY, "Ghana", wikidata="Q117")
KENYA = Entity("country:KE", EntityKind.COUNTRY, "Kenya", wikidata="Q114")
INTERPOL = Entity(
    "interpol",
    EntityKind.INTERNATIONAL_ORGANISATION,
    "INTERPOL",
    ("Interpol", "International Criminal Police Organization"),
)
AFRIPOL = Entity("afripol", EntityKind.LAW_ENFORCEMENT_AGENCY, "AFRIPOL", ("Afripol",))
EAPCCO = Entity("eapcco", EntityKind.INTERNATIONAL_ORGANISATION, "East African Police Chiefs")
ASSEMBLY = Entity("au-assembly", EntityKind.LEGISLATIVE_BODY, "Assembly of the African Union")
MALABO = Entity(
    "treaty:malabo-convention",
    EntityKind.TREATY,
    "Convention on Cyber Security and Personal Data Protection",
    ("Malabo Convention",),
)
SANDSTORM = Entity("operation:sandstorm", EntityKind.OPERATION, "Operation Sandstorm")
OKAFOR = Entity("person:jane-okafor", EntityKind.PERSON, "Jane Okafor")
YUSUF = Entity("person:amina-yusuf", EntityKind.PERSON, "Amina Yusuf")
EVIL_ORG = Entity(HOSTILE, EntityKind.ORGANISATION, HOSTILE, ("</script><b>", "a\nb \"c\" 'd'"))
EVIL_PERSON = Entity("person:{}|\\^`\x00", EntityKind.PERSON, 'Ann "Q" O\'Neil\u202e </script>')

ALPHA = [
    "Namibia has belonged to Interpol since 1990, officials said.",
    "With 196 member countries, Interpol is the largest police body.",
    "Ghana ratified the Malabo Convention in May 2021.",
    "Operation Sandstorm, coordinated by Afripol, ran from August to October 2024 "
    "with police from Ghana and Namibia, 11 countries in all.",
    "It ended with 312 arrests\nand 2000000 USD seized.",
    'Afripol Executive Director Jane Okafor said: "Borders do not stop criminals."',
]
BETA = [
    "Interpol has 194 members, according to its website.",
    "Kenya belonged to the East African Police Chiefs from 1998 to 30 June 2009.",
    "The convention was adopted by the Assembly in June 2014, and Kenya acceded to it in 2023.",
    "Namibia signed the Malabo Convention.",
    "Minister Amina Yusuf welcomed the news.",
    "Kenya is also a member of Interpol.",
]
GAMMA = [
    f"The group {HOSTILE} has 3 members.",
    'Ann "Q" O\'Neil said: "</script> is not code".',
]


class _Doc:
    """A document under construction: its sentences, offsets and resolved mentions."""

    def __init__(self, res: Resolution, doc_id: str, sentences: list[str], **meta: str) -> None:
        self.res = res
        self.document = Document(id=doc_id, text=" ".join(sentences), **meta)
        self.starts = [sum(len(s) + 1 for s in sentences[:i]) for i in range(len(sentences))]
        self.sentences = sentences
        self.facts: list[Fact] = []

    def sentence(self, i: int) -> Sentence:
        start = self.starts[i]
        end = start + len(self.sentences[i])
        return Sentence(self.document.id, start, end, self.document.text[start:end])

    def mention(self, i: int, phrase: str, entity: Entity) -> Mention:
        start = self.document.text.index(phrase, self.starts[i])
        end = start + len(phrase)
        self.res.entities[entity.key] = entity
        self.res.by_mention[(self.document.id, start, end)] = entity.key
        return Mention(phrase, entity.kind, start, end, key=entity.key)

    def fact(self, claim: object, *sentences: int, rule: str, confidence: float = 0.9) -> None:
        provenance = Provenance(tuple(self.sentence(i) for i in sentences), rule, confidence)
        self.facts.append(Fact(claim, provenance))  # type: ignore[arg-type]

    def done(self) -> DocumentFacts:
        return DocumentFacts(self.document, tuple(self.facts))


def sample(hostile: bool = False) -> tuple[list[DocumentFacts], Resolution]:
    """Two news documents covering all six claim types (plus a hostile one on request)."""
    res = Resolution()
    a = _Doc(res, "wire/alpha", ALPHA, title="Police roundup", date="2024-11-27", source="Wire")
    a.fact(
        Membership(a.mention(0, "Namibia", NAMIBIA), a.mention(0, "Interpol", INTERPOL), "1990"),
        0,
        rule="membership.member_since.v1",
    )
    a.fact(MemberCount(a.mention(1, "Interpol", INTERPOL), 196), 1, rule="member_count.n.v1")
    a.fact(
        TreatyAction(
            TreatyActionKind.RATIFIED,
            a.mention(2, "Ghana", GHANA),
            a.mention(2, "Malabo Convention", MALABO),
            "2021-05",
        ),
        2,
        rule="treaty.ratified.v1",
        confidence=0.75,
    )
    a.fact(
        OperationReport(
            a.mention(3, "Operation Sandstorm", SANDSTORM),
            name="Operation Sandstorm",
            coordinators=(a.mention(3, "Afripol", AFRIPOL),),
            participants=(a.mention(3, "Ghana", GHANA), a.mention(3, "Namibia", NAMIBIA)),
            participant_count=11,
            start="2024-08",
            end="2024-10",
            arrests=312,
            counts=(Count("USD seized", 2000000, "USD"), Count("arrests", 312)),
        ),
        3,
        4,
        rule="operation.report.v2",
    )
    okafor = a.mention(5, "Jane Okafor", OKAFOR)
    a.fact(
        Position(okafor, "Executive Director", a.mention(5, "Afripol", AFRIPOL)),
        5,
        rule="position.title_name.v1",
    )
    a.fact(Statement(okafor, "Borders do not stop criminals."), 5, rule="statement.said.v1")

    b = _Doc(res, "wire/beta", BETA, date="2024-12")
    b.fact(MemberCount(b.mention(0, "Interpol", INTERPOL), 194), 0, rule="member_count.n.v1")
    b.fact(
        Membership(
            b.mention(1, "Kenya", KENYA),
            b.mention(1, "East African Police Chiefs", EAPCCO),
            since="1998",
            until="2009-06-30",
        ),
        1,
        rule="membership.from_to.v1",
    )
    convention = b.mention(2, "The convention", MALABO)
    b.fact(
        TreatyAction(
            TreatyActionKind.ADOPTED, b.mention(2, "Assembly", ASSEMBLY), convention, "2014-06"
        ),
        2,
        rule="treaty.adopted.v1",
    )
    b.fact(
        TreatyAction(TreatyActionKind.ACCEDED, b.mention(2, "Kenya", KENYA), convention, "2023"),
        2,
        rule="treaty.acceded.v1",
    )
    b.fact(
        TreatyAction(
            TreatyActionKind.SIGNED,
            b.mention(3, "Namibia", NAMIBIA),
            b.mention(3, "Malabo Convention", MALABO),
        ),
        3,
        rule="treaty.signed.v1",
    )
    b.fact(Position(b.mention(4, "Amina Yusuf", YUSUF), "Minister"), 4, rule="position.v1")
    b.fact(
        Membership(b.mention(5, "Kenya", KENYA), b.mention(5, "Interpol", INTERPOL)),
        5,
        rule="membership.is_member.v1",
    )
    docs = [a.done(), b.done()]
    if hostile:
        c = _Doc(res, 'evil/<x> "y"\n', GAMMA, title="</script>\n" + HOSTILE, source=HOSTILE)
        c.fact(MemberCount(c.mention(0, HOSTILE, EVIL_ORG), 3), 0, rule="member_count.n.v1")
        c.fact(
            Statement(c.mention(1, 'Ann "Q" O\'Neil', EVIL_PERSON), "</script>\n" + HOSTILE),
            1,
            rule="statement.said.v1",
        )
        docs.append(c.done())
    return docs, res


@pytest.fixture(scope="module")
def minter() -> IriMinter:
    return IriMinter(BASE)


@pytest.fixture(scope="module")
def built(minter: IriMinter) -> tuple[Dataset, list[DocumentFacts], Resolution]:
    docs, res = sample()
    return build_dataset(docs, res, minter, extractor_version="kg test"), docs, res


@pytest.fixture(scope="module")
def dataset(built: tuple[Dataset, list[DocumentFacts], Resolution]) -> Dataset:
    return built[0]


def graph_of(dataset: Dataset, minter: IriMinter, doc_id: str) -> Graph:
    return dataset.graph(minter.graph(doc_id))


def fact_node(graph: Graph, cls: URIRef, **values: URIRef | Literal) -> URIRef:
    """The one node of ``cls`` in ``graph`` with the given kg: property values."""
    nodes = [
        node
        for node in graph.subjects(RDF.type, cls)
        if all((node, KG[prop], value) in graph for prop, value in values.items())
    ]
    assert len(nodes) == 1, nodes
    return nodes[0]


def e(minter: IriMinter, entity: Entity) -> URIRef:
    return minter.entity(entity)


def shacl(data: Graph | Dataset) -> tuple[bool, str]:
    conforms, _, text = validate(
        data,
        shacl_graph=Graph().parse(SHAPES_PATH),
        ont_graph=Graph().parse(ONTOLOGY_PATH),
        inference="none",
    )
    return conforms, text


# --- memberships ---------------------------------------------------------------------------


def test_membership_is_a_plain_triple_and_a_qualified_node_with_an_interval(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    namibia, interpol = e(minter, NAMIBIA), e(minter, INTERPOL)
    assert (namibia, ORG.memberOf, interpol) in g
    node = fact_node(g, KG.Membership)
    assert (node, ORG.member, namibia) in g
    assert (node, ORG.organization, interpol) in g
    assert (node, KG.since, Literal("1990", datatype=XSD.gYear)) in g
    interval = URIRef(f"{node}/interval")
    begin = URIRef(f"{interval}/begin")
    assert (node, ORG.memberDuring, interval) in g
    assert (interval, RDF.type, TIME.Interval) in g
    assert (interval, TIME.hasBeginning, begin) in g
    assert (begin, RDF.type, TIME.Instant) in g
    assert (begin, TIME.inXSDgYear, Literal("1990", datatype=XSD.gYear)) in g
    assert (interval, TIME.hasEnd, None) not in g


def test_membership_interval_ends_carry_the_precision_the_text_gives(dataset, minter):
    g = graph_of(dataset, minter, "wire/beta")
    node = fact_node(g, KG.Membership, since=Literal("1998", datatype=XSD.gYear))
    end = URIRef(f"{node}/interval/end")
    assert (node, KG.until, Literal("2009-06-30", datatype=XSD.date)) in g
    assert (URIRef(f"{node}/interval"), TIME.hasEnd, end) in g
    assert (end, TIME.inXSDDate, Literal("2009-06-30", datatype=XSD.date)) in g


def test_membership_without_dates_has_no_interval(dataset, minter):
    g = graph_of(dataset, minter, "wire/beta")
    nodes = list(g.subjects(ORG.organization, e(minter, INTERPOL)))
    assert len(nodes) == 1
    node = nodes[0]
    assert (e(minter, KENYA), ORG.memberOf, e(minter, INTERPOL)) in g
    assert (node, ORG.memberDuring, None) not in g
    assert (node, KG.since, None) not in g


# --- member counts ---------------------------------------------------------------------------


def test_disagreeing_member_counts_are_both_kept_each_in_its_source_graph(dataset, minter):
    interpol = e(minter, INTERPOL)
    alpha, beta = graph_of(dataset, minter, "wire/alpha"), graph_of(dataset, minter, "wire/beta")
    assert set(alpha.objects(interpol, KG.memberCount)) == {Literal(196)}
    assert set(beta.objects(interpol, KG.memberCount)) == {Literal(194)}
    assert set(dataset.objects(interpol, KG.memberCount)) == {Literal(196), Literal(194)}
    node = fact_node(alpha, KG.MemberCount, organisation=interpol)
    assert (node, KG.count, Literal(196, datatype=XSD.integer)) in alpha


# --- treaty actions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_id", "agent", "cls", "plain", "word", "when"),
    [
        (
            "wire/alpha",
            GHANA,
            KG.Ratification,
            KG.ratified,
            "ratified",
            ("2021-05", XSD.gYearMonth),
        ),
        ("wire/beta", ASSEMBLY, KG.Adoption, KG.adopted, "adopted", ("2014-06", XSD.gYearMonth)),
        ("wire/beta", KENYA, KG.Accession, KG.acceded, "acceded", ("2023", XSD.gYear)),
        ("wire/beta", NAMIBIA, KG.Signature, KG.signed, "signed", None),
    ],
)
def test_each_treaty_action_kind_has_its_class_and_plain_property(
    dataset, minter, doc_id, agent, cls, plain, word, when
):
    g = graph_of(dataset, minter, doc_id)
    agent_iri, treaty = e(minter, agent), e(minter, MALABO)
    assert (agent_iri, plain, treaty) in g
    node = fact_node(g, cls, agent=agent_iri)
    assert (node, KG.treaty, treaty) in g
    assert (node, KG.action, Literal(word)) in g
    dates = set(g.objects(node, KG.date))
    assert dates == ({Literal(when[0], datatype=when[1])} if when else set())


# --- operations ------------------------------------------------------------------------------


def test_operation_report_writes_plain_triples_on_the_operation(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    op = e(minter, SANDSTORM)
    assert op == URIRef(BASE + "id/operation/sandstorm")
    assert (op, RDF.type, KG.Operation) in g
    assert (op, KG.coordinatedBy, e(minter, AFRIPOL)) in g
    assert set(g.objects(op, KG.participant)) == {e(minter, GHANA), e(minter, NAMIBIA)}
    assert (op, KG.participantCount, Literal(11)) in g
    assert (op, KG.arrests, Literal(312)) in g
    assert (op, KG.startDate, Literal("2024-08", datatype=XSD.gYearMonth)) in g
    assert (op, KG.endDate, Literal("2024-10", datatype=XSD.gYearMonth)) in g


def test_operation_report_node_carries_qualifiers_and_typed_counts(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    node = fact_node(g, KG.OperationReport, operation=e(minter, SANDSTORM))
    assert (node, KG.coordinator, e(minter, AFRIPOL)) in g
    assert set(g.objects(node, KG.participant)) == {e(minter, GHANA), e(minter, NAMIBIA)}
    assert (node, KG.arrests, Literal(312)) in g
    money, arrests = URIRef(f"{node}/count/1"), URIRef(f"{node}/count/2")
    assert set(g.objects(node, KG.count)) == {money, arrests}
    assert (money, RDF.type, KG.Count) in g
    assert (money, KG.countOf, Literal("USD seized")) in g
    assert (money, KG.value, Literal(2000000)) in g
    assert (money, KG.unit, Literal("USD")) in g
    assert (arrests, KG.unit, None) not in g
    assert len(set(g.objects(node, PROV.wasDerivedFrom))) == 2


# --- positions and statements ----------------------------------------------------------------


def test_position_links_person_post_role_and_organisation(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    person, afripol = e(minter, OKAFOR), e(minter, AFRIPOL)
    post = URIRef(BASE + "id/post/afripol/executive-director")
    role = URIRef(BASE + "id/role/executive-director")
    assert (person, ORG.holds, post) in g
    assert (post, ORG.postIn, afripol) in g
    assert (post, ORG.role, role) in g
    assert (post, RDFS.label, Literal("Executive Director of AFRIPOL")) in g
    assert (role, RDF.type, KG.Role) in g
    node = fact_node(g, KG.PositionHolding, person=person)
    assert (node, KG.post, post) in g
    assert (node, KG.role, Literal("Executive Director")) in g
    assert (node, KG.organisation, afripol) in g


def test_position_without_organisation_has_a_post_of_its_own(dataset, minter):
    g = graph_of(dataset, minter, "wire/beta")
    post = URIRef(BASE + "id/post/minister")
    assert (e(minter, YUSUF), ORG.holds, post) in g
    assert (post, ORG.postIn, None) not in g
    assert (post, RDFS.label, Literal("Minister")) in g
    node = fact_node(g, KG.PositionHolding)
    assert (node, KG.organisation, None) not in g


def test_statement_node_is_the_fact(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    node = fact_node(g, KG.Statement, speaker=e(minter, OKAFOR))
    assert (node, KG.quote, Literal("Borders do not stop criminals.")) in g
    assert str(node).startswith(BASE + "fact/statement/")


# --- provenance, documents, entities ---------------------------------------------------------


def test_every_fact_cites_sentences_whose_text_and_offsets_match_the_document(built, minter):
    dataset, docs, _ = built
    for doc_facts in docs:
        doc = doc_facts.document
        g = graph_of(dataset, minter, doc.id)
        facts = set(g.subjects(KG.rule, None))
        assert len(facts) == len(doc_facts.facts)
        for node in facts:
            sentences = list(g.objects(node, PROV.wasDerivedFrom))
            assert sentences
            assert (node, PROV.wasGeneratedBy, minter.extraction(doc.id)) in g
            for sentence in sentences:
                begin = g.value(sentence, NIF.beginIndex).toPython()
                end = g.value(sentence, NIF.endIndex).toPython()
                assert g.value(sentence, NIF.anchorOf) == Literal(doc.text[begin:end])
                assert g.value(sentence, NIF.referenceContext) == minter.document(doc.id)
                assert sentence == minter.sentence(doc.id, begin, end)


def test_fact_nodes_carry_rule_and_decimal_confidence(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    node = fact_node(g, KG.Ratification)
    assert (node, KG.rule, Literal("treaty.ratified.v1")) in g
    confidence = g.value(node, KG.confidence)
    assert confidence.datatype == XSD.decimal
    assert confidence.toPython() == Decimal("0.75")


def test_one_sentence_node_per_sentence_shared_by_its_facts(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    assert len(set(g.subjects(RDF.type, NIF.Sentence))) == len(ALPHA)
    shared = minter.sentence("wire/alpha", *_span(ALPHA, 5))
    assert len(set(g.subjects(PROV.wasDerivedFrom, shared))) == 2
    assert len(list(g.triples((shared, NIF.anchorOf, None)))) == 1


def test_sentence_text_keeps_its_newline(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    sentence = minter.sentence("wire/alpha", *_span(ALPHA, 4))
    assert g.value(sentence, NIF.anchorOf) == Literal(ALPHA[4])


def test_document_and_extraction_metadata(dataset, minter):
    g = graph_of(dataset, minter, "wire/alpha")
    doc = URIRef(BASE + "doc/wire/alpha")
    assert (doc, RDF.type, KG.Document) in g
    assert (doc, DCTERMS.identifier, Literal("wire/alpha")) in g
    assert (doc, DCTERMS.title, Literal("Police roundup")) in g
    assert (doc, DCTERMS.date, Literal("2024-11-27", datatype=XSD.date)) in g
    assert (doc, DCTERMS.source, Literal("Wire")) in g
    assert len(str(g.value(doc, KG.contentHash))) == 64
    activity = URIRef(BASE + "doc/wire/alpha#extraction")
    assert (activity, RDF.type, PROV.Activity) in g
    assert (activity, PROV.used, doc) in g
    assert (activity, KG.extractorVersion, Literal("kg test")) in g
    beta = graph_of(dataset, minter, "wire/beta")
    assert (
        minter.document("wire/beta"),
        DCTERMS.date,
        Literal("2024-12", datatype=XSD.gYearMonth),
    ) in beta


def test_entities_are_typed_and_labelled_in_every_graph_that_mentions_them(dataset, minter):
    interpol = e(minter, INTERPOL)
    assert interpol == URIRef(BASE + "id/org/interpol")
    for doc_id in ("wire/alpha", "wire/beta"):
        g = graph_of(dataset, minter, doc_id)
        assert (interpol, RDF.type, KG.InternationalOrganisation) in g
        assert set(g.objects(interpol, SKOS.prefLabel)) == {Literal("INTERPOL")}
        assert (interpol, RDFS.label, Literal("INTERPOL")) in g
        assert set(g.objects(interpol, SKOS.altLabel)) == {
            Literal("Interpol"),
            Literal("International Criminal Police Organization"),
        }
    alpha = graph_of(dataset, minter, "wire/alpha")
    namibia = e(minter, NAMIBIA)
    assert namibia == URIRef(BASE + "id/country/na")
    assert (namibia, RDF.type, KG.Country) in alpha
    assert (namibia, KG.isoCode, Literal("NA")) in alpha
    assert (namibia, KG.wikidata, WD.Q1030) in alpha
    assert (e(minter, KENYA), None, None) not in alpha


def test_each_document_has_its_own_named_graph_and_nothing_else_is_written(built, minter):
    dataset, docs, _ = built
    names = {g.identifier for g in dataset.graphs() if len(g)}
    assert names == {minter.graph(d.document.id) for d in docs}
    assert all(name.startswith(BASE + "graph/") for name in names)
    facts = [s for s, _, _, _ in dataset.quads((None, KG.rule, None, None))]
    assert len(facts) == len(set(facts)) == sum(len(d.facts) for d in docs)


def test_no_blank_nodes(dataset):
    assert not [q for q in dataset.quads() if any(isinstance(t, BNode) for t in q[:3])]


def test_building_twice_gives_the_same_iris_and_isomorphic_graphs(dataset, minter):
    docs, res = sample()
    again = build_dataset(docs, res, IriMinter(BASE), extractor_version="kg test")
    first = {g.identifier: g for g in dataset.graphs() if len(g)}
    second = {g.identifier: g for g in again.graphs() if len(g)}
    assert first.keys() == second.keys()
    for name, graph in first.items():
        assert set(graph) == set(second[name])
        assert isomorphic(graph, second[name])


def test_writing_a_document_again_replaces_its_graph(minter):
    docs, res = sample()
    dataset = build_dataset(docs, res, minter)
    alpha = docs[0]
    shorter = DocumentFacts(alpha.document, alpha.facts[:1])
    graph = document_graph(shorter, res, minter, dataset)
    assert len(set(graph.subjects(KG.rule, None))) == 1
    assert (e(minter, SANDSTORM), None, None) not in graph
    assert len(set(graph_of(dataset, minter, "wire/beta").subjects(KG.rule, None))) == 7


def test_a_document_that_cannot_be_written_leaves_the_dataset_untouched(minter):
    docs, res = sample()
    dataset = build_dataset(docs, res, minter)
    before = set(dataset.quads())
    alpha = docs[0]
    stray = Mention("amibia", EntityKind.COUNTRY, 1, 7)
    bad = Fact(MemberCount(stray, 3), alpha.facts[0].provenance)
    with pytest.raises(RdfError, match="not resolved"):
        document_graph(DocumentFacts(alpha.document, (*alpha.facts, bad)), res, minter, dataset)
    assert set(dataset.quads()) == before


def test_a_sentence_that_does_not_match_the_text_is_refused(minter):
    docs, res = sample()
    alpha = docs[0]
    fact = alpha.facts[0]
    wrong = Sentence(alpha.document.id, 0, 7, "Nigeria")
    moved = Fact(fact.claim, Provenance((wrong,), fact.provenance.rule, 0.5))
    with pytest.raises(RdfError, match="sentence record says 'Nigeria'"):
        build_dataset([DocumentFacts(alpha.document, (moved,))], res, minter)


def test_a_fact_without_a_sentence_is_refused(minter):
    docs, res = sample()
    alpha = docs[0]
    bare = Fact(alpha.facts[0].claim, Provenance((), "membership.v1", 0.5))
    with pytest.raises(RdfError, match="cites no sentence"):
        build_dataset([DocumentFacts(alpha.document, (bare,))], res, minter)


@pytest.mark.parametrize("confidence", [1.5, -0.1, float("nan")])
def test_a_confidence_outside_zero_to_one_is_refused(minter, confidence):
    docs, res = sample()
    alpha = docs[0]
    fact = alpha.facts[0]
    odd = Fact(fact.claim, Provenance(fact.provenance.sentences, "m.v1", confidence))
    with pytest.raises(RdfError, match="confidence between 0 and 1"):
        build_dataset([DocumentFacts(alpha.document, (odd,))], res, minter)


def test_the_same_document_twice_in_one_build_is_refused(minter):
    docs, res = sample()
    with pytest.raises(RdfError, match="twice"):
        build_dataset([docs[0], docs[0]], res, minter)


def test_new_dataset_binds_the_kg_prefixes():
    prefixes = dict(new_dataset().namespaces())
    for prefix in ("kg", "org", "time", "prov", "skos", "dcterms", "nif", "schema", "sem", "wd"):
        assert prefix in prefixes
    assert str(prefixes["kg"]) == "https://w3id.org/kgnews/ontology#"
    assert new_dataset().default_union


# --- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "datatype"),
    [("1980", XSD.gYear), ("2024-09", XSD.gYearMonth), ("1980-11-13", XSD.date)],
)
def test_date_datatype_follows_the_precision_of_the_iso_string(text, datatype):
    assert date_literal(text) == Literal(text, datatype=datatype)


@pytest.mark.parametrize(
    "text", ["", "80", "2024-13", "2024-02-30", "13 Nov 1980", "2024-11-27T10:00"]
)
def test_malformed_dates_are_refused(text):
    with pytest.raises(RdfError, match="date"):
        date_literal(text)


def test_labels_and_quotes_are_cleaned_but_sentence_anchors_are_not(minter):
    docs, res = sample(hostile=True)
    dataset = build_dataset(docs, res, minter)
    person = {str(o) for o in dataset.objects(e(minter, EVIL_PERSON), SKOS.prefLabel)}
    assert person == {'Ann "Q" O\'Neil </script>'}
    assert {str(o) for o in dataset.objects(None, KG.quote)} >= {f"</script> {HOSTILE}"}
    anchors = {str(o) for o in dataset.objects(None, NIF.anchorOf)}
    assert ALPHA[4] in anchors


def test_hostile_labels_stay_literals_and_no_iri_comes_from_text(minter):
    docs, res = sample(hostile=True)
    dataset = build_dataset(docs, res, minter)
    iris = {t for q in dataset.quads() for t in q if isinstance(t, URIRef)}
    assert not [iri for iri in iris if iri.startswith("http://evil")]
    minted = [iri for iri in iris if iri.startswith(BASE)]
    assert all(check_iri(iri) == iri for iri in minted)
    labels = {str(o) for o in dataset.objects(e(minter, EVIL_ORG), SKOS.prefLabel)}
    assert labels == {HOSTILE}
    assert {str(o) for o in dataset.objects(e(minter, EVIL_ORG), SKOS.altLabel)} == {
        "</script><b>",
        "a b \"c\" 'd'",
    }


# --- SHACL -----------------------------------------------------------------------------------


def test_the_written_dataset_conforms_to_the_shapes(minter):
    docs, res = sample(hostile=True)
    dataset = build_dataset(docs, res, minter)
    conforms, report = shacl(dataset)
    assert conforms, report


def test_each_document_graph_conforms_on_its_own(dataset):
    for graph in dataset.graphs():
        if len(graph):
            copy = Graph()
            copy += graph
            conforms, report = shacl(copy)
            assert conforms, report


def _broken(dataset: Dataset, minter: IriMinter, edit) -> Graph:
    graph = Graph()
    graph += graph_of(dataset, minter, "wire/alpha")
    edit(graph)
    return graph


def _set(graph: Graph, subject: URIRef, predicate: URIRef, value: Literal | URIRef) -> None:
    graph.set((subject, predicate, value))


@pytest.mark.parametrize(
    ("name", "edit", "path"),
    [
        (
            "confidence above one",
            lambda g: _set(
                g, fact_node(g, KG.Ratification), KG.confidence, Literal(Decimal("1.5"))
            ),
            "confidence",
        ),
        (
            "sentence that ends before it begins",
            lambda g: [
                _set(g, s, NIF.endIndex, Literal(0, datatype=XSD.nonNegativeInteger))
                for s in list(g.subjects(RDF.type, NIF.Sentence))
            ],
            "beginIndex",
        ),
        (
            "fact without a sentence",
            lambda g: g.remove((fact_node(g, KG.Statement), PROV.wasDerivedFrom, None)),
            "wasDerivedFrom",
        ),
        (
            "fact derived from something that is not a sentence",
            lambda g: g.add((fact_node(g, KG.Statement), PROV.wasDerivedFrom, URIRef(BASE + "x"))),
            "wasDerivedFrom",
        ),
        (
            "entity with two preferred labels",
            lambda g: g.add((URIRef(BASE + "id/org/interpol"), SKOS.prefLabel, Literal("IPO"))),
            "prefLabel",
        ),
        (
            "entity without a kg class",
            lambda g: g.remove((URIRef(BASE + "id/org/interpol"), RDF.type, None)),
            "Entity",
        ),
        (
            "date typed as a string",
            lambda g: _set(g, fact_node(g, KG.Membership), KG.since, Literal("1990")),
            "since",
        ),
        (
            "count without a value",
            lambda g: g.remove((None, KG.value, None)),
            "value",
        ),
        (
            "treaty action whose word contradicts its class",
            lambda g: _set(g, fact_node(g, KG.Ratification), KG.action, Literal("signed")),
            "action",
        ),
    ],
)
def test_the_shapes_reject_broken_data(dataset, minter, name, edit, path):
    conforms, report = shacl(_broken(dataset, minter, edit))
    assert not conforms, name
    assert path in report


def _span(sentences: list[str], i: int) -> tuple[int, int]:
    start = sum(len(s) + 1 for s in sentences[:i])
    return start, start + len(sentences[i])


def test_a_claim_of_an_unknown_type_is_refused(minter):
    docs, res = sample()
    alpha = docs[0]
    odd = Fact(Count("arrests", 3), alpha.facts[0].provenance)  # type: ignore[arg-type]
    with pytest.raises(RdfError, match="six claim types, got Count"):
        build_dataset([DocumentFacts(alpha.document, (odd,))], res, minter)

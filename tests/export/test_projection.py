"""The projection: kg's RDF as the networkx graph every export writes, on hand-written graphs."""

from __future__ import annotations

import re

import networkx as nx
import pytest
from networkx.algorithms.link_analysis import pagerank_alg

from kg.errors import InputError, QueryError
from kg.export.projection import (
    ENTITY_TYPES,
    QUERY_DIR,
    colours,
    louvain_communities,
    pagerank,
    to_networkx,
)

ID = "https://w3id.org/kgnews/id/"
VELDORIA, PORTUGAL = ID + "country/xv", ID + "country/pt"
INTERPOL, EUROPOL = ID + "org/interpol", ID + "org/europol"
ANA, TOM, RUI = ID + "person/ana-ferreira", ID + "person/tom-lindqvist", ID + "person/rui-tavares"
BUDAPEST = ID + "treaty/convention-on-cybercrime"
HARBOUR = ID + "operation/harbour-light"
DOC_ONE, DOC_TWO = "veldoria-joins-interpol", "operation-harbour-light"
ORG = "http://www.w3.org/ns/org#"
KG = "https://w3id.org/kgnews/ontology#"

NODE_KEYS = {
    "label": str,
    "type": str,
    "iri": str,
    "documents": int,
    "color": str,
    "degree": int,
    "pagerank": float,
    "community": int,
    "size": float,
}
EDGE_KEYS = {
    "label": str,
    "predicate": str,
    "documents": int,
    "sources": str,
    "weight": int,
}


@pytest.fixture(scope="module")
def entity(mini) -> nx.MultiDiGraph:
    return to_networkx(mini)


def edge(graph: nx.MultiDiGraph, source: str, label: str, target: str) -> dict:
    (found,) = [d for d in graph.get_edge_data(source, target, default={}).values()
                if d["label"] == label]  # fmt: skip
    return found


def edges(graph: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    return {(s, d["label"], t) for s, t, d in graph.edges(data=True)}


def all_values(graph: nx.MultiDiGraph) -> list[object]:
    values = list(graph.graph.values())
    for _, data in graph.nodes(data=True):
        values.extend(data.values())
    for *_, data in graph.edges(data=True):
        values.extend(data.values())
    return values


# --- the entity projection -----------------------------------------------------------


def test_entities_are_nodes_with_label_type_iri_and_colour(entity):
    assert set(entity) == {
        VELDORIA, PORTUGAL, INTERPOL, EUROPOL, ANA, TOM, RUI, BUDAPEST, HARBOUR
    }  # fmt: skip
    veldoria = entity.nodes[VELDORIA]
    assert veldoria["label"] == "Veldoria"
    assert veldoria["type"] == "Country"
    assert veldoria["iri"] == VELDORIA
    assert veldoria["alt_labels"] == "Republic of Veldoria"
    assert veldoria["color"] == colours()["Country"]
    assert entity.nodes[INTERPOL]["type"] == "InternationalOrganisation"
    names = "ICPO | International Criminal Police Organization"
    assert entity.nodes[INTERPOL]["alt_labels"] == names


def test_every_node_and_edge_carries_the_contract_attributes_with_their_types(entity):
    for _, data in entity.nodes(data=True):
        for key, kind in NODE_KEYS.items():
            assert isinstance(data[key], kind), (key, data)
        assert re.fullmatch(r"#[0-9a-f]{6}", data["color"])
        assert 10.0 <= data["size"] <= 50.0
    for *_, data in entity.edges(data=True):
        for key, kind in EDGE_KEYS.items():
            assert isinstance(data[key], kind), (key, data)
        assert data["weight"] == data["documents"]
    assert entity.graph == {"projection": "entity", "name": "kg entity graph"}


def test_no_value_is_a_list_or_none(entity, mini):
    for graph in (entity, to_networkx(mini, projection="rdf")):
        for value in all_values(graph):
            assert isinstance(value, str | int | float | bool), value


def test_facts_become_edges_labelled_by_predicate(entity):
    assert edges(entity) == {
        (VELDORIA, "memberOf", INTERPOL),
        (VELDORIA, "signed", BUDAPEST),
        (VELDORIA, "ratified", BUDAPEST),
        (HARBOUR, "coordinatedBy", INTERPOL),
        (HARBOUR, "coordinatedBy", EUROPOL),
        (HARBOUR, "participant", VELDORIA),
        (HARBOUR, "participant", PORTUGAL),
        (ANA, "holds", INTERPOL),
        (TOM, "holds", EUROPOL),
    }
    assert edge(entity, VELDORIA, "memberOf", INTERPOL)["predicate"] == ORG + "memberOf"
    assert edge(entity, VELDORIA, "signed", BUDAPEST)["predicate"] == KG + "signed"


def test_an_edge_reported_by_two_documents_is_one_edge_counting_both(entity):
    membership = edge(entity, VELDORIA, "memberOf", INTERPOL)
    assert membership["documents"] == membership["weight"] == 2
    assert membership["sources"] == f"{DOC_TWO} | {DOC_ONE}"
    assert membership["since"] == "2021"  # the earliest: 2021 starts before March 2021
    assert entity.number_of_edges(VELDORIA, INTERPOL) == 1


def test_qualifiers_fold_into_edges(entity):
    assert edge(entity, VELDORIA, "signed", BUDAPEST)["date"] == "2022-05-12"
    assert edge(entity, VELDORIA, "ratified", BUDAPEST)["date"] == "2023"
    coordination = edge(entity, HARBOUR, "coordinatedBy", EUROPOL)
    assert (coordination["start"], coordination["end"]) == ("2023-06", "2023-08")
    assert (coordination["arrests"], coordination["participant_count"]) == (40, 12)
    assert edge(entity, ANA, "holds", INTERPOL)["role"] == "Secretary General"
    assert edge(entity, ANA, "holds", INTERPOL)["predicate"] == ORG + "holds"


def test_facts_about_one_entity_become_its_attributes(entity):
    interpol = entity.nodes[INTERPOL]
    assert interpol["member_count"] == 196
    assert interpol["member_counts"] == "194 | 196"
    assert entity.nodes[RUI]["roles"] == "Commissioner"
    assert entity.nodes[TOM]["statements"] == 1
    assert entity.nodes[HARBOUR]["arrests"] == 40
    assert entity.nodes[HARBOUR]["start"] == "2023-06"


def test_documents_counts_the_documents_with_a_fact_about_the_node(entity):
    assert entity.nodes[INTERPOL]["documents"] == 2
    assert entity.nodes[ANA]["documents"] == 1
    assert entity.nodes[PORTUGAL]["documents"] == 1


def test_edge_keys_are_unique_ids_in_a_stable_order(entity, mini):
    keys = [key for *_, key in entity.edges(keys=True)]
    assert sorted(keys, key=lambda k: int(k[1:])) == [f"e{i}" for i in range(len(keys))]
    ordered = sorted(entity.edges(keys=True, data=True), key=lambda e: int(e[2][1:]))
    triples = [(s, d["predicate"], t) for s, t, _, d in ordered]
    assert triples == sorted(triples)
    again = to_networkx(mini)
    assert list(again.edges(keys=True, data=True)) == list(entity.edges(keys=True, data=True))
    assert list(again.nodes(data=True)) == list(entity.nodes(data=True))


def test_measures_degree_pagerank_community_and_size(entity):
    assert {n: d["degree"] for n, d in entity.nodes(data=True)} == dict(entity.degree())
    assert sum(d["pagerank"] for _, d in entity.nodes(data=True)) == pytest.approx(1.0)
    top = max(entity, key=lambda n: entity.nodes[n]["pagerank"])
    assert entity.nodes[top]["size"] == 50.0
    assert min(d["size"] for _, d in entity.nodes(data=True)) == 10.0
    assert {d["community"] for _, d in entity.nodes(data=True)} <= set(range(len(entity)))


def test_size_by_degree_gives_the_best_connected_node_the_largest_size(mini):
    graph = to_networkx(mini, size_by="degree")
    assert graph.nodes[VELDORIA]["size"] == 50.0  # five facts: the most
    assert graph.nodes[RUI]["size"] == 10.0


def test_pagerank_agrees_with_networkx():
    reference = getattr(pagerank_alg, "_pagerank_python", None)
    if reference is None:
        pytest.skip("this networkx has no pure-Python pagerank to compare with")
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", weight=2)
    graph.add_edge("a", "b", weight=1)
    graph.add_edge("b", "c", weight=1)
    graph.add_edge("c", "a", weight=3)
    graph.add_edge("d", "a", weight=1)
    graph.add_node("e")
    expected = reference(graph, weight="weight")  # networkx's defaults, as ours
    assert pagerank(graph) == pytest.approx(expected, abs=1e-9)


def test_communities_are_numbered_from_the_largest():
    graph = nx.MultiDiGraph()
    graph.add_edges_from([("a", "b"), ("b", "c"), ("c", "a"), ("x", "y")], weight=1)
    graph.add_node("z")
    found = louvain_communities(graph)
    assert found["a"] == found["b"] == found["c"] == 0
    assert found["x"] == found["y"] == 1
    assert found["z"] == 2


def test_labels_and_text_are_cleaned_of_control_and_bidi_characters(hostile):
    for graph in (to_networkx(hostile), to_networkx(hostile, projection="rdf")):
        for value in all_values(graph):
            if isinstance(value, str):
                assert not re.search("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", value), value
    person = to_networkx(hostile).nodes[ID + "person/control"]
    assert person["label"] == "Ana Ferreira[31m"


# --- subsets -------------------------------------------------------------------------


def test_types_keep_entities_of_those_classes_and_the_edges_among_them(mini):
    graph = to_networkx(mini, types=["Country", "InternationalOrganisation"])
    assert set(graph) == {VELDORIA, PORTUGAL, INTERPOL}
    assert edges(graph) == {(VELDORIA, "memberOf", INTERPOL)}
    assert graph.nodes[VELDORIA]["documents"] == 2  # its other facts still count


def test_predicates_keep_those_edges_and_the_nodes_they_join(mini):
    for asked in ("memberOf", ORG + "memberOf"):
        graph = to_networkx(mini, predicates=[asked])
        assert set(graph) == {VELDORIA, INTERPOL}
        assert edges(graph) == {(VELDORIA, "memberOf", INTERPOL)}


def test_documents_keep_what_those_documents_report(mini):
    graph = to_networkx(mini, documents=[DOC_ONE])
    assert set(graph) == {VELDORIA, INTERPOL, ANA, BUDAPEST}
    membership = edge(graph, VELDORIA, "memberOf", INTERPOL)
    assert (membership["documents"], membership["since"]) == (1, "2021-03")
    assert graph.nodes[INTERPOL]["member_count"] == 196
    assert "member_counts" not in graph.nodes[INTERPOL]


def test_a_date_range_keeps_facts_whose_dates_overlap_it(mini):
    graph = to_networkx(mini, since="2023", until="2023-12")
    # membership since 2021 is open-ended, so still true in 2023; the 2022 signature is not;
    # undated facts take their document's date (Ana Ferreira's report is from 2021)
    assert (VELDORIA, "memberOf", INTERPOL) in edges(graph)
    assert (VELDORIA, "signed", BUDAPEST) not in edges(graph)
    assert (VELDORIA, "ratified", BUDAPEST) in edges(graph)
    assert (HARBOUR, "participant", PORTUGAL) in edges(graph)
    assert ANA not in graph
    assert RUI in graph


def test_until_alone_keeps_what_started_before_it(mini):
    graph = to_networkx(mini, until="2021-12")
    assert edges(graph) == {(VELDORIA, "memberOf", INTERPOL), (ANA, "holds", INTERPOL)}
    assert graph.nodes[INTERPOL]["member_count"] == 196


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"types": ["Nation"]}, "unknown type 'Nation'"),
        ({"predicates": ["employs"]}, "unknown predicate 'employs'"),
        ({"documents": ["no-such-doc"]}, "unknown document 'no-such-doc'"),
        ({"since": "2021-13"}, "since expects a date"),
        ({"since": "2024", "until": "2023"}, "is after until"),
        ({"projection": "triples"}, "unknown projection"),
        ({"size_by": "betweenness"}, "unknown size measure"),
        ({"projection": "rdf", "since": "2021"}, "entity projection only"),
        ({"construct": "CONSTRUCT {} WHERE {}", "types": ["Country"]}, "cannot be combined"),
    ],
)
def test_bad_options_are_refused_with_what_was_expected(mini, options, message):
    with pytest.raises(InputError, match=re.escape(message)):
        to_networkx(mini, **options)


# --- the rdf projection --------------------------------------------------------------


def test_rdf_projection_has_a_node_per_term_and_an_edge_per_triple(mini):
    graph = to_networkx(mini, projection="rdf")
    triples = len(set(mini.triples((None, None, None))))
    assert graph.number_of_edges() == triples
    assert graph.graph["projection"] == "rdf"
    label = [d for s, _, d in graph.edges(VELDORIA, data=True) if d["label"] == "skos:prefLabel"]
    assert label[0]["documents"] == 2
    assert label[0]["sources"] == f"{DOC_TWO} | {DOC_ONE}"
    assert graph.nodes[VELDORIA]["type"] == "Country"
    assert graph.nodes[VELDORIA]["label"] == "Veldoria"


def test_rdf_projection_literals_are_nodes_with_stable_ids(mini):
    graph = to_networkx(mini, projection="rdf")
    literals = [n for n, d in graph.nodes(data=True) if d["type"] == "Literal"]
    assert literals and all(re.fullmatch(r"literal:[0-9a-f]{16}", n) for n in literals)
    forty = [n for n in literals if graph.nodes[n]["value"] == "40"]
    assert len(forty) == 1  # one node however many triples use the same literal
    assert graph.nodes[forty[0]]["datatype"].endswith("#integer")
    assert to_networkx(mini, projection="rdf").nodes[forty[0]] == graph.nodes[forty[0]]


def test_rdf_projection_subsets_by_predicate_document_and_type(mini):
    typed = to_networkx(mini, projection="rdf", predicates=["rdf:type"])
    assert {d["label"] for *_, d in typed.edges(data=True)} == {"rdf:type"}
    one = to_networkx(mini, projection="rdf", documents=[DOC_ONE])
    assert all(DOC_ONE in d["sources"] for *_, d in one.edges(data=True))
    assert HARBOUR not in one
    people = to_networkx(mini, projection="rdf", types=["Person"])
    assert {s for s, _ in people.edges()} == {ANA, TOM, RUI}


def test_construct_result_is_exported_as_an_rdf_graph(mini):
    graph = to_networkx(
        mini,
        construct="""
        PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX kg: <https://w3id.org/kgnews/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        CONSTRUCT { ?a org:memberOf ?b . ?op kg:arrests ?n . ?doc dcterms:source ?url }
        WHERE { { ?a org:memberOf ?b } UNION { ?op kg:arrests ?n }
                UNION { ?doc dcterms:source ?url } }
        """,
    )
    assert graph.graph["projection"] == "rdf"
    assert graph.nodes[VELDORIA]["type"] == "Country"  # types and labels from the source
    assert graph.nodes[INTERPOL]["label"] == "INTERPOL"
    # the operation and its report both say 40: one literal node for both triples
    (arrests,) = {t for _, t, d in graph.edges(data=True) if d["label"] == "kg:arrests"}
    assert graph.nodes[arrests]["type"] == "Literal"
    assert graph.nodes[arrests]["label"] == "40"
    urls = [t for _, t, d in graph.edges(data=True) if d["label"] == "dcterms:source"]
    assert {graph.nodes[u]["type"] for u in urls} == {"Literal"}  # a URL string stays a string


def test_construct_must_be_a_graph_query(mini):
    with pytest.raises(QueryError, match="CONSTRUCT"):
        to_networkx(mini, construct="SELECT ?s WHERE { ?s ?p ?o }")


# --- data ----------------------------------------------------------------------------


def test_entities_query_selects_exactly_the_entity_types():
    text = (QUERY_DIR / "entities.rq").read_text(encoding="utf-8")
    listed = re.search(r"VALUES \?class \{([^}]*)\}", text)
    assert listed is not None
    assert re.findall(r"kg:(\w+)", listed.group(1)) == list(ENTITY_TYPES)


def test_colour_table_colours_every_entity_type_in_precedence_order():
    table = list(colours())
    assert table[: len(ENTITY_TYPES)] == list(ENTITY_TYPES)
    assert "Literal" in table and "Resource" in table

"""The query layer: named questions on a hand-written graph, bindings, safety, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyshacl
import pytest
import rdflib.plugins.sparql
from rdflib import Dataset, Graph

from kg.errors import ParameterError, QueryError, UnknownQueryError
from kg.query import (
    QueryResult,
    format_result,
    get_named_query,
    named_queries,
    run_named,
    run_query,
)
from kg.vocab import ONTOLOGY_PATH, SHAPES_PATH

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
BASE = "https://w3id.org/kgnews/"
DOC_ONE = "veldoria-joins-interpol"
DOC_TWO = "operation-harbour-light"

S_JOINED = "Veldoria became a member of INTERPOL in March 2021."
S_196 = (
    "With Veldoria, the International Criminal Police Organization now counts 196 member countries."
)
S_FERREIRA = 'INTERPOL Secretary General Ana Ferreira said: "Every new member closes a gap."'
S_SIGNED = "Veldoria signed the Budapest Convention on 12 May 2022."
S_OPERATION = (
    "Operation Harbour Light, coordinated by INTERPOL and Europol, ran from June to August "
    "2023 in 12 countries including Veldoria and Portugal."
)
S_SEIZED = "Officers made 40 arrests and seized 1,200,000 US dollars and 300 counterfeit passports."
S_194 = (
    "INTERPOL, which has 194 member countries, said Veldoria had ratified the Convention on "
    "Cybercrime in 2023."
)
S_LINDQVIST = (
    '"The harbours are no longer safe for smugglers," '
    "said Europol Executive Director Tom Lindqvist."
)
S_SINCE = "Veldoria has been a member of the ICPO since 2021."
S_TAVARES = "Commissioner Rui Tavares praised the officers involved."

INJECTION = 'x") } ; DROP ALL #'


def load_fixture() -> Dataset:
    dataset = Dataset(default_union=True)
    dataset.parse(FIXTURE, format="trig")
    return dataset


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_fixture()


def rows(dataset: Dataset, name: str, **params: str) -> list[dict[str, object]]:
    return run_named(dataset, name, params).as_dicts()


def split(cell: object) -> set[str]:
    assert isinstance(cell, str)
    return set(cell.split(" | "))


# --- the fixture ------------------------------------------------------------------------


def test_fixture_graph_conforms_to_the_shapes_of_the_model() -> None:
    """The queries are only as good as the fixture is faithful to what kg writes."""
    shapes, ontology = Graph().parse(SHAPES_PATH), Graph().parse(ONTOLOGY_PATH)
    graphs = [graph for graph in load_fixture().graphs() if len(graph)]
    assert len(graphs) == 2
    for graph in graphs:
        conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology)
        assert conforms, report


# --- the catalogue ----------------------------------------------------------------------


def test_named_queries_are_sorted_by_name_and_cover_every_family() -> None:
    assert list(named_queries()) == [
        "entities",
        "evidence",
        "member-count-conflicts",
        "member-counts",
        "members",
        "operations",
        "positions",
        "sources",
        "statements",
        "treaty-actions",
    ]


def test_named_query_header_gives_title_description_and_parameters() -> None:
    members = get_named_query("members")
    assert members.title == "Members of an organisation"
    assert members.description.startswith("Who is a member of ORGANISATION")
    assert [(p.name, p.required) for p in members.parameters] == [("organisation", False)]
    assert members.path.name == "members.rq"
    evidence = get_named_query("evidence")
    assert [(p.name, p.required) for p in evidence.parameters] == [("entity", True)]
    treaty = get_named_query("treaty-actions")
    assert [p.name for p in treaty.parameters] == ["treaty", "agent", "action"]


# --- members ----------------------------------------------------------------------------

MEMBER_ROWS = [
    {
        "member": "Veldoria",
        "organisation": "INTERPOL",
        "since": "2021",
        "until": None,
        "sentence": S_SINCE,
        "document": DOC_TWO,
        "begin": 431,
        "end": 481,
        "rule": "membership.member_since.v1",
        "confidence": 0.9,
    },
    {
        "member": "Veldoria",
        "organisation": "INTERPOL",
        "since": "2021-03",
        "until": None,
        "sentence": S_JOINED,
        "document": DOC_ONE,
        "begin": 0,
        "end": 51,
        "rule": "membership.member_since.v1",
        "confidence": 0.9,
    },
]


def test_members_without_organisation_lists_every_membership_with_its_sentence(
    dataset: Dataset,
) -> None:
    assert rows(dataset, "members") == MEMBER_ROWS


@pytest.mark.parametrize(
    "organisation",
    [
        "INTERPOL",
        "interpol",
        "ICPO",
        "International Criminal Police Organization",
        "INTERNATIONAL criminal police ORGANIZATION",
        f"{BASE}id/org/interpol",
    ],
)
def test_members_finds_the_organisation_by_any_label_or_iri_showing_its_preferred_label(
    dataset: Dataset, organisation: str
) -> None:
    assert rows(dataset, "members", organisation=organisation) == MEMBER_ROWS


@pytest.mark.parametrize("organisation", ["Europol", "Interpo", ""])
def test_members_of_an_organisation_without_members_is_empty(
    dataset: Dataset, organisation: str
) -> None:
    assert rows(dataset, "members", organisation=organisation) == []


# --- member counts ----------------------------------------------------------------------

COUNT_ROWS = [
    {
        "organisation": "INTERPOL",
        "count": 194,
        "sentence": S_194,
        "document": DOC_TWO,
        "begin": 228,
        "end": 334,
        "rule": "member_count.has_members.v1",
        "confidence": 0.85,
    },
    {
        "organisation": "INTERPOL",
        "count": 196,
        "sentence": S_196,
        "document": DOC_ONE,
        "begin": 52,
        "end": 146,
        "rule": "member_count.counts_members.v1",
        "confidence": 0.85,
    },
]


def test_member_counts_reports_every_count_once_per_fact(dataset: Dataset) -> None:
    assert rows(dataset, "member-counts") == COUNT_ROWS


def test_member_counts_filters_by_acronym_case_insensitively(dataset: Dataset) -> None:
    assert rows(dataset, "member-counts", organisation="icpo") == COUNT_ROWS
    assert rows(dataset, "member-counts", organisation="Europol") == []


def test_member_count_conflicts_lists_the_disagreeing_counts_and_their_sources(
    dataset: Dataset,
) -> None:
    assert rows(dataset, "member-count-conflicts") == [
        {
            "organisation": "INTERPOL",
            "counts": "194 | 196",
            "sources": 2,
            "documents": f"{DOC_TWO} | {DOC_ONE}",
        }
    ]


# --- treaty actions ---------------------------------------------------------------------

SIGNED_ROW = {
    "agent": "Veldoria",
    "action": "signed",
    "treaty": "Convention on Cybercrime",
    "date": "2022-05-12",
    "sentence": S_SIGNED,
    "document": DOC_ONE,
    "begin": 226,
    "end": 281,
    "rule": "treaty.signed.v1",
    "confidence": 0.9,
}
RATIFIED_ROW = {
    "agent": "Veldoria",
    "action": "ratified",
    "treaty": "Convention on Cybercrime",
    "date": "2023",
    "sentence": S_194,
    "document": DOC_TWO,
    "begin": 228,
    "end": 334,
    "rule": "treaty.ratified.v1",
    "confidence": 0.9,
}


def test_treaty_actions_lists_each_action_with_its_date_precision(dataset: Dataset) -> None:
    assert rows(dataset, "treaty-actions") == [SIGNED_ROW, RATIFIED_ROW]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"treaty": "budapest convention"}, [SIGNED_ROW, RATIFIED_ROW]),
        ({"agent": "Republic of Veldoria", "action": "SIGNED"}, [SIGNED_ROW]),
        ({"action": "ratified", "treaty": "Convention on Cybercrime"}, [RATIFIED_ROW]),
        ({"action": "acceded"}, []),
        ({"agent": "Portugal"}, []),
    ],
)
def test_treaty_actions_filters_combine(
    dataset: Dataset, params: dict[str, str], expected: list[dict[str, object]]
) -> None:
    assert run_named(dataset, "treaty-actions", params).as_dicts() == expected


# --- operations -------------------------------------------------------------------------


def test_operations_gives_one_row_per_report_with_all_its_figures(dataset: Dataset) -> None:
    (row,) = rows(dataset, "operations")
    assert split(row.pop("coordinators")) == {"INTERPOL", "Europol"}
    assert split(row.pop("participants")) == {"Veldoria", "Portugal"}
    assert split(row.pop("counts")) == {
        "US dollars seized: 1200000 USD",
        "counterfeit passports seized: 300",
    }
    assert row == {
        "operation": "Operation Harbour Light",
        "participant_count": 12,
        "start": "2023-06",
        "end": "2023-08",
        "arrests": 40,
        "sentences": f"{S_OPERATION} | {S_SEIZED}",
        "offsets": "0-139 | 140-227",
        "document": DOC_TWO,
        "rule": "operation.report.v1",
        "confidence": 0.75,
    }


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"operation": "harbour light"}, 1),
        ({"operation": "Operation Harbour Light", "coordinator": "EUROPOL"}, 1),
        ({"coordinator": "International Criminal Police Organization"}, 1),
        ({"coordinator": "Veldoria"}, 0),  # a participant, not a coordinator
        ({"operation": "Operation Tidewater"}, 0),
    ],
)
def test_operations_filters_by_operation_and_coordinator(
    dataset: Dataset, params: dict[str, str], count: int
) -> None:
    assert len(run_named(dataset, "operations", params).rows) == count


# --- positions and statements -----------------------------------------------------------

FERREIRA_ROW = {
    "person": "Ana Ferreira",
    "role": "Secretary General",
    "organisation": "INTERPOL",
    "sentence": S_FERREIRA,
    "document": DOC_ONE,
    "begin": 147,
    "end": 225,
    "rule": "position.title_before_name.v1",
    "confidence": 0.8,
}
TAVARES_ROW = {
    "person": "Rui Tavares",
    "role": "Commissioner",
    "organisation": None,
    "sentence": S_TAVARES,
    "document": DOC_TWO,
    "begin": 482,
    "end": 537,
    "rule": "position.title_before_name.v1",
    "confidence": 0.6,
}
LINDQVIST_ROW = {
    "person": "Tom Lindqvist",
    "role": "Executive Director",
    "organisation": "Europol",
    "sentence": S_LINDQVIST,
    "document": DOC_TWO,
    "begin": 335,
    "end": 430,
    "rule": "position.title_before_name.v1",
    "confidence": 0.8,
}


def test_positions_lists_roles_including_those_without_an_organisation(
    dataset: Dataset,
) -> None:
    assert rows(dataset, "positions") == [FERREIRA_ROW, TAVARES_ROW, LINDQVIST_ROW]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"person": "ANA FERREIRA"}, [FERREIRA_ROW]),
        (
            {"organisation": "european union agency for law enforcement cooperation"},
            [LINDQVIST_ROW],
        ),
        ({"person": "Rui Tavares", "organisation": "Europol"}, []),
    ],
)
def test_positions_filters_by_person_and_organisation(
    dataset: Dataset, params: dict[str, str], expected: list[dict[str, object]]
) -> None:
    assert run_named(dataset, "positions", params).as_dicts() == expected


def test_statements_gives_speaker_quote_and_quoting_sentence(dataset: Dataset) -> None:
    ferreira = {
        "speaker": "Ana Ferreira",
        "quote": "Every new member closes a gap.",
        "sentence": S_FERREIRA,
        "document": DOC_ONE,
        "begin": 147,
        "end": 225,
        "rule": "statement.said_colon.v1",
        "confidence": 0.8,
    }
    lindqvist = {
        "speaker": "Tom Lindqvist",
        "quote": "The harbours are no longer safe for smugglers",
        "sentence": S_LINDQVIST,
        "document": DOC_TWO,
        "begin": 335,
        "end": 430,
        "rule": "statement.quote_said.v1",
        "confidence": 0.8,
    }
    assert rows(dataset, "statements") == [ferreira, lindqvist]
    assert rows(dataset, "statements", person="tom lindqvist") == [lindqvist]


# --- evidence, sources, entities --------------------------------------------------------


def test_evidence_lists_every_fact_naming_the_entity_with_its_sentences(
    dataset: Dataset,
) -> None:
    found = [
        (r["class"], r["via"], r["rule"], r["document"], r["begin"], r["end"])
        for r in rows(dataset, "evidence", entity="veldoria")
    ]
    assert found == [
        ("OperationReport", "participant", "operation.report.v1", DOC_TWO, 0, 139),
        ("OperationReport", "participant", "operation.report.v1", DOC_TWO, 140, 227),
        ("Ratification", "agent", "treaty.ratified.v1", DOC_TWO, 228, 334),
        ("Membership", "member", "membership.member_since.v1", DOC_TWO, 431, 481),
        ("Membership", "member", "membership.member_since.v1", DOC_ONE, 0, 51),
        ("Signature", "agent", "treaty.signed.v1", DOC_ONE, 226, 281),
    ]


def test_evidence_row_carries_fact_iri_confidence_and_sentence_text(dataset: Dataset) -> None:
    (row,) = [r for r in rows(dataset, "evidence", entity="Ana Ferreira") if r["via"] == "speaker"]
    assert row == {
        "entity": "Ana Ferreira",
        "fact": f"{BASE}fact/statement/5be81f0a93c4d217",
        "class": "Statement",
        "via": "speaker",
        "rule": "statement.said_colon.v1",
        "confidence": 0.8,
        "sentence": S_FERREIRA,
        "document": DOC_ONE,
        "begin": 147,
        "end": 225,
    }


def test_evidence_by_iri_matches_evidence_by_label(dataset: Dataset) -> None:
    by_label = rows(dataset, "evidence", entity="ICPO")
    assert len(by_label) == 7
    assert rows(dataset, "evidence", entity=f"{BASE}id/org/interpol") == by_label


def test_sources_lists_each_document_that_mentions_the_entity(dataset: Dataset) -> None:
    assert rows(dataset, "sources", entity="budapest convention") == [
        {
            "entity": "Convention on Cybercrime",
            "document": DOC_ONE,
            "graph": f"{BASE}graph/{DOC_ONE}",
            "title": "Veldoria joins INTERPOL",
            "date": "2021-03-15",
            "source": "https://news.example.org/2021/veldoria-joins-interpol",
        },
        {
            "entity": "Convention on Cybercrime",
            "document": DOC_TWO,
            "graph": f"{BASE}graph/{DOC_TWO}",
            "title": "Operation Harbour Light ends with 40 arrests",
            "date": "2023-09-02",
            "source": "https://news.example.org/2023/operation-harbour-light",
        },
    ]
    assert [r["document"] for r in rows(dataset, "sources", entity="Portugal")] == [DOC_TWO]


def test_entities_lists_every_entity_with_class_and_labels(dataset: Dataset) -> None:
    listed = rows(dataset, "entities")
    assert [(r["class"], r["label"]) for r in listed] == [
        ("Country", "Portugal"),
        ("Country", "Veldoria"),
        ("InternationalOrganisation", "INTERPOL"),
        ("LawEnforcementAgency", "Europol"),
        ("Operation", "Operation Harbour Light"),
        ("Person", "Ana Ferreira"),
        ("Person", "Rui Tavares"),
        ("Person", "Tom Lindqvist"),
        ("Treaty", "Convention on Cybercrime"),
    ]
    interpol = next(r for r in listed if r["label"] == "INTERPOL")
    assert interpol["entity"] == f"{BASE}id/org/interpol"
    assert split(interpol["alt_labels"]) == {"International Criminal Police Organization", "ICPO"}
    assert next(r for r in listed if r["label"] == "Rui Tavares")["alt_labels"] == ""


@pytest.mark.parametrize(
    "kind", ["LawEnforcementAgency", "law-enforcement-agency", "LAW_ENFORCEMENT_AGENCY"]
)
def test_entities_filters_by_kind_in_any_spelling(dataset: Dataset, kind: str) -> None:
    assert [r["label"] for r in rows(dataset, "entities", kind=kind)] == ["Europol"]


# --- no duplicates, no injection --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("members", {}),
        ("members", {"organisation": "interpol"}),
        ("member-counts", {}),
        ("treaty-actions", {"treaty": "convention on cybercrime"}),
        ("operations", {"coordinator": "interpol"}),
        ("positions", {}),
        ("statements", {}),
        ("evidence", {"entity": "INTERPOL"}),
        ("sources", {"entity": "interpol"}),
        ("entities", {}),
    ],
)
def test_entities_with_several_labels_in_several_graphs_give_no_duplicate_rows(
    dataset: Dataset, name: str, params: dict[str, str]
) -> None:
    result = run_named(dataset, name, params)
    assert result.rows
    assert len(set(result.rows)) == len(result.rows)


def test_a_parameter_value_is_a_string_not_sparql() -> None:
    dataset = load_fixture()
    size = len(dataset)
    assert rows(dataset, "members", organisation=INJECTION) == []
    assert rows(dataset, "evidence", entity=INJECTION) == []
    echoed = run_query(
        dataset, "SELECT ?out WHERE { BIND(STR(?value) AS ?out) }", {"value": INJECTION}
    )
    assert echoed.rows == ((INJECTION,),)
    assert len(dataset) == size


# --- errors -----------------------------------------------------------------------------


def test_unknown_named_query_suggests_a_close_name_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownQueryError) as caught:
        get_named_query("member")
    message = str(caught.value)
    assert "'member'" in message
    assert "did you mean 'members'?" in message
    assert "treaty-actions" in message
    assert isinstance(caught.value, KeyError)


def test_unknown_parameter_is_named_with_the_valid_ones(dataset: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"no parameter 'org'; valid parameters: organisation"):
        run_named(dataset, "members", {"org": "INTERPOL"})


def test_parameter_for_a_query_without_parameters_says_there_are_none(
    dataset: Dataset,
) -> None:
    with pytest.raises(ParameterError, match=r"valid parameters: none"):
        run_named(dataset, "member-count-conflicts", {"organisation": "INTERPOL"})


def test_missing_required_parameter_is_named(dataset: Dataset) -> None:
    with pytest.raises(ParameterError, match=r"'evidence' needs parameter 'entity'"):
        run_named(dataset, "evidence")


@pytest.mark.parametrize(
    ("sparql", "where"),
    [
        ("SELECT * WHERE { ?s ?p }", "(line 1, column 18)"),
        ("SELECT ?s\nWHERE {\n  ?s ?p ?o\n  FILTER(\n}", "(line 4, column 3)"),
        ("", "(line 1, column 1)"),
    ],
)
def test_malformed_sparql_reports_the_parser_message_and_position(
    dataset: Dataset, sparql: str, where: str
) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(dataset, sparql)
    message = str(caught.value)
    assert message.startswith("malformed SPARQL: Expected")
    assert message.endswith(where)
    assert caught.value.__cause__ is None


def test_undeclared_prefix_is_malformed_sparql(dataset: Dataset) -> None:
    with pytest.raises(QueryError, match=r"malformed SPARQL: .*prefix.*nope"):
        run_query(dataset, "SELECT * WHERE { ?s nope:p ?o }")


@pytest.mark.parametrize(
    "update",
    [
        "DROP ALL",
        "CLEAR DEFAULT",
        "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
    ],
)
def test_sparql_update_is_refused_and_changes_nothing(update: str) -> None:
    dataset = load_fixture()
    size = len(dataset)
    with pytest.raises(QueryError, match=r"SPARQL Update is not allowed"):
        run_query(dataset, update)
    assert len(dataset) == size


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o "
        "FILTER EXISTS { SERVICE SILENT <http://example.org/s> { ?s ?p ?o } } }",
    ],
)
def test_service_is_refused_wherever_it_appears(dataset: Dataset, sparql: str) -> None:
    with pytest.raises(QueryError, match=r"SERVICE is not allowed"):
        run_query(dataset, sparql)


@pytest.mark.parametrize(
    "clause", ["FROM <file:///etc/passwd>", "FROM NAMED <http://example.org/graph>"]
)
def test_from_a_graph_outside_the_dataset_is_refused(dataset: Dataset, clause: str) -> None:
    with pytest.raises(QueryError, match=r"names no graph in the dataset"):
        run_query(dataset, f"SELECT * {clause} WHERE {{ ?s ?p ?o }}")


def test_from_a_graph_of_the_dataset_restricts_the_query_to_it(dataset: Dataset) -> None:
    sparql = (
        "PREFIX kg: <https://w3id.org/kgnews/ontology#> "
        f"SELECT ?f FROM <{BASE}graph/{DOC_ONE}> WHERE {{ ?f a kg:Membership }}"
    )
    assert run_query(dataset, sparql).rows == ((f"{BASE}fact/member_of/3f9a0c41d2b7e865",),)


def test_graph_loading_is_off_while_a_query_runs_and_restored_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = load_fixture()
    seen: list[bool] = []
    query = dataset.query

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS)
        return query(*args, **kwargs)

    monkeypatch.setattr(dataset, "query", spy)
    monkeypatch.setattr(rdflib.plugins.sparql, "SPARQL_LOAD_GRAPHS", True)
    run_query(dataset, "ASK { ?s ?p ?o }")
    assert seen == [False]
    restored = rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS
    assert restored is True


# --- result shapes and values -----------------------------------------------------------


def test_ask_answers_in_one_ask_column(dataset: Dataset) -> None:
    sparql = "ASK { ?s a <https://w3id.org/kgnews/ontology#Accession> }"
    assert run_query(dataset, sparql) == QueryResult(("ask",), ((False,),))


def test_construct_answers_sorted_subject_predicate_object_rows(dataset: Dataset) -> None:
    sparql = (
        "PREFIX kg: <https://w3id.org/kgnews/ontology#> "
        "CONSTRUCT { ?org kg:reported ?n } WHERE { ?f kg:organisation ?org ; kg:count ?n }"
    )
    result = run_query(dataset, sparql)
    assert result.columns == ("subject", "predicate", "object")
    interpol, reported = f"{BASE}id/org/interpol", "https://w3id.org/kgnews/ontology#reported"
    assert result.rows == ((interpol, reported, 194), (interpol, reported, 196))


def test_describe_answers_triples_about_the_resource(dataset: Dataset) -> None:
    result = run_query(dataset, f"DESCRIBE <{BASE}id/person/rui-tavares>")
    assert (
        f"{BASE}id/person/rui-tavares",
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "Rui Tavares",
    ) in result.rows


def test_values_become_plain_python_values(dataset: Dataset) -> None:
    sparql = """
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT ?iri ?text ?int ?decimal ?double ?flag ?date ?year ?month ?unbound WHERE {
          BIND(<http://example.org/x> AS ?iri) BIND("text"@en AS ?text)
          BIND(42 AS ?int) BIND(0.25 AS ?decimal) BIND("1.5e0"^^xsd:double AS ?double)
          BIND(true AS ?flag) BIND("2024-11-27"^^xsd:date AS ?date)
          BIND("1980"^^xsd:gYear AS ?year) BIND("2024-09"^^xsd:gYearMonth AS ?month)
        }"""
    (row,) = run_query(dataset, sparql).rows
    assert row == (
        "http://example.org/x",
        "text",
        42,
        0.25,
        1.5,
        True,
        "2024-11-27",
        "1980",
        "2024-09",
        None,
    )
    assert [type(value) for value in row[2:6]] == [int, float, float, bool]


# --- query files ------------------------------------------------------------------------

GOOD_BODY = "SELECT ?x WHERE { BIND(?name AS ?x) }\n"


def write_query(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


def test_query_file_with_required_and_optional_parameters_loads(tmp_path: Path) -> None:
    write_query(
        tmp_path,
        "echo",
        "# title: Echo\n# description: Says it back.\n"
        "# param: name (required) = what to say\n# param: other = unused\n"
        "\n# a free comment: the header ended at the blank line\n"
        "SELECT ?x WHERE { BIND(?name AS ?x) BIND(?other AS ?y) }\n",
    )
    (query,) = named_queries(tmp_path).values()
    assert (query.name, query.title, query.description) == ("echo", "Echo", "Says it back.")
    assert [(p.name, p.description, p.required) for p in query.parameters] == [
        ("name", "what to say", True),
        ("other", "unused", False),
    ]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("# title: T\n# descripton: typo\n", "bad.rq: bad header line 2"),
        ("# title: T\n# description: D\n# note to self\n", "bad.rq: bad header line 3"),
        ("# title: T\n# title: again\n# description: D\n", "bad.rq: bad header line 2"),
        ("# title: T\n# description: D\n# param: name\n", "bad.rq: bad header line 3"),
        ("# title: T\n# description: D\n# param: 1st = x\n", "bad.rq: bad header line 3"),
        ("# title: T\n# description: D\n# param: name = a\n# param: name = b\n", "line 4"),
        ("# title: T\n", "bad.rq: header has no '# description:' line"),
        ("# description: D\n", "bad.rq: header has no '# title:' line"),
        ("# title: T\n# description: D\n# param: absent = x\n", "?absent does not appear"),
    ],
)
def test_malformed_query_header_is_reported_with_file_and_line(
    tmp_path: Path, header: str, problem: str
) -> None:
    write_query(tmp_path, "bad", header + GOOD_BODY)
    with pytest.raises(QueryError) as caught:
        named_queries(tmp_path)
    assert problem in str(caught.value)


def test_query_file_name_must_be_lower_case_words_with_hyphens(tmp_path: Path) -> None:
    write_query(tmp_path, "Bad_Name", "# title: T\n# description: D\n" + GOOD_BODY)
    with pytest.raises(QueryError, match=r"Bad_Name.rq: a query name is lower-case"):
        named_queries(tmp_path)


def test_missing_query_folder_is_a_query_error(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match=r"expected a folder of .rq files"):
        named_queries(tmp_path / "absent")


# --- formats ----------------------------------------------------------------------------

SAMPLE = QueryResult(
    columns=("name", "count", "note"),
    rows=(
        ("Veldoria", 3, None),
        ("A, B", 12, 'said "yes"\nthen\tleft'),
        ("x" * 100, 0.5, True),
    ),
)


def test_table_aligns_columns_truncates_long_cells_and_counts_rows() -> None:
    lines = format_result(SAMPLE, "table").splitlines()
    assert lines[0].split() == ["name", "count", "note"]
    assert set(lines[1].replace("  ", "")) == {"-"}
    assert lines[2].startswith("Veldoria  ")
    assert 'said "yes" then left' in lines[3]
    assert "x" * 59 + "…" in lines[4]
    assert "x" * 60 not in lines[4]
    assert lines[-1] == "(3 rows)"
    count_column = lines[0].index("count")
    assert lines[2][count_column : count_column + 5] == "    3"


def test_csv_round_trips_through_csv_reader() -> None:
    text = format_result(SAMPLE, "csv")
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == [
        ["name", "count", "note"],
        ["Veldoria", "3", ""],
        ["A, B", "12", 'said "yes"\nthen\tleft'],
        ["x" * 100, "0.5", "true"],
    ]


def test_tsv_has_one_line_per_row_with_tabs_and_breaks_flattened() -> None:
    lines = format_result(SAMPLE, "tsv").split("\n")
    assert lines[0] == "name\tcount\tnote"
    assert lines[2] == 'A, B\t12\tsaid "yes" then left'
    assert lines[-1] == ""
    assert len(lines) == 5


def test_json_parses_to_columns_and_row_objects() -> None:
    parsed = json.loads(format_result(SAMPLE, "json"))
    assert parsed["columns"] == ["name", "count", "note"]
    assert parsed["rows"][0] == {"name": "Veldoria", "count": 3, "note": None}
    assert parsed["rows"] == SAMPLE.as_dicts()


def test_named_query_result_formats_as_csv(dataset: Dataset) -> None:
    text = format_result(run_named(dataset, "member-counts"), "csv")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0][:2] == ["organisation", "count"]
    assert [row[1] for row in parsed[1:]] == ["194", "196"]


def test_unknown_format_lists_the_valid_ones() -> None:
    with pytest.raises(
        QueryError, match=r"unknown output format 'xml'; valid formats: table, csv, tsv, json"
    ):
        format_result(SAMPLE, "xml")

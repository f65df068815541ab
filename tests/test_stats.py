"""kg stats: the numbers read from a small hand-written graph, their text, JSON and charts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from PIL import Image
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg import stats as kg_stats
from kg.errors import OutputError
from kg.rdf import new_dataset
from kg.rdfio import load_dataset, write_dataset
from kg.records import EntityKind
from kg.stats import (
    Community,
    Count,
    DocumentBucket,
    YearCount,
    compute_stats,
    format_stats,
    write_plots,
)
from kg.vocab import KG

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
ID = "https://w3id.org/kgnews/id/"


def projection() -> nx.MultiDiGraph:
    """The mini graph's entity projection as the export contract describes it, by hand."""
    graph = nx.MultiDiGraph()
    nodes = {  # slug: label, type, pagerank, community
        "org/interpol": ("INTERPOL", "InternationalOrganisation", 0.30, 0),
        "country/xv": ("Veldoria", "Country", 0.20, 0),
        "treaty/convention-on-cybercrime": ("Convention on Cybercrime", "Treaty", 0.15, 0),
        "operation/harbour-light": ("Operation Harbour Light", "Operation", 0.05, 1),
        "org/europol": ("Europol", "LawEnforcementAgency", 0.10, 1),
        "country/pt": ("Portugal", "Country", 0.08, 1),
        "person/ana-ferreira": ("Ana Ferreira", "Person", 0.04, 0),
        "person/tom-lindqvist": ("Tom Lindqvist", "Person", 0.04, 1),
        "person/rui-tavares": ("Rui Tavares", "Person", 0.04, 2),
    }
    for slug, (label, kind, pagerank, community) in nodes.items():
        graph.add_node(ID + slug, label=label, type=kind, pagerank=pagerank, community=community)
        graph.nodes[ID + slug]["color"] = "#e15759" if kind == "Country" else "#4e79a7"
    edges = [
        ("country/xv", "org/interpol"),
        ("country/xv", "treaty/convention-on-cybercrime"),
        ("country/xv", "treaty/convention-on-cybercrime"),
        ("operation/harbour-light", "org/interpol"),
        ("operation/harbour-light", "org/europol"),
        ("operation/harbour-light", "country/xv"),
        ("operation/harbour-light", "country/pt"),
        ("person/ana-ferreira", "org/interpol"),
        ("person/tom-lindqvist", "org/europol"),
    ]
    for number, (source, target) in enumerate(edges):
        graph.add_edge(ID + source, ID + target, key=f"e{number}")
    for node, degree in graph.degree():
        graph.nodes[node]["degree"] = degree
    return graph


@pytest.fixture(scope="module")
def mini() -> kg_stats.GraphStats:
    return compute_stats(load_dataset(FIXTURE), top=3, projection=projection())


def test_totals_count_documents_entities_facts_and_triples(mini) -> None:
    assert (mini.documents, mini.entities, mini.facts) == (2, 9, 12)
    assert mini.triples > 100


def test_entities_are_counted_by_type_biggest_first(mini) -> None:
    assert mini.entities_by_type == (
        Count("Person", 3),
        Count("Country", 2),
        Count("InternationalOrganisation", 1),
        Count("LawEnforcementAgency", 1),
        Count("Operation", 1),
        Count("Treaty", 1),
    )


def test_every_entity_kind_is_counted() -> None:
    for kind in EntityKind:
        assert f"kg:{kind.value}" in kg_stats._ENTITIES
        assert f"kg:{kind.value}" in kg_stats._PREDICATES


def test_facts_are_counted_per_family_with_the_absent_ones_at_zero(mini) -> None:
    assert dict((c.name, c.count) for c in mini.facts_by_family) == {
        "member_of": 2,
        "member_count": 2,
        "treaty_action": 2,
        "operation": 1,
        "position": 3,
        "statement": 2,
    }
    empty = compute_stats(new_dataset(), projection=nx.MultiDiGraph())
    assert [c.count for c in empty.facts_by_family] == [0] * 6


def test_statements_count_distinct_plain_triples_by_predicate_without_labels(mini) -> None:
    counts = {c.name: c.count for c in mini.statements_by_predicate}
    assert counts["org:memberOf"] == 1  # said by both documents, one statement
    assert counts["org:holds"] == 3
    assert counts["kg:memberCount"] == 2  # 196 and 194
    assert counts["kg:participant"] == 2
    assert counts["kg:isoCode"] == 2
    assert not {"rdf:type", "skos:prefLabel", "skos:altLabel", "rdfs:label"} & counts.keys()


def test_documents_per_entity_come_from_the_facts_that_name_it(mini) -> None:
    assert mini.documents_per_entity == (DocumentBucket(1, 6), DocumentBucket(2, 3))
    assert [(e.label, e.documents) for e in mini.most_documented] == [
        ("Convention on Cybercrime", 2),
        ("INTERPOL", 2),
        ("Veldoria", 2),
    ]


def test_documents_per_entity_hold_in_a_triple_format_without_named_graphs(
    mini, tmp_path: Path
) -> None:
    turtle = tmp_path / "mini.ttl"
    write_dataset(load_dataset(FIXTURE), turtle)
    flat = compute_stats(load_dataset(turtle), projection=projection())
    assert flat.documents_per_entity == mini.documents_per_entity


def test_an_entity_no_fact_names_is_in_no_document() -> None:
    dataset = new_dataset()
    graph = dataset.graph(URIRef("https://example.org/graph/a"))
    lonely = URIRef(ID + "org/lonely")
    graph.add((lonely, RDF.type, KG.Organisation))
    graph.add((lonely, SKOS.prefLabel, Literal("Lonely Bureau")))
    numbers = compute_stats(dataset, projection=nx.MultiDiGraph())
    assert numbers.documents_per_entity == (DocumentBucket(0, 1),)
    assert numbers.most_documented[0].label == "Lonely Bureau"


def test_central_actors_are_ranked_by_pagerank_and_by_degree(mini) -> None:
    assert [a.label for a in mini.by_pagerank] == [
        "INTERPOL",
        "Veldoria",
        "Convention on Cybercrime",
    ]
    assert [a.label for a in mini.by_degree] == ["Veldoria", "Operation Harbour Light", "INTERPOL"]
    interpol = mini.by_pagerank[0]
    assert (interpol.degree, interpol.documents, interpol.type) == (
        3,
        2,
        "InternationalOrganisation",
    )


def test_communities_are_counted_with_their_most_central_members(mini) -> None:
    assert mini.community_count == 3
    assert mini.single_entity_communities == 1
    assert mini.largest_communities == (
        Community(0, 4, ("INTERPOL", "Veldoria", "Convention on Cybercrime", "Ana Ferreira")),
        Community(1, 4, ("Europol", "Portugal", "Operation Harbour Light", "Tom Lindqvist")),
        Community(2, 1, ("Rui Tavares",)),
    )


def test_facts_over_time_count_membership_starts_treaty_dates_and_operation_starts(mini) -> None:
    assert mini.facts_by_year == (
        YearCount(2021, "member_of", 2),
        YearCount(2022, "treaty_action", 1),
        YearCount(2023, "operation", 1),
        YearCount(2023, "treaty_action", 1),
    )


def test_top_limits_every_ranked_list() -> None:
    numbers = compute_stats(load_dataset(FIXTURE), top=1, projection=projection())
    assert len(numbers.by_pagerank) == len(numbers.by_degree) == 1
    assert len(numbers.most_documented) == len(numbers.largest_communities) == 1
    with pytest.raises(ValueError, match="top must be at least 1"):
        compute_stats(load_dataset(FIXTURE), top=0, projection=projection())


def test_the_text_report_has_a_table_for_every_section(mini) -> None:
    text = format_stats(mini)
    assert text.startswith("2 documents, 9 entities, 12 facts, ")
    for heading in (
        "Entities by type",
        "Facts by family",
        "Statements by predicate",
        "Documents per entity: mean 1.33, median 1, max 2",
        "Most central actors by PageRank",
        "Most connected actors by degree",
        "Communities: 3, 1 of them a single entity",
        "Facts over time",
    ):
        assert heading in text
    year_rows = [line.split() for line in text.splitlines() if line.startswith("2023 ")]
    assert year_rows == [["2023", "0", "1", "1", "2"]]


def test_the_json_report_holds_the_same_numbers(mini) -> None:
    document = json.loads(mini.to_json())
    assert document["facts"] == 12
    assert document["by_pagerank"][0]["iri"] == ID + "org/interpol"
    assert document["documents_per_entity"] == [
        {"documents": 1, "entities": 6},
        {"documents": 2, "entities": 3},
    ]
    assert document["type_colours"]["Country"] == "#e15759"


# --- plots -------------------------------------------------------------------------------


def test_plots_are_four_png_charts_at_print_resolution(mini, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "plots"
    written = write_plots(mini, folder)
    assert [path.name for path in written] == list(kg_stats.PLOT_FILES)
    for path in written:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.width >= 1000
            assert round(image.info["dpi"][0]) == kg_stats.PLOT_DPI


def test_plots_of_an_empty_graph_say_there_is_nothing_to_draw(tmp_path: Path) -> None:
    empty = compute_stats(new_dataset(), projection=nx.MultiDiGraph())
    written = write_plots(empty, tmp_path)
    assert all(path.stat().st_size > 0 for path in written)


def test_a_failed_plot_leaves_the_previous_file_as_it_was(
    mini, tmp_path: Path, monkeypatch
) -> None:
    from matplotlib.figure import Figure

    previous = tmp_path / kg_stats.PLOT_FILES[0]
    previous.write_bytes(b"the previous chart")

    def broken(self, handle, **kwargs) -> None:
        handle.write(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OutputError, match="disk full"):
        write_plots(mini, tmp_path)
    assert previous.read_bytes() == b"the previous chart"
    assert sorted(p.name for p in tmp_path.iterdir()) == [previous.name]


def test_plots_into_a_path_that_is_a_file_fail_with_one_message(mini, tmp_path: Path) -> None:
    blocker = tmp_path / "plots"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot create"):
        write_plots(mini, blocker)


# --- with the real entity projection, and from the command line ---------------------------


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=300
    )


def test_the_projection_is_computed_when_not_given() -> None:
    numbers = compute_stats(load_dataset(FIXTURE), top=3)
    assert numbers.by_pagerank[0].label == "INTERPOL"
    assert [a.degree for a in numbers.by_degree] == [4, 4, 3]
    assert sum(c.size for c in numbers.largest_communities) == numbers.entities
    assert set(numbers.type_colours) == {c.name for c in numbers.entities_by_type}


def test_kg_stats_prints_tables_and_json_when_asked() -> None:
    text = kg("stats", str(FIXTURE), "--top", "2")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("2 documents, 9 entities, 12 facts")
    assert "Most central actors by PageRank" in text.stdout
    as_json = kg("stats", str(FIXTURE), "--top", "2", "--json")
    document = json.loads(as_json.stdout)
    assert len(document["by_pagerank"]) == 2
    assert document["facts"] == 12


def test_kg_stats_plot_writes_the_charts_and_names_them(tmp_path: Path) -> None:
    result = kg("stats", str(FIXTURE), "--plot", str(tmp_path / "plots"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(kg_stats.PLOT_FILES)
    assert result.stderr.count("kg: wrote ") == len(kg_stats.PLOT_FILES)


def test_kg_stats_errors_are_one_line(tmp_path: Path) -> None:
    missing = kg("stats", str(tmp_path / "missing.trig"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("kg: error: ") and missing.stderr.count("\n") == 1
    assert kg("stats", str(FIXTURE), "--top", "0").returncode == 2


def test_kg_stats_reads_a_store_as_it_reads_the_same_graph_in_a_file(tmp_path: Path) -> None:
    from kg.store import GraphStore

    path = tmp_path / "store"
    with GraphStore.open(path, create=True) as store:
        for graph in load_dataset(FIXTURE).graphs():
            if len(graph):
                doc_id = str(next(graph.objects(None, DCTERMS.identifier)))
                store.replace_document(doc_id, graph, "hash")
    from_store = kg("stats", str(path), "--json")
    assert from_store.returncode == 0, from_store.stderr
    assert json.loads(from_store.stdout) == json.loads(kg("stats", str(FIXTURE), "--json").stdout)

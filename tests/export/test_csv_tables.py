"""CSV node and edge tables: Neo4j admin-import headers, RFC 4180, no formula injection, and
a lossless round trip."""

from __future__ import annotations

import csv
import io
import zipfile

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.export.csv_tables import (
    FORMULA_STARTS,
    edge_table,
    guard,
    node_table,
    read_csv,
    unguard,
    write,
    write_csv,
    write_folder,
)
from kg.export.projection import to_networkx

ID = "https://w3id.org/kgnews/id/"


def table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def graph(mini) -> nx.MultiDiGraph:
    return to_networkx(mini)


def test_node_table_has_neo4j_import_headers(graph):
    header = table(node_table(graph))[0]
    assert header[:3] == [":ID", "name", ":LABEL"]
    assert {"documents:int", "pagerank:double", "degree:int", "community:int"} <= set(header)
    assert {"type", "iri", "color", "member_count:int"} <= set(header)


def test_edge_table_has_neo4j_import_headers(graph):
    header = table(edge_table(graph))[0]
    assert header[:4] == [":START_ID", ":END_ID", ":TYPE", "id"]
    assert {"label", "predicate", "documents:int", "weight:int", "arrests:int"} <= set(header)


def test_rows_reference_nodes_by_id_and_type_relationships_by_predicate(graph):
    nodes = table(node_table(graph))
    ids = {row[0] for row in nodes[1:]}
    veldoria = next(row for row in nodes if row[0] == ID + "country/xv")
    assert veldoria[1:3] == ["Veldoria", "Country"]
    edges = table(edge_table(graph))
    assert all(row[0] in ids and row[1] in ids for row in edges[1:])
    assert {row[2] for row in edges[1:]} == {d["label"] for *_, d in graph.edges(data=True)}


def test_rdf_relationship_types_are_neo4j_names(mini):
    edges = table(edge_table(to_networkx(mini, projection="rdf")))
    assert "rdf_type" in {row[2] for row in edges[1:]}
    assert all(row[2].replace("_", "").isalnum() for row in edges[1:])


def test_cells_follow_rfc_4180(hostile):
    data = node_table(to_networkx(hostile))
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b'"Police ecilop of, commas"' in data
    assert b'"\'=HYPERLINK(""http://x"",""y"")"' in data


def test_formula_cells_are_guarded_with_a_quote(hostile):
    graph = to_networkx(hostile)
    for data in (node_table(graph), edge_table(graph)):
        for row in table(data)[1:]:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), cell
    names = {row[1] for row in table(node_table(graph))[1:]}
    assert '\'=HYPERLINK("http://x","y")' in names
    header, *rows = table(edge_table(graph))
    sources = {row[header.index("sources")] for row in rows}
    assert sources == {"'=cmd|' /C calc'!A0"}


@pytest.mark.parametrize("fixture", ["mini", "hostile"])
@pytest.mark.parametrize("projection", ["entity", "rdf"])
def test_tables_read_back_to_the_same_graph(request, tmp_path, fixture, projection):
    graph = to_networkx(request.getfixturevalue(fixture), projection=projection)
    write_csv(graph, tmp_path / "nodes.csv", tmp_path / "edges.csv")
    read = read_csv(tmp_path / "nodes.csv", tmp_path / "edges.csv")
    assert dict(read.nodes(data=True)) == dict(graph.nodes(data=True))
    assert sorted(read.edges(keys=True, data=True)) == sorted(graph.edges(keys=True, data=True))


def test_csv_reader_round_trip_equals_the_values_apart_from_the_guard(hostile):
    graph = to_networkx(hostile)
    rows = table(node_table(graph))[1:]
    assert {unguard(row[1]) for row in rows} == {d["label"] for _, d in graph.nodes(data=True)}


@given(st.text())
def test_guard_is_reversible_and_never_leaves_a_formula(text):
    guarded = guard(text)
    assert unguard(guarded) == text
    assert not guarded.startswith(FORMULA_STARTS)


def test_the_single_stream_writer_packs_both_tables_in_a_zip(graph):
    buffer = io.BytesIO()
    write(graph, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert archive.namelist() == ["nodes.csv", "edges.csv"]
        assert archive.read("nodes.csv") == node_table(graph)
        assert archive.read("edges.csv") == edge_table(graph)
    again = io.BytesIO()
    write(graph, again)
    assert again.getvalue() == buffer.getvalue()  # no timestamps: reproducible


def test_write_folder_creates_the_folder_and_both_tables(graph, tmp_path):
    folder = tmp_path / "neo4j" / "import"
    write_folder(graph, folder)
    assert (folder / "nodes.csv").read_bytes() == node_table(graph)
    assert (folder / "edges.csv").read_bytes() == edge_table(graph)

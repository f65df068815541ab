"""DOT: Graphviz renders it without a warning, with IRIs and labels exactly as they are."""

from __future__ import annotations

import html
from pathlib import Path

import networkx as nx
import pytest

from kg.export.dot import quote, write_dot
from kg.export.projection import to_networkx
from tests.export.clients import render_dot

ID = "https://w3id.org/kgnews/id/"


def rendered(graph: nx.MultiDiGraph, path: Path) -> str:
    write_dot(graph, path)
    return html.unescape(render_dot(path))


@pytest.mark.parametrize("projection", ["entity", "rdf"])
def test_dot_renders_to_svg_without_warnings(mini, tmp_path, projection):
    svg = rendered(to_networkx(mini, projection=projection), tmp_path / "g.dot")
    assert svg.count('class="node"') == len(to_networkx(mini, projection=projection))


def test_iri_node_ids_keep_their_colons(mini, tmp_path):
    svg = rendered(to_networkx(mini), tmp_path / "g.dot")
    assert f"<title>{ID}country/xv</title>" in svg
    assert f"<title>{ID}country/xv->{ID}org/interpol</title>" in svg


def test_labels_are_shown_as_written_backslashes_and_quotes_included(hostile, tmp_path):
    svg = rendered(to_networkx(hostile), tmp_path / "hostile.dot")
    assert 'Convention \\N \\G \\l "quoted" \\' in svg
    assert "</script><img src=x onerror=alert(1)>" in svg
    assert "Operation Broken Lines and tabs here" in svg


def test_edges_show_their_predicate(mini, tmp_path):
    svg = rendered(to_networkx(mini), tmp_path / "g.dot")
    for label in ("memberOf", "coordinatedBy", "participant", "holds", "signed"):
        assert f">{label}</text>" in svg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("ends in \\", '"ends in \\\\"'),
        ("two\nlines\tand\rtab", '"two lines and tab"'),
        (True, '"true"'),
        (0.5, '"0.5"'),
    ],
)
def test_quote_makes_a_dot_string_that_cannot_be_closed_early(value, expected):
    assert quote(value) == expected

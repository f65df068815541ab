"""The export registry, ``export`` and ``kg export``: every format from a file or a store,
hostile names in every format, failed exports that leave the previous file alone, and the
bundled example end to end."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx
import pytest
from rdflib.namespace import DCTERMS

from kg.errors import OutputError, UnsupportedFormatError
from kg.export import FORMATS, ExportFormat, export, get_format, opened
from kg.export.csv_tables import FORMULA_STARTS, read_csv
from kg.export.projection import to_networkx
from tests.export.clients import graphology, igraph_read, render_dot, validate_gexf
from tests.export.conftest import HOSTILE_GRAPH, MINI_GRAPH

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "articles"
MY_FORMATS = ("gexf", "graphml", "dot", "csv")
ALIASES = {
    "gexf": "write_gexf",
    "graphml": "write_graphml",
    "dot": "write_dot",
    "csv_tables": "write_csv",
}


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, timeout=300, cwd=ROOT
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


def available(name: str) -> bool:
    try:
        FORMATS[name].load()
    except UnsupportedFormatError:
        return False
    return True


def check(fmt: str, path: Path, graph: nx.MultiDiGraph) -> None:
    """Check ``path`` with the real clients of ``fmt``: it parses and holds ``graph``."""
    if fmt == "gexf":
        validate_gexf(path)
        read = graphology("gexf", path)
        assert (read["order"], read["size"]) == (len(graph), graph.number_of_edges())
        assert_no_markup_elements(path)
    elif fmt == "graphml":
        assert igraph_read(path).ecount() == graph.number_of_edges()
        read = graphology("graphml", path)
        assert (read["order"], read["size"]) == (len(graph), graph.number_of_edges())
        assert_no_markup_elements(path)
    elif fmt == "dot":
        assert render_dot(path).count('class="node"') == len(graph)
    elif fmt == "csv":
        with zipfile.ZipFile(path) as archive:
            nodes, edges = archive.read("nodes.csv"), archive.read("edges.csv")
        read = read_csv(io.BytesIO(nodes), io.BytesIO(edges))
        assert dict(read.nodes(data=True)) == dict(graph.nodes(data=True))
        assert read.number_of_edges() == graph.number_of_edges()


def assert_no_markup_elements(path: Path) -> None:
    """Labels such as ``</script><img ...>`` stay text: no element came from data."""
    names = {element.tag.rsplit("}", 1)[-1] for element in ElementTree.parse(path).iter()}
    assert not names & {"script", "img", "svg", "title", "b"}, names


# --- the registry --------------------------------------------------------------------


def test_formats_are_registered_by_name_with_their_modules():
    assert {name: fmt.module for name, fmt in FORMATS.items()} == {
        "gexf": "gexf",
        "graphml": "graphml",
        "cytoscape": "cytoscape",
        "dot": "dot",
        "csv": "csv_tables",
        "html": "html",
    }


@pytest.mark.parametrize(("module", "alias"), ALIASES.items())
def test_each_writer_module_has_write_and_its_networkx_style_alias(module, alias):
    loaded = importlib.import_module(f"kg.export.{module}")
    assert callable(loaded.write)
    assert callable(getattr(loaded, alias))


def test_unknown_format_names_the_valid_ones():
    with pytest.raises(UnsupportedFormatError, match="expected one of: gexf, graphml"):
        get_format("pdf")
    assert get_format(" GEXF ") is FORMATS["gexf"]


def test_a_format_whose_module_is_missing_says_so():
    ghost = ExportFormat("ghost", "no_such_writer", ".x", "a writer this installation lacks")
    with pytest.raises(UnsupportedFormatError, match=r"kg\.export\.no_such_writer is missing"):
        ghost.load()


# --- export --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", MY_FORMATS)
def test_export_writes_every_format_that_its_clients_read(mini, tmp_path, fmt):
    path = tmp_path / f"mini{FORMATS[fmt].extension}"
    graph = export(MINI_GRAPH, fmt, path)
    assert graph.graph["name"] == "mini_graph"
    check(fmt, path, graph)


@pytest.mark.parametrize("fmt", MY_FORMATS)
def test_an_empty_subset_is_still_a_file_its_clients_read(mini, tmp_path, fmt):
    path = tmp_path / f"empty.{'zip' if fmt == 'csv' else fmt}"
    graph = export(mini, fmt, path, predicates=["acceded"])  # nobody accedes in the fixture
    assert len(graph) == 0
    check(fmt, path, graph)


def test_export_to_a_binary_file_object_writes_the_same_bytes(mini, tmp_path):
    buffer = io.BytesIO()
    export(mini, "graphml", buffer)
    export(mini, "graphml", tmp_path / "g.graphml")
    assert buffer.getvalue() == (tmp_path / "g.graphml").read_bytes()


def test_csv_export_to_a_folder_writes_two_tables(tmp_path):
    export(MINI_GRAPH, "csv", tmp_path / "tables")
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["edges.csv", "nodes.csv"]


def test_csv_export_to_a_file_name_asks_for_a_folder_or_a_zip(tmp_path):
    with pytest.raises(OutputError, match=r"give a folder or a \.zip file"):
        export(MINI_GRAPH, "csv", tmp_path / "graph.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_store_exports_the_same_entity_graph_as_its_file(mini, tmp_path):
    store_module = pytest.importorskip("kg.store")
    path = tmp_path / "store"
    with store_module.GraphStore.open(path, create=True) as store:
        for graph in mini.graphs():
            if len(graph):
                doc_id = str(next(graph.objects(None, DCTERMS.identifier)))
                store.replace_document(doc_id, graph, "hash")
    with opened(path) as source:
        from_store = to_networkx(source)
        rdf_from_store = to_networkx(source, projection="rdf")
    from_file = to_networkx(mini)
    assert list(from_store.nodes(data=True)) == list(from_file.nodes(data=True))
    assert list(from_store.edges(keys=True, data=True)) == list(
        from_file.edges(keys=True, data=True)
    )
    rdf_from_file = to_networkx(mini, projection="rdf")
    assert rdf_from_store.number_of_edges() == rdf_from_file.number_of_edges()
    export(path, "gexf", tmp_path / "store.gexf")
    check("gexf", tmp_path / "store.gexf", from_file)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_failed_export_leaves_the_previous_file_byte_identical(mini, tmp_path, monkeypatch, fmt):
    if not available(fmt):
        pytest.skip(f"kg.export.{FORMATS[fmt].module} is not in this tree yet")
    module = FORMATS[fmt].load()
    real_write = module.write

    def half_then_fail(graph, out):
        buffer = io.BytesIO()
        real_write(graph, buffer)
        out.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, "write", half_then_fail)
    path = tmp_path / f"out{'.zip' if fmt == 'csv' else FORMATS[fmt].extension}"
    path.write_bytes(b"the previous export\n")
    with pytest.raises(OutputError, match="disk on fire"):
        export(mini, fmt, path)
    assert path.read_bytes() == b"the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


def test_a_failed_csv_folder_export_leaves_both_tables(mini, tmp_path, monkeypatch):
    from kg.export import csv_tables

    folder = tmp_path / "tables"
    export(mini, "csv", folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def fail(graph):
        raise RuntimeError("no edges today")

    monkeypatch.setattr(csv_tables, "edge_table", fail)
    with pytest.raises(RuntimeError, match="no edges today"):
        export(mini, "csv", folder, types=["Country"])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


# --- hostile names -------------------------------------------------------------------


@pytest.mark.parametrize("projection", ["entity", "rdf"])
@pytest.mark.parametrize("fmt", MY_FORMATS)
def test_hostile_names_neither_break_nor_inject_into_any_format(tmp_path, fmt, projection):
    path = tmp_path / f"hostile.{'zip' if fmt == 'csv' else fmt}"
    graph = export(HOSTILE_GRAPH, fmt, path, projection=projection)
    check(fmt, path, graph)


def test_hostile_csv_cells_are_guarded(tmp_path):
    export(HOSTILE_GRAPH, "csv", tmp_path / "tables")
    text = (tmp_path / "tables" / "nodes.csv").read_text(encoding="utf-8")
    text += (tmp_path / "tables" / "edges.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text
    assert "'=cmd|" in text
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(FORMULA_STARTS), cell


# --- kg export -----------------------------------------------------------------------


def test_kg_export_writes_the_file_and_a_summary(tmp_path):
    out = tmp_path / "sub" / "mini.gexf"
    result = kg("export", str(MINI_GRAPH), "--to", "gexf", "-o", str(out))
    assert result.returncode == 0, result.stderr.decode()
    summary = result.stderr.decode()
    assert "9 nodes, 9 edges (entity projection, gexf)" in summary
    validate_gexf(out)


def test_kg_export_takes_subsets_projection_and_construct(tmp_path):
    query = tmp_path / "members.rq"
    query.write_text(
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "CONSTRUCT { ?a org:memberOf ?b } WHERE { ?a org:memberOf ?b }\n",
        encoding="utf-8",
    )
    runs = {
        "types": ["--type", "Country", "--type", "InternationalOrganisation"],
        "predicate": ["--predicate", "memberOf", "--since", "2021", "--until", "2021"],
        "rdf": ["--projection", "rdf", "--document", "operation-harbour-light"],
        "construct": ["--construct", str(query), "--size", "degree"],
    }
    for name, options in runs.items():
        out = tmp_path / f"{name}.graphml"
        result = kg("export", str(MINI_GRAPH), "--to", "graphml", "-o", str(out), *options)
        assert result.returncode == 0, (name, result.stderr.decode())
        assert igraph_read(out).vcount() > 0


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--to", "pdf"], ["unknown export format 'pdf'", "gexf"]),
        (["--to", "dot", "--since", "spring"], ["since expects a date"]),
        (["--to", "dot", "--type", "Nation"], ["unknown type 'Nation'"]),
        (["--to", "dot", "--projection", "nodes"], ["unknown projection"]),
        (["--to", "dot", "--construct", "missing.rq"], ["cannot read query file"]),
    ],
)
def test_kg_export_errors_are_one_line(tmp_path, options, fragments):
    result = kg("export", str(MINI_GRAPH), "-o", str(tmp_path / "out"), *options)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "out").exists()


def test_kg_export_of_a_missing_graph_is_one_line(tmp_path):
    result = kg("export", str(tmp_path / "none.trig"), "--to", "dot", "-o", str(tmp_path / "x"))
    assert_one_line_error(result, "none.trig")


# --- the bundled example -------------------------------------------------------------


@pytest.fixture(scope="module")
def example_graph(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "example.trig"
    result = kg("build", str(EXAMPLE), "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    return out


@pytest.mark.model
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_example_exports_to_every_format(example_graph, tmp_path, fmt):
    if not available(fmt):
        pytest.skip(f"kg.export.{FORMATS[fmt].module} is not in this tree yet")
    out = tmp_path / f"example{FORMATS[fmt].extension}"
    result = kg("export", str(example_graph), "--to", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr.decode()
    assert out.stat().st_size > 0
    check(fmt, out, export(example_graph, fmt, io.BytesIO()))


@pytest.mark.model
def test_the_example_entity_graph_links_its_actors(example_graph):
    graph = export(example_graph, "gexf", io.BytesIO())
    labels = {graph.nodes[n]["label"] for n in graph}
    assert {"Zimbabwe", "INTERPOL", "AFRIPOL", "Valdecy Urquiza"} <= labels
    relations = {(graph.nodes[s]["label"], d["label"], graph.nodes[t]["label"])
                 for s, t, d in graph.edges(data=True)}  # fmt: skip
    assert ("Zimbabwe", "memberOf", "INTERPOL") in relations
    assert ("Valdecy Urquiza", "holds", "INTERPOL") in relations

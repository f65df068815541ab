"""The Python API: ``import kg`` stays light, graphs open, questions answer in plain values."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib import Dataset

import kg
from kg.api import Answer, Graph
from kg.errors import InputError, UnknownQueryError
from kg.push import PushError
from kg.store import GraphStore
from kg.vocab import KG

FIXTURE = Path(__file__).parent / "fixtures" / "mini_graph.trig"
BASE = "https://w3id.org/kgnews/"
LABELS = """
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?entity WHERE { ?entity skos:prefLabel ?label FILTER(?label = ?name) }
"""
ORGANISATIONS = "SELECT ?o WHERE { ?o a <http://www.w3.org/ns/org#Organization> }"


@pytest.fixture
def graph() -> Graph:
    return kg.open(FIXTURE)


def test_import_kg_loads_no_heavy_library():
    heavy = ("rdflib", "spacy", "pyoxigraph", "httpx", "pandas", "pyshacl", "owlrl")
    code = f"import sys, kg\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_api_is_reached_from_the_package():
    assert (kg.open, kg.build, kg.Graph, kg.Answer) == (
        kg.api.open,
        kg.api.build,
        Graph,
        Answer,
    )
    assert {"open", "build", "Graph", "Answer"} <= set(dir(kg))
    with pytest.raises(AttributeError, match="no attribute 'opne'"):
        _ = kg.opne


def test_open_reads_a_graph_file(graph):
    assert isinstance(graph.source, Dataset)
    assert len(graph) == 274
    assert repr(graph) == f"<kg.Graph {FIXTURE}: 274 quads>"


def test_named_answers_rows_as_dicts_of_plain_values(graph):
    answer = graph.named("members", organisation="Interpol")
    assert answer.columns[:4] == ("member", "organisation", "since", "until")
    assert len(answer) == 2
    assert [(row["member"], row["since"], row["begin"]) for row in answer.rows] == [
        ("Veldoria", "2021", 431),
        ("Veldoria", "2021-03", 0),
    ]
    assert list(answer) == answer.rows


def test_query_binds_keywords_as_strings(graph):
    assert graph.query(LABELS, name="Europol").rows == [{"entity": f"{BASE}id/org/europol"}]
    assert graph.query(LABELS, name=42).rows == []


def test_an_answer_prints_as_the_table_kg_query_prints(graph):
    text = str(graph.query(LABELS, name="Europol"))
    assert text.splitlines()[0].strip() == "entity"
    assert text.splitlines()[-1] == "(1 row)"


def test_to_dataframe_keeps_columns_and_order(graph):
    frame = graph.named("members").to_dataframe()
    assert list(frame.columns) == list(graph.named("members").columns)
    assert frame["since"].tolist() == ["2021", "2021-03"]
    empty = graph.query(LABELS, name="nobody").to_dataframe()
    assert list(empty.columns) == ["entity"]
    assert len(empty) == 0


def test_to_dataframe_without_pandas_says_what_to_install(graph, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'kg\[pandas\]'"):
        graph.named("members").to_dataframe()


def test_queries_lists_the_named_questions(graph):
    catalogue = graph.queries()
    assert "members" in catalogue
    assert catalogue["members"].title == "Members of an organisation"


def test_errors_are_kg_errors(graph):
    with pytest.raises(UnknownQueryError, match="did you mean 'members'"):
        graph.named("member")


def test_infer_gives_a_new_graph_and_leaves_this_one(graph):
    inferred = graph.infer()
    assert len(inferred.query(ORGANISATIONS)) == 2
    assert len(graph.query(ORGANISATIONS)) == 0
    assert len(graph) == 274


POLITY = "https://example.org/Polity"
POLITIES = f"SELECT ?c WHERE {{ ?c a <{POLITY}> }}"
POLITY_ONTOLOGY = (
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    f"<{BASE}ontology#Country> rdfs:subClassOf <{POLITY}> .\n"
)


def test_infer_merges_an_extra_ontology_from_a_file_or_a_graph(graph, tmp_path):
    path = tmp_path / "polity.ttl"
    path.write_text(POLITY_ONTOLOGY)
    from_file = graph.infer(ontology=path)
    from_graph = graph.infer(ontology=rdflib.Graph().parse(data=POLITY_ONTOLOGY, format="turtle"))
    countries = len(graph.infer().query(f"SELECT ?c WHERE {{ ?c a <{BASE}ontology#Country> }}"))
    assert countries > 0
    assert len(from_file.query(POLITIES)) == len(from_graph.query(POLITIES)) == countries
    assert len(graph.infer().query(POLITIES)) == 0


def test_validate_applies_extra_shapes_to_classes_an_extra_ontology_entails(graph, tmp_path):
    (tmp_path / "polity.ttl").write_text(POLITY_ONTOLOGY)
    (tmp_path / "shapes.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"<https://example.org/S> a sh:NodeShape ; sh:targetClass <{POLITY}> ;\n"
        "  sh:property [ sh:path <https://example.org/capital> ; sh:minCount 1 ] .\n"
    )
    shapes = tmp_path / "shapes.ttl"
    assert graph.validate(shapes=shapes, inference="rdfs").conforms
    report = graph.validate(shapes=shapes, inference="rdfs", ontology=tmp_path / "polity.ttl")
    assert not report.conforms


@pytest.mark.parametrize(
    "options",
    [{"follow_imports": True}, {"allow_imports": ["https://example.org/"]}],
    ids=["follow-without-a-file", "allow-without-follow"],
)
def test_import_options_that_would_do_nothing_are_refused(graph, options):
    with pytest.raises(ValueError, match="follow_imports"):
        graph.infer(**options)


def test_validate_and_save(graph, tmp_path):
    assert graph.validate().conforms
    out = tmp_path / "copy.nq"
    assert graph.save(out) == 274
    with kg.open(out) as copy:
        assert len(copy) == 274


@pytest.fixture
def store_folder(graph, tmp_path) -> Path:
    """A kg store holding the fixture's two document graphs."""
    path = tmp_path / "store"
    with GraphStore.open(path, create=True) as store:
        for named in graph.source.graphs():
            if len(named):
                doc_id = str(named.identifier).rsplit("/", 1)[1]
                store.replace_document(doc_id, named, str(named.value(predicate=KG.contentHash)))
    return path


def test_open_reads_a_store_folder_and_close_releases_it(store_folder):
    with kg.open(store_folder) as graph:
        assert isinstance(graph.source, GraphStore)
        assert len(graph) == 274
        assert graph.validate().graphs == 2
        assert len(graph.infer().query(ORGANISATIONS)) == 2
    with pytest.raises(InputError, match="closed"):
        len(graph)


def test_a_store_answers_named_questions(store_folder):
    with kg.open(store_folder) as graph:
        assert [row["since"] for row in graph.named("members", organisation="INTERPOL")] == [
            "2021",
            "2021-03",
        ]


def test_push_to_an_unreachable_server_is_a_push_error(graph):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PushError, match="cannot reach"):
        graph.push(f"http://127.0.0.1:{port}/store", timeout=5)


def test_repr_of_a_closed_store_says_so(store_folder):
    graph = kg.open(store_folder)
    graph.close()
    assert repr(graph) == f"<kg.Graph {store_folder}: closed>"

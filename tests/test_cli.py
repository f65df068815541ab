"""The command line as a researcher meets it: real processes, one-line errors, no tracebacks,
and outputs that are never clobbered by a failed run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "articles"


def kg(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], input=stdin, capture_output=True, timeout=300
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    err = result.stderr.decode()
    assert result.returncode != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "example.trig"
    result = kg("build", str(EXAMPLE), "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    return out


@pytest.fixture
def previous(tmp_path) -> Path:
    """An output file from an earlier run, which a failed run must leave as it was."""
    path = tmp_path / "out.trig"
    path.write_text("# the previous graph\n", encoding="utf-8")
    return path


@pytest.mark.model
def test_build_prints_a_summary_and_writes_the_graph(graph):
    assert graph.stat().st_size > 1000


@pytest.mark.model
def test_build_with_two_processes_writes_the_same_graph(graph, tmp_path):
    from kg.rdfio import load_dataset

    out = tmp_path / "two.trig"
    result = kg("build", str(EXAMPLE), "-o", str(out), "--quiet", "--processes", "2")
    assert result.returncode == 0, result.stderr.decode()
    one, two = (set(load_dataset(path).quads((None, None, None, None))) for path in (graph, out))
    assert one == two and len(one) > 100  # no blank nodes: isomorphic means equal


def test_build_refuses_zero_processes(tmp_path):
    result = kg("build", str(EXAMPLE), "-o", str(tmp_path / "g.trig"), "--processes", "0")
    assert result.returncode == 2 and not (tmp_path / "g.trig").exists()


@pytest.mark.model
def test_build_summary_names_documents_facts_triples_and_time(tmp_path):
    result = kg("build", str(EXAMPLE), "-o", str(tmp_path / "g.ttl"), "--quiet")
    summary = result.stderr.decode()
    assert result.returncode == 0
    for word in ("1 documents", "member_count", "triples", " s"):
        assert word in summary


@pytest.mark.model
def test_build_reads_stdin(tmp_path):
    text = b"Fiji has been a member of Interpol since 4 March 1971.\n"
    result = kg("build", "-", "-o", str(tmp_path / "g.nq"), "--quiet", stdin=text)
    assert result.returncode == 0, result.stderr.decode()
    assert "memberOf" in (tmp_path / "g.nq").read_text(encoding="utf-8")


@pytest.mark.model
@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("latin1.txt", b"Caf\xe9 society met Interpol.", "UTF-8"),
    ],
)
def test_unreadable_input_fails_cleanly_and_keeps_the_previous_output(
    tmp_path, previous, name, content, fragment
):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = kg("build", str(bad), "-o", str(previous), "--quiet")
    assert_one_line_error(result, fragment)
    assert previous.read_text(encoding="utf-8") == "# the previous graph\n"


def test_missing_input_path(tmp_path, previous):
    result = kg("build", str(tmp_path / "nope.txt"), "-o", str(previous), "--quiet")
    assert_one_line_error(result, "nope.txt")
    assert previous.read_text(encoding="utf-8") == "# the previous graph\n"


def test_unknown_output_format_fails_before_any_work(tmp_path):
    result = kg("build", str(EXAMPLE), "-o", str(tmp_path / "g.xyz"), "--quiet")
    assert_one_line_error(result, "xyz")
    assert not (tmp_path / "g.xyz").exists()


def test_unknown_format_name(tmp_path):
    result = kg("build", str(EXAMPLE), "-o", str(tmp_path / "g.ttl"), "--format", "yaml")
    assert_one_line_error(result, "yaml")


@pytest.mark.model
@pytest.mark.parametrize("suffix", [".ttl", ".trig", ".nq", ".nt", ".jsonld", ".rdf"])
def test_every_output_format_loads_back_for_queries(graph, tmp_path, suffix):
    from kg.rdfio import load_dataset, write_dataset

    path = tmp_path / f"g{suffix}"
    write_dataset(load_dataset(graph), path)
    result = kg("query", str(path), "--name", "members", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["rows"][0]["member"] == "Zimbabwe"


@pytest.mark.model
def test_query_inline_sparql_as_csv(graph):
    sparql = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?l WHERE { ?c a <https://w3id.org/kgnews/ontology#Country> ; "
        "skos:prefLabel ?l }"
    )
    result = kg("query", str(graph), sparql, "--format", "csv")
    assert result.returncode == 0
    assert result.stdout.decode().splitlines()[0] == "l"
    assert "Zimbabwe" in result.stdout.decode()


@pytest.mark.model
def test_query_from_file_with_tsv(graph, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    result = kg("query", str(graph), "-f", str(rq), "--format", "tsv")
    assert result.returncode == 0 and "true" in result.stdout.decode().lower()


@pytest.mark.model
def test_named_query_with_parameter(graph):
    result = kg(
        "query",
        str(graph),
        "--name",
        "member-counts",
        "--param",
        "organisation=interpol",
        "--format",
        "json",
    )
    counts = sorted(row["count"] for row in json.loads(result.stdout)["rows"])
    assert counts == [194, 196]


@pytest.mark.model
def test_malformed_sparql(graph):
    assert_one_line_error(kg("query", str(graph), "SELECT ?x WHERE { ?x"), "SPARQL")


@pytest.mark.model
def test_unknown_named_query(graph):
    assert_one_line_error(kg("query", str(graph), "--name", "membrs"), "membrs", "members")


@pytest.mark.model
def test_unknown_parameter(graph):
    result = kg("query", str(graph), "--name", "members", "--param", "org=INTERPOL")
    assert_one_line_error(result, "org", "organisation")


def test_query_on_missing_graph(tmp_path):
    assert_one_line_error(kg("query", str(tmp_path / "none.trig"), "ASK {}"), "none.trig")


def test_query_on_broken_rdf(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    assert_one_line_error(kg("query", str(broken), "ASK {}"), "broken.ttl")


def test_queries_lists_every_named_question():
    result = kg("queries")
    out = result.stdout.decode()
    for name in (
        "members",
        "member-counts",
        "member-count-conflicts",
        "treaty-actions",
        "operations",
        "positions",
        "statements",
        "evidence",
    ):
        assert name in out


def test_python_dash_m_and_help():
    result = kg("--help")
    assert result.returncode == 0 and "build" in result.stdout.decode()


@pytest.mark.model
def test_ctrl_c_during_a_store_build_keeps_the_finished_documents(tmp_path, monkeypatch, capfd):
    """Ctrl-C (a KeyboardInterrupt in the parent) ends the build with one line and code 130;
    the documents written before it stay in the store, and a rerun builds only the rest."""
    from kg import cli
    from kg.pipeline import DocumentResolver
    from kg.store import GraphStore

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        text = f"Country {i} has been a member of Interpol since {i + 1} March 1971."
        (corpus / f"doc{i}.txt").write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    resolve, calls = DocumentResolver.resolve, []

    def interrupted_at_the_third(self, item):
        calls.append(item.document.id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return resolve(self, item)

    monkeypatch.setattr(DocumentResolver, "resolve", interrupted_at_the_third)
    monkeypatch.setattr(sys, "argv", ["kg", "build", str(corpus), "--store", str(store), "-q"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    lines = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert exit_.value.code == 130
    assert lines == [
        "kg: interrupted; a file being written is left as it was, "
        "a store keeps the documents it finished"
    ]
    with GraphStore.open(store, read_only=True) as kept:
        assert len(kept.documents()) == 2
    rerun = kg("build", str(corpus), "--store", str(store))
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert "2 documents processed, 2 unchanged" in rerun.stderr.decode()

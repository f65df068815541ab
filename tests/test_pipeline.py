"""The whole path on the bundled example with the real English model."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.pipeline import BuildReport, build_dataset
from kg.query import run_named

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "articles"
DOC = "interpol-welcomes-un-cybercrime-convention"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def example():
    report = BuildReport()
    return build_dataset([EXAMPLE], report=report), report


def rows(example, name, **params):
    return run_named(example[0], name, params).as_dicts()


def test_zimbabwe_member_of_interpol_since_1980(example):
    (row,) = [
        r for r in rows(example, "members", organisation="Interpol") if r["member"] == "Zimbabwe"
    ]
    assert row["since"] == "1980-11-13"
    assert "Zimbabwe has been a member of Interpol since November 13, 1980" in row["sentence"]
    assert row["document"] == DOC


def test_general_assembly_adopted_the_convention(example):
    (row,) = rows(example, "treaty-actions", action="adopted")
    assert row["agent"] == "United Nations General Assembly"
    assert "Convention against Cybercrime" in row["treaty"]
    assert "adoption by the United Nations General Assembly" in row["sentence"]


def test_operation_coordinators_participants_period_and_counts(example):
    (row,) = rows(example, "operations", coordinator="AFRIPOL")
    assert set(row["coordinators"].split(" | ")) == {"AFRIPOL", "INTERPOL"}
    assert (row["participant_count"], row["arrests"], row["start"]) == (19, 1006, "2024-09")
    assert "malicious infrastructures" in row["counts"] and "134089" in row["counts"]
    assert "coordinated by INTERPOL and AFRIPOL" in row["sentences"]


def test_urquiza_holds_secretary_general_and_is_quoted(example):
    (post,) = rows(example, "positions", person="Valdecy Urquiza")
    assert (post["role"], post["organisation"]) == ("Secretary General", "INTERPOL")
    (said,) = rows(example, "statements", person="valdecy urquiza")
    assert said["quote"].startswith("Cybercrime is a uniquely borderless threat")
    assert said["sentence"].startswith("Interpol Secretary General Valdecy Urquiza said")


def test_both_reported_membership_sizes_are_kept(example):
    counts = sorted(r["count"] for r in rows(example, "member-counts", organisation="INTERPOL"))
    assert counts == [194, 196]
    (conflict,) = rows(example, "member-count-conflicts")
    assert conflict["organisation"] == "INTERPOL"


def test_every_fact_cites_a_sentence_of_the_document(example):
    text = (EXAMPLE / f"{DOC}.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]
    evidence = rows(example, "evidence", entity="INTERPOL")
    assert evidence
    for row in evidence:
        assert text[row["begin"] : row["end"]].strip() == row["sentence"].strip()


def test_report_counts_documents_and_facts(example):
    report = example[1]
    assert report.documents == 1
    assert report.facts["member_count"] == 2 and report.triples > 100


def test_the_built_graph_conforms_to_the_shacl_shapes(example):
    from pyshacl import validate
    from rdflib import Graph

    from kg.vocab import ONTOLOGY_PATH, SHAPES_PATH

    union = Graph()
    for triple in example[0].triples((None, None, None)):
        union.add(triple)
    conforms, _, text = validate(
        union,
        shacl_graph=Graph().parse(SHAPES_PATH),
        ont_graph=Graph().parse(ONTOLOGY_PATH),
        inference="rdfs",
    )
    assert conforms, text


def test_every_format_parses_back_with_rdflib_and_pyoxigraph(example, tmp_path):
    import pyoxigraph

    from kg.rdfio import FORMATS, load_dataset, write_dataset

    quads = len(list(example[0].quads((None, None, None, None))))
    for fmt in FORMATS.values():
        path = tmp_path / f"g{fmt.extensions[0]}"
        write_dataset(example[0], path)
        back = load_dataset(path)
        assert len(list(back.quads((None, None, None, None)))) == quads
        mime = {"json-ld": "application/ld+json"}.get(fmt.name, fmt.media_type)
        parsed = list(
            pyoxigraph.parse(path.read_bytes(), pyoxigraph.RdfFormat.from_media_type(mime))
        )
        assert len(parsed) == quads, fmt.name


def _graphs(dataset):
    return {str(g.identifier): g for g in dataset.graphs() if len(g)}


@pytest.mark.parametrize("suffix", [".trig", ".nq", ".ttl", ".nt"])
def test_streamed_file_is_isomorphic_to_the_rdflib_written_one(example, tmp_path, suffix):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from kg.pipeline import build_file
    from kg.rdfio import load_dataset, write_dataset

    write_dataset(example[0], tmp_path / f"before{suffix}")
    report = build_file([EXAMPLE], tmp_path / f"after{suffix}")
    before, after = (
        load_dataset(tmp_path / f"before{suffix}"),
        load_dataset(tmp_path / f"after{suffix}"),
    )
    assert report.documents == 1 and report.triples == example[1].triples
    if suffix in (".trig", ".nq"):
        old, new = _graphs(before), _graphs(after)
        assert old.keys() == new.keys()
        assert all(isomorphic(old[name], new[name]) for name in old)
    else:
        old, new = Graph(), Graph()
        for union, dataset in ((old, before), (new, after)):
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                union.add((s, p, o))
        assert len(old) == len(new) and isomorphic(old, new)


def test_streamed_union_states_each_triple_once(tmp_path):
    from kg.pipeline import build_file

    build_file([EXAMPLE], tmp_path / "g.nt")
    lines = [line for line in (tmp_path / "g.nt").read_text().splitlines() if line]
    assert len(lines) == len(set(lines))


def test_two_processes_build_the_same_graph_as_one(example):
    from rdflib.compare import isomorphic

    two = build_dataset([EXAMPLE], processes=2)
    old, new = _graphs(example[0]), _graphs(two)
    assert old.keys() == new.keys()
    assert all(isomorphic(old[name], new[name]) for name in old)


def test_a_failed_streamed_build_keeps_the_previous_file(tmp_path):
    from kg.errors import InputError
    from kg.pipeline import build_file

    out = tmp_path / "g.trig"
    out.write_bytes(b"previous")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(InputError):
        build_file([tmp_path / "empty.txt"], out, strict=True)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

"""Helpers of the hardening tests: build texts through the real ``kg.pipeline``, and check
that every export of the result parses back."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic, to_canonical_graph

from kg.export import export
from kg.export.csv_tables import read_csv
from kg.pipeline import BuildReport, build_dataset
from kg.rdfio import FORMATS, load_dataset, write_dataset

RDF_EXTENSIONS = {name: fmt.extensions[0] for name, fmt in FORMATS.items()}
_OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}


def write_jsonl(path: Path, texts: list[str], ids: list[str] | None = None) -> Path:
    """One JSONL record a text (JSON escapes carry lone surrogates and controls as they are)."""
    ids = ids or [f"d{i}" for i in range(len(texts))]
    lines = [json.dumps({"id": i, "text": t}) for i, t in zip(ids, texts, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build(inputs: list[Path], **options: object) -> tuple[Dataset, BuildReport]:
    report = BuildReport()
    return build_dataset(inputs, report=report, **options), report


def union(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def canonical_hash(dataset: Dataset) -> str:
    """SHA-256 of the sorted canonical N-Triples of the union of the graphs."""
    lines = to_canonical_graph(union(dataset)).serialize(format="nt").splitlines()
    return hashlib.sha256("\n".join(sorted(filter(None, lines))).encode()).hexdigest()


def assert_rdf_round_trips(dataset: Dataset, folder: Path) -> None:
    """Every RDF format kg writes re-parses isomorphically (rdflib) and parses in pyoxigraph."""
    expected = union(dataset)
    for name, extension in RDF_EXTENSIONS.items():
        path = folder / f"graph{extension}"
        write_dataset(dataset, path)
        assert isomorphic(union(load_dataset(path)), expected), name
        quads = list(ox.parse(path=str(path), format=_OX_FORMATS[name]))
        assert len({(q.subject, q.predicate, q.object) for q in quads}) == len(expected), name


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def assert_exports_parse(dataset: Dataset, folder: Path) -> None:
    """GraphML and GEXF read back with networkx, the HTML view holds no element or handler
    from data, and the CSV tables round-trip."""
    graphml = export(dataset, "graphml", folder / "g.graphml")
    assert nx.read_graphml(folder / "g.graphml").number_of_nodes() == graphml.number_of_nodes()
    gexf = export(dataset, "gexf", folder / "g.gexf")
    assert nx.read_gexf(folder / "g.gexf").number_of_nodes() == gexf.number_of_nodes()
    export(dataset, "html", folder / "g.html")
    page = _Elements()
    page.feed((folder / "g.html").read_text(encoding="utf-8"))
    assert not {"img", "svg", "iframe", "object", "embed"} & set(page.tags)
    assert page.handlers == []
    tables = export(dataset, "csv", folder / "tables.zip")
    export(dataset, "csv", folder / "tables")
    back = read_csv(folder / "tables" / "nodes.csv", folder / "tables" / "edges.csv")
    assert set(back.nodes) == set(tables.nodes)
    assert back.number_of_edges() == tables.number_of_edges()
    for path in (folder / "tables").glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        assert len({len(row) for row in rows}) == 1

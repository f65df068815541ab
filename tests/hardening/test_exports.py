"""Rows B33-B35 of RELIABILITY.md: exports of names that attack them (markup, formulas), and
writers that fail half-way, for every format kg writes."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

import pytest
import rdflib
from rdflib import Dataset

import kg.export
from kg.errors import OutputError
from kg.export import FORMATS as EXPORT_FORMATS
from kg.export import export, get_format
from kg.rdfio import FORMATS as RDF_FORMATS
from kg.rdfio import load_dataset, write_dataset

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = Path(__file__).resolve().parent.parent / "export" / "fixtures" / "hostile.trig"
ATTACKS = ("</script><img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "`${x}`")


@pytest.fixture(scope="module")
def hostile() -> Dataset:
    return load_dataset(HOSTILE)


@pytest.fixture(scope="module")
def mini() -> Dataset:
    return load_dataset(FIXTURES / "mini_graph.trig")


class _Elements(HTMLParser):
    """Every element of a page, with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._script_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script_id = dict(attrs).get("id") or f"script-{len(self.scripts)}"
            self.scripts[self._script_id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_id = None

    def handle_data(self, data: str) -> None:
        if self._script_id is not None:
            self.scripts[self._script_id] += data


def _page(source: Dataset, path: Path) -> _Elements:
    export(source, "html", path)
    parser = _Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# --- B33 hostile labels in HTML ----------------------------------------------------------------


def test_b33_hostile_labels_add_no_element_to_the_html_page(hostile, mini, tmp_path) -> None:
    attacked = _page(hostile, tmp_path / "hostile.html")
    plain = _page(mini, tmp_path / "mini.html")
    tags = [tag for tag, _ in attacked.elements]
    assert not {"img", "svg"} & set(tags)
    assert sorted(tags) == sorted(tag for tag, _ in plain.elements)  # the same page skeleton
    handlers = [name for _, attrs in attacked.elements for name in attrs if name.startswith("on")]
    assert handlers == []


def test_b33_the_embedded_json_gives_back_the_original_labels(hostile, tmp_path) -> None:
    page = _page(hostile, tmp_path / "hostile.html")
    data = json.loads(page.scripts["kg-data"])
    names = {node["data"].get("name") for node in data["elements"]["nodes"]}
    assert set(ATTACKS) & names
    assert all(isinstance(name, str) for name in names)


def test_b33_the_page_carries_a_content_security_policy(hostile, tmp_path) -> None:
    page = _page(hostile, tmp_path / "hostile.html")
    policies = [
        attrs.get("content", "")
        for tag, attrs in page.elements
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(policies) == 1
    assert "default-src 'none'" in policies[0]


# --- B34 formulas in CSV ------------------------------------------------------------------------


def test_b34_csv_cells_that_start_a_formula_are_defused(hostile, tmp_path) -> None:
    out = tmp_path / "tables.zip"
    export(hostile, "csv", out)
    with zipfile.ZipFile(out) as archive:
        text = archive.read("nodes.csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells
    assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    defused = [cell for cell in cells if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@")]
    assert defused  # the fixture's formulas arrived, with the leading quote


# --- B35 a writer that fails half-way ---------------------------------------------------------


def _half_then_fail(*args: object, **kwargs: object) -> None:
    stream = kwargs.get("destination") or next(a for a in args if hasattr(a, "write"))
    stream.write(b"half of a graph ")  # type: ignore[union-attr]
    raise ValueError("the serializer broke half-way")


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_b35_a_failing_rdf_serializer_leaves_the_old_file(mini, tmp_path, monkeypatch, fmt) -> None:
    out = tmp_path / f"graph{RDF_FORMATS[fmt].extensions[0]}"
    write_dataset(mini, out)
    old = out.read_bytes()
    monkeypatch.setattr(rdflib.Graph, "serialize", _half_then_fail)
    monkeypatch.setattr(rdflib.Dataset, "serialize", _half_then_fail)
    with pytest.raises(OutputError, match=f"cannot write {out}: the serializer broke"):
        write_dataset(mini, out)
    assert out.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    monkeypatch.undo()
    write_dataset(mini, out)  # the next run: a whole new file, nothing else
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_b35_a_failing_export_writer_leaves_the_old_file(mini, tmp_path, monkeypatch, fmt) -> None:
    out = tmp_path / f"graph{get_format(fmt).extension}"
    export(mini, fmt, out)
    old = out.read_bytes()
    module = get_format(fmt).load()

    def broken(_graph: object, stream: BinaryIO) -> None:
        stream.write(b"half of a graph ")
        raise ValueError("the writer broke half-way")

    monkeypatch.setattr(module, "write", broken)
    with pytest.raises(OutputError, match="the writer broke half-way"):
        export(mini, fmt, out)
    assert out.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    monkeypatch.undo()
    export(mini, fmt, out)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    assert kg.export.FORMATS[fmt].load().write is not broken

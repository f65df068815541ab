"""``kg remove``: documents leave a store in one go, or, when any id is unknown, none do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from kg.store import GraphStore
from kg.vocab import KG

BASE = "https://w3id.org/kgnews/"


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1 and "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    with GraphStore.open(path, create=True) as opened:
        for doc_id in ("alpha", "beta", "wire/gamma"):
            graph = Graph()
            doc = URIRef(f"{BASE}doc/{doc_id}")
            graph.add((doc, RDF.type, KG.Document))
            graph.add((doc, DCTERMS.identifier, Literal(doc_id)))
            opened.replace_document(doc_id, graph, f"hash {doc_id}")
    return path


def documents(path: Path) -> list[str]:
    with GraphStore.open(path, read_only=True) as opened:
        return list(opened.documents())


def test_remove_retracts_the_named_documents(store: Path) -> None:
    result = kg("remove", "alpha", "wire/gamma", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"kg: removed 2 documents from {store}"
    assert documents(store) == ["beta"]


def test_an_unknown_id_removes_nothing(store: Path) -> None:
    line = one_line_error(kg("remove", "alpha", "gamma", "--store", str(store)))
    assert "holds no document 'gamma'; nothing removed" in line
    assert documents(store) == ["alpha", "beta", "wire/gamma"]


def test_a_folder_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    assert "not a kg store" in one_line_error(kg("remove", "alpha", "--store", str(tmp_path)))
    missing = tmp_path / "missing"
    assert "no kg store" in one_line_error(kg("remove", "alpha", "--store", str(missing)))
    assert not missing.exists()


def test_remove_needs_a_store_and_an_id(store: Path) -> None:
    assert kg("remove", "alpha").returncode == 2
    assert kg("remove", "--store", str(store)).returncode == 2
    assert documents(store) == ["alpha", "beta", "wire/gamma"]

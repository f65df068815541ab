"""Graphs for the export tests: the query tests' two-document graph and a hostile one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset

from kg.rdfio import load_dataset

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_GRAPH = Path(__file__).resolve().parent.parent / "fixtures" / "mini_graph.trig"
HOSTILE_GRAPH = FIXTURES / "hostile.trig"


@pytest.fixture(scope="session")
def mini() -> Dataset:
    """Two invented reports about Veldoria (see tests/fixtures/mini_graph.trig)."""
    return load_dataset(MINI_GRAPH)


@pytest.fixture(scope="session")
def hostile() -> Dataset:
    """Names that attack every export (see fixtures/hostile.trig)."""
    return load_dataset(HOSTILE_GRAPH)

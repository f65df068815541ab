"""Fixtures of the server tests: the mini graph, an app over it, and a client for that app."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from rdflib import Dataset
from rdflib.namespace import DCTERMS

from kg.rdfio import load_dataset
from kg.server import KgApp
from kg.store import GraphStore, open_source
from tests.server.helpers import MINI_GRAPH, Call, wsgi_call


@pytest.fixture(scope="session")
def mini_dataset() -> Dataset:
    return load_dataset(MINI_GRAPH)


@pytest.fixture(scope="session")
def mini_app(mini_dataset: Dataset) -> KgApp:
    return KgApp(mini_dataset)


@pytest.fixture
def call(mini_app: KgApp) -> Call:
    """Requests to an app over the mini graph with the default limits."""
    return lambda *args, **kwargs: wsgi_call(mini_app, *args, **kwargs)


@pytest.fixture(scope="session")
def mini_store(tmp_path_factory, mini_dataset: Dataset) -> Iterator[GraphStore]:
    """The mini graph as a kg store folder, one document graph each, opened read-only."""
    folder = tmp_path_factory.mktemp("store") / "mini"
    with GraphStore.open(folder, create=True) as store:
        for graph in mini_dataset.graphs():
            for doc_id in map(str, graph.objects(None, DCTERMS.identifier)):
                digest = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()
                store.replace_document(doc_id, graph, digest)
    source = open_source(folder)
    assert isinstance(source, GraphStore)
    try:
        yield source
    finally:
        source.close()

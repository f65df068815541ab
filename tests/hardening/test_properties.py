"""Harness properties of RELIABILITY.md on the text -> graph path, with Hypothesis: any text
builds or raises one of kg's own errors within the per-document budget; every export of the
result parses back; building twice equals building once.

Each example runs the real ``kg.pipeline.build_dataset`` on a JSONL file (JSON escapes carry
lone surrogates and every control character), with the session's one spaCy pipeline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset
from rdflib.compare import isomorphic
from spacy.language import Language

import kg.nlp
from kg.errors import KgError
from tests.hardening.helpers import (
    assert_exports_parse,
    assert_rdf_round_trips,
    build,
    canonical_hash,
    union,
    write_jsonl,
)

pytestmark = pytest.mark.model

DOCUMENT_BUDGET = 2.0  # seconds a document, here; the target is 1 s
_SETTINGS = {
    "deadline": None,  # the budget is asserted per build, with a message
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "derandomize": True,
}

# Every code point, lone surrogates (category Cs) included.
_ANY_CHAR = st.characters(exclude_categories=())
_RUN_CHARS = st.sampled_from(list("!?.,\"'()[]{}-=*#@\u2603\u0301\u200b \n"))
_runs = st.builds(
    lambda head, char, n, tail: head + char * n + tail,
    st.text(_ANY_CHAR, max_size=40),
    _RUN_CHARS,
    st.integers(100, 20_000),
    st.text(_ANY_CHAR, max_size=40),
)
_NAMES = st.text(_ANY_CHAR, min_size=1, max_size=30)
_news = st.builds(
    lambda a, b, c: (
        f"{a} joined INTERPOL on 3 May 2021. {b} is a member of Europol. "
        f'Operation {c} was coordinated by Europol. "{a}" said {b}, the head of {c}.'
    ),
    _NAMES,
    _NAMES,
    _NAMES,
)
_texts = st.one_of(st.text(_ANY_CHAR, max_size=400), _runs, _news)


@pytest.fixture(scope="module")
def pipeline(session_nlp: Language) -> Iterator[Language]:
    with mock.patch.object(kg.nlp, "load_pipeline", lambda model=None: session_nlp):
        yield session_nlp


@contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kg-property-") as name:
        yield Path(name)


def _build_timed(folder: Path, texts: list[str]) -> Dataset | KgError:
    source = write_jsonl(folder / "docs.jsonl", texts)
    started = time.perf_counter()
    try:
        result: Dataset | KgError = build([source])[0]
    except KgError as exc:
        result = exc
    elapsed = time.perf_counter() - started
    assert elapsed < DOCUMENT_BUDGET * len(texts), f"{elapsed:.2f} s for {texts!r:.200}"
    return result


@settings(max_examples=120, **_SETTINGS)
@given(text=_texts)
def test_any_text_builds_or_raises_a_kg_error_within_the_budget(pipeline, text: str) -> None:
    with _folder() as folder:
        result = _build_timed(folder, [text])
    assert isinstance(result, Dataset | KgError)


@settings(max_examples=25, **_SETTINGS)
@given(text=_news)
def test_every_export_of_a_built_graph_parses_back(pipeline, text: str) -> None:
    with _folder() as folder:
        result = _build_timed(folder, [text])
        assert isinstance(result, Dataset)
        assert_rdf_round_trips(result, folder)
        assert_exports_parse(result, folder)


@settings(max_examples=25, **_SETTINGS)
@given(texts=st.lists(st.one_of(_news, st.text(_ANY_CHAR, max_size=200)), min_size=1, max_size=3))
def test_building_twice_equals_building_once(pipeline, texts: list[str]) -> None:
    with _folder() as folder:
        once = _build_timed(folder, texts)
        again = _build_timed(folder, texts)
        doubled = write_jsonl(
            folder / "doubled.jsonl", texts * 2, [f"d{i}" for i in range(len(texts))] * 2
        )
        if isinstance(once, KgError):
            assert type(again) is type(once)
            return
        twice, _ = build([folder / "docs.jsonl", doubled])
    assert isomorphic(union(again), union(once))
    assert canonical_hash(again) == canonical_hash(once)
    assert canonical_hash(twice) == canonical_hash(once)
    assert {g.identifier for g in twice.graphs()} == {g.identifier for g in once.graphs()}

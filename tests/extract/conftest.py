"""Fixtures for rule tests: a blank English vocabulary, the package's rules, and a helper
that runs the extractor over a hand-built Doc (no statistical model anywhere)."""

from __future__ import annotations

import pytest
import spacy

from kg.extract import Extractor
from kg.records import Document, DocumentFacts
from tests.extract.handdoc import hand_doc


@pytest.fixture(scope="session")
def nlp():
    return spacy.blank("en")


@pytest.fixture(scope="session")
def extractor(nlp):
    return Extractor(nlp)


@pytest.fixture
def extract(nlp, extractor):
    def run(
        marked_text: str, *, date: str | None = "2024-11-27", title: str | None = None
    ) -> DocumentFacts:
        doc = hand_doc(nlp.vocab, marked_text)
        return extractor.extract(Document("test", doc.text, title=title, date=date), doc)

    return run

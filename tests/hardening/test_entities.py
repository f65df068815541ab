"""Rows B15-B18 of RELIABILITY.md: entity text, IRI minting and literals."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.export import export
from kg.extract import EMPTY_NAME, _names_all
from kg.iri import DEFAULT_BASE, IriMinter, check_iri
from kg.pipeline import DocumentResolver
from kg.rdf import document_graph, new_dataset
from kg.rdfio import load_dataset, write_dataset
from kg.records import (
    Document,
    DocumentFacts,
    EntityKind,
    Fact,
    Membership,
    Mention,
    Provenance,
    Sentence,
    Statement,
)
from kg.text import clean_text
from tests.hardening.helpers import assert_exports_parse, assert_rdf_round_trips, union

HOSTILE_NAMES = [
    "Acme > Corp",
    "a b",
    'x" . <http://evil/s> <http://evil/p> <http://evil/o> .',
    "Line\nbreak\tand\x00nul",
    "Braces {} pipe | back\\slash caret ^ and `tick`",
]
LINK_NAMES = ["javascript:alert(1)", "http://169.254.169.254/", "file:///etc/passwd"]
CONTROL_LITERAL = "Vel\x00do\x07ria\x0c \ud800 Agency"
# RFC 3986 absolute URI made of unreserved, reserved and %-escapes only (an IRI that is
# also a URI passes RFC 3987).
_RFC3986 = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-F]{2})*"
)


def _graph_of(names: list[str], *, title: str = "Report", quote: str = "We said so.") -> object:
    """A dataset of one document where each name joins INTERPOL, and the first one speaks."""
    sentences = [f"{name} joined INTERPOL." for name in names] + [f'{names[0]} said "{quote}"']
    text = clean_text(" ".join(sentences))
    document = Document(id="hostile/doc", text=text, title=title, source=title)
    facts, mentions, start = [], [], 0
    for i, name in enumerate(clean_text(n) for n in names):
        end = start + len(name)
        who = Mention(name, EntityKind.ORGANISATION, start, end)
        org_start = end + len(" joined ")
        org = Mention(
            "INTERPOL", EntityKind.INTERNATIONAL_ORGANISATION, org_start, org_start + 8, "interpol"
        )
        sentence_end = org_start + len("INTERPOL.")
        sentence = Sentence(document.id, start, sentence_end, text[start:sentence_end])
        facts.append(Fact(Membership(who, org), Provenance((sentence,), "membership.v1", 0.9)))
        mentions += [who, org]
        if i == 0:
            speaker = who
        start = sentence_end + 1
    last = Sentence(document.id, start, len(text), text[start:])
    said = Mention(speaker.text, speaker.kind, start, start + len(speaker.text))
    facts.append(Fact(Statement(said, clean_text(quote)), Provenance((last,), "said.v1", 0.9)))
    item = DocumentFacts(document, tuple(facts), (*mentions, said))
    resolution, _ = DocumentResolver().resolve(item)
    dataset = new_dataset()
    document_graph(item, resolution, IriMinter(), dataset)
    return dataset


def _iris(dataset) -> set[str]:
    return {str(t) for q in dataset.quads() for t in q[:3] if isinstance(t, URIRef)}


def test_b15_hostile_entity_text_mints_safe_iris_and_every_format_round_trips(
    tmp_path: Path,
) -> None:
    dataset = _graph_of(HOSTILE_NAMES)
    iris = _iris(dataset)
    assert all(_RFC3986.fullmatch(iri) and check_iri(iri) for iri in iris)
    assert not any(iri.startswith("http://evil") for iri in iris)
    labels = {str(o) for o in dataset.objects(None, SKOS.prefLabel)}
    assert "Acme > Corp" in labels
    write_dataset(dataset, tmp_path / "g.nt")
    lines = [line for line in (tmp_path / "g.nt").read_text().splitlines() if line.strip()]
    assert len(lines) == len(union(dataset))
    assert_rdf_round_trips(dataset, tmp_path)


def test_b16_names_that_normalise_to_empty_are_dropped_with_a_reason(caplog) -> None:
    document = Document(id="d", text="!!! joined INTERPOL.")
    sentence = Sentence("d", 0, 20, document.text)
    bang = Mention("!!!", EntityKind.COUNTRY, 0, 3)
    org = Mention("INTERPOL", EntityKind.INTERNATIONAL_ORGANISATION, 11, 19, "interpol")
    fact = Fact(Membership(bang, org), Provenance((sentence,), "membership.v1", 0.9))
    with caplog.at_level(logging.INFO, logger="kg.extract"):
        assert not _names_all(fact, document)
    assert EMPTY_NAME in caplog.text and "member_of" in caplog.text
    named = Fact(Membership(org, org), fact.provenance)
    assert _names_all(named, document)
    assert clean_text("\u200b") == ""


@pytest.mark.model
def test_b16_punctuation_entities_never_reach_the_graph(
    tmp_path: Path, real_pipeline, session_nlp
) -> None:
    from kg.extract import Extractor

    extractor = Extractor(session_nlp)
    text = "!!! joined INTERPOL in 2020. ??? is a member of Europol."
    item = extractor.extract(Document("d", text), session_nlp(text))
    names = {m.text for m in item.mentions}
    assert not any(set(name) <= set("!? ") for name in names)
    dataset = new_dataset()
    document_graph(item, DocumentResolver().resolve(item)[0], IriMinter(), dataset)
    assert not {iri for iri in _iris(dataset) if iri.rstrip("/").endswith(("org", "country"))}
    assert DEFAULT_BASE not in _iris(dataset)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets += [v or "" for k, v in attrs if k in {"href", "src", "action", "xlink:href"}]


def test_b17_link_like_names_are_only_labels(tmp_path: Path) -> None:
    dataset = _graph_of(LINK_NAMES)
    iris = _iris(dataset)
    assert all(iri.startswith(("https://", "http://")) for iri in iris)
    assert not any("169.254" in iri for iri in iris)
    assert not any(name.rstrip("/") in iris for name in LINK_NAMES)
    labels = {str(o) for o in dataset.objects(None, SKOS.prefLabel)}
    assert set(LINK_NAMES) <= labels
    export(dataset, "html", tmp_path / "view.html")
    page = _Links()
    page.feed((tmp_path / "view.html").read_text(encoding="utf-8"))
    assert all(t.startswith(("https://", "http://", "#", "data:")) for t in page.targets)
    assert not any(t.startswith(("javascript:", "file:", "http://169.254")) for t in page.targets)


def test_b18_control_characters_and_surrogates_in_literals_are_sanitised(
    tmp_path: Path,
) -> None:
    dataset = _graph_of([CONTROL_LITERAL], title=CONTROL_LITERAL, quote=CONTROL_LITERAL)
    literals = [o for *_, o, _ in dataset.quads() if isinstance(o, Literal)]
    assert Literal("Veldoria \ufffd Agency") in set(dataset.objects(None, DCTERMS.title))
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", str(o)) for o in literals)
    write_dataset(dataset, tmp_path / "g.rdf")
    assert len(union(load_dataset(tmp_path / "g.rdf"))) == len(union(dataset))
    export(dataset, "graphml", tmp_path / "g.graphml")
    export(dataset, "gexf", tmp_path / "g.gexf")
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() > 0
    assert nx.read_gexf(tmp_path / "g.gexf").number_of_nodes() > 0
    assert_exports_parse(dataset, tmp_path)

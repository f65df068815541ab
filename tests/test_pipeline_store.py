"""Incremental builds into a store: only new and changed documents are processed, each
written in one transaction; the same input gives the same graph as a file build; an
interrupted build keeps what it finished; bad input and a locked store change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import pytest

from kg.errors import InputError, OutputError
from kg.pipeline import (
    BuildReport,
    DocumentResolver,
    ResolutionMemory,
    build_dataset,
    build_store,
    content_hash,
)
from kg.records import (
    Document,
    DocumentFacts,
    EntityKind,
    Fact,
    MemberCount,
    Mention,
    Provenance,
    Sentence,
)
from kg.store import DocumentWriter, GraphStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "articles"
ARTICLES = {
    "a.txt": "title: Portugal and INTERPOL\ndate: 2023-05-02\n\n"
    "Portugal has been a member of INTERPOL since 1930. "
    "INTERPOL has a membership of 196 countries.\n",
    "b.txt": "title: Convention signed\ndate: 2022-03-03\n\n"
    "Portugal signed the Budapest Convention on 3 March 2022.\n"
    'Europol Executive Director Catherine De Bolle said: "This is a good day for cooperation."\n',
    "c.txt": "title: Harbour raids\ndate: 2024-06\n\n"
    "Operation Red Harbour, coordinated by Europol and INTERPOL, ran in 12 countries "
    "including Portugal and Spain and led to 40 arrests.\n",
}
RENAMED = (
    "title: Red Sky\n\nOperation Red Sky, later renamed Operation Blue Sky, "
    "was coordinated by Europol and led to 12 arrests.\n"
)
BLUE_SKY = (
    "title: Blue Sky\n\nOperation Blue Sky, coordinated by INTERPOL, "
    "led to 30 arrests in Portugal and Spain.\n"
)


def write_corpus(folder: Path, articles: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def quads(dataset) -> set[tuple]:
    """Every quad of the named graphs, graph named by its IRI."""
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in dataset.quads()}


def contents(path: Path) -> tuple[dict[str, str], set[tuple]]:
    with GraphStore.open(path, read_only=True) as store:
        return store.documents(), quads(store.to_dataset())


@pytest.fixture(scope="module")
def one_model():
    """Load spaCy once for the module instead of once per build."""
    import kg.nlp

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kg.nlp, "load_pipeline", cache(kg.nlp.load_pipeline))
        yield


def no_model(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("spaCy was loaded for a build with nothing to parse")


# --- the example --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory, one_model):
    path = tmp_path_factory.mktemp("example") / "store"
    first = build_store([EXAMPLE], path)
    return path, first, build_dataset([EXAMPLE])


@pytest.mark.model
def test_the_example_store_holds_exactly_the_file_build(example) -> None:
    path, report, dataset = example
    documents, stored = contents(path)
    assert stored == quads(dataset)
    assert list(documents) == ["interpol-welcomes-un-cybercrime-convention"]
    assert (report.documents, report.unchanged, report.removed) == (1, 0, 0)
    assert report.triples == len(stored) and report.facts["member_count"] == 2
    assert "1 documents processed, 0 unchanged, 0 removed" in report.summary()


@pytest.mark.model
def test_a_rerun_processes_nothing_and_leaves_the_store_as_it_was(
    example, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.nlp

    path = example[0]
    before = contents(path)
    monkeypatch.setattr(kg.nlp, "load_pipeline", no_model)
    ticks: list[str] = []
    again = build_store([EXAMPLE], path, on_document=lambda doc: ticks.append(doc.id))
    assert (again.documents, again.unchanged, again.removed) == (0, 1, 0)
    assert ticks == ["interpol-welcomes-un-cybercrime-convention"]
    assert contents(path) == before


# --- a small corpus -----------------------------------------------------------------------


@pytest.mark.model
def test_a_changed_document_alone_is_processed_and_its_graph_replaced(
    tmp_path: Path, one_model
) -> None:
    corpus = write_corpus(tmp_path / "corpus", ARTICLES)
    build_store([corpus], tmp_path / "store")
    (corpus / "a.txt").write_text(
        ARTICLES["a.txt"] + "Spain has been a member of INTERPOL since 1956.\n", encoding="utf-8"
    )
    report = build_store([corpus], tmp_path / "store")
    assert (report.documents, report.unchanged) == (1, 2)
    assert report.facts["member_of"] == 2
    documents, stored = contents(tmp_path / "store")
    assert stored == quads(build_dataset([corpus]))
    assert documents["a"] != documents["b"]


@pytest.mark.model
def test_an_interrupted_build_keeps_earlier_documents_and_nothing_of_the_failed_one(
    tmp_path: Path, one_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "corpus", ARTICLES)
    clean = build_dataset([corpus])
    path = tmp_path / "store"
    original = DocumentWriter.write

    def fail_while_writing_b(self: DocumentWriter, doc_id: str, *args, **kwargs) -> None:
        if doc_id == "b":  # a, finished and waiting in the batch, is written all the same
            raise OutputError("cannot write to store: No space left on device")
        original(self, doc_id, *args, **kwargs)

    monkeypatch.setattr(DocumentWriter, "write", fail_while_writing_b)
    with pytest.raises(OutputError, match="No space left"):
        build_store([corpus], path)
    documents, stored = contents(path)
    assert list(documents) == ["a"]
    assert stored == {quad for quad in quads(clean) if str(quad[3]).endswith("/graph/a")}
    with GraphStore.open(path, read_only=True) as store:
        union = store.store.query("ASK { ?t <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
        assert bool(union)
        said_only_by_b = "ASK { ?s <https://w3id.org/kgnews/ontology#quote> ?q }"
        assert not bool(store.store.query(said_only_by_b))
    monkeypatch.setattr(DocumentWriter, "write", original)
    rerun = build_store([corpus], path)
    assert (rerun.documents, rerun.unchanged) == (2, 1)
    assert contents(path)[1] == quads(clean)


@pytest.mark.model
def test_prune_removes_the_documents_the_inputs_no_longer_hold(
    tmp_path: Path, one_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.nlp

    corpus = write_corpus(tmp_path / "corpus", ARTICLES)
    build_store([corpus], tmp_path / "store")
    (corpus / "c.txt").unlink()
    monkeypatch.setattr(kg.nlp, "load_pipeline", no_model)
    kept = build_store([corpus], tmp_path / "store")
    assert (kept.documents, kept.unchanged, kept.removed) == (0, 2, 0)
    assert list(contents(tmp_path / "store")[0]) == ["a", "b", "c"]
    pruned = build_store([corpus], tmp_path / "store", prune=True)
    assert (pruned.documents, pruned.unchanged, pruned.removed) == (0, 2, 1)
    monkeypatch.undo()
    assert contents(tmp_path / "store")[1] == quads(build_dataset([corpus]))


@pytest.mark.model
def test_an_alias_learnt_in_an_earlier_run_resolves_a_later_document(
    tmp_path: Path, one_model
) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": RENAMED})
    build_store([corpus], tmp_path / "store")
    write_corpus(corpus, {"b.txt": BLUE_SKY})
    # another process, with another string hash: the keys must not depend on it
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(corpus), "--store", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONHASHSEED": "2"},
    )
    assert result.returncode == 0, result.stderr
    assert "1 documents processed, 1 unchanged, 0 removed" in result.stderr.splitlines()[-1]
    stored = contents(tmp_path / "store")[1]
    assert stored == quads(build_dataset([corpus]))
    operations = {str(o) for _, p, o, _ in stored if str(p).endswith("#operation")}
    assert operations == {"https://w3id.org/kgnews/id/operation/red-sky"}


@pytest.mark.model
def test_a_build_into_a_store_holds_no_table_that_grows_with_the_store(
    tmp_path: Path, one_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents and learnt entities are asked of the store one at a time: reading its whole
    tables would make a build's memory grow with every document it holds. What the build
    writes is what it wrote when it read them whole."""
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": ARTICLES["a.txt"], "r.txt": RENAMED})
    build_store([corpus], tmp_path / "store")
    write_corpus(corpus, {"b.txt": ARTICLES["b.txt"], "s.txt": BLUE_SKY})
    for table in ("documents", "_memory"):
        monkeypatch.setattr(GraphStore, table, whole_table)
    report = build_store([corpus], tmp_path / "store")
    monkeypatch.undo()
    assert (report.documents, report.unchanged) == (2, 2)
    assert contents(tmp_path / "store")[1] == quads(build_dataset([corpus]))


def whole_table(*_args: object) -> None:
    raise AssertionError("a build read a whole table of the store")


# --- refusals -----------------------------------------------------------------------------


def test_a_bad_input_makes_no_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        build_store([tmp_path / "missing"], tmp_path / "store")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no document could be read"):
        build_store([tmp_path / "empty.txt"], tmp_path / "store")
    assert not (tmp_path / "store").exists()


def test_a_store_keeps_the_base_iri_it_was_built_with(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": ARTICLES["a.txt"]})
    with GraphStore.open(tmp_path / "store", create=True) as store:
        store.replace_document("old", [], "hash")
    with pytest.raises(InputError, match=r"minted under https://w3id\.org/kgnews/"):
        build_store([corpus], tmp_path / "store", base_iri="https://example.org/kg/")
    assert contents(tmp_path / "store")[0] == {"old": "hash"}


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one of: -o/--output FILE, or --store DIR"),
        (("-o", "g.trig", "--store", "s"), "exactly one of"),
        (("-o", "g.trig", "--prune"), "--prune applies to --store only"),
        (("--store", "s", "--format", "ttl"), "--format applies to -o/--output files"),
    ],
)
def test_build_takes_exactly_one_of_an_output_file_and_a_store(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": ARTICLES["a.txt"]})
    result = kg("build", str(corpus), *args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"kg: error: {message}" or message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_building_into_a_store_another_process_writes_fails_and_changes_nothing(
    tmp_path: Path,
) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": ARTICLES["a.txt"]})
    path = tmp_path / "store"
    with GraphStore.open(path, create=True) as store:
        store.replace_document("old", [], "hash")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_STORE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = kg("build", str(corpus), "--store", str(path), "--quiet")
    finally:
        holder.communicate("done\n", timeout=30)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"is locked by another kg process (pid {holder.pid})" in lines[0]
    assert contents(path)[0] == {"old": "hash"}


_HOLD_STORE = textwrap.dedent(
    """
    import sys
    from kg.store import GraphStore
    with GraphStore.open(sys.argv[1]):
        print("ready", flush=True)
        sys.stdin.readline()
    """
)


# --- resolution and hashes ----------------------------------------------------------------


def counted(doc_id: str, text: str, kind: EntityKind) -> DocumentFacts:
    """A document whose one fact counts the members of the organisation it names."""
    body = f"{text} has 12 members."
    mention = Mention(text, kind, 0, len(text))
    fact = Fact(
        MemberCount(mention, 12), Provenance((Sentence(doc_id, 0, len(body), body),), "t.v1", 0.9)
    )
    return DocumentFacts(Document(doc_id, body), (fact,))


def test_an_entity_keeps_the_label_and_kind_it_was_first_seen_with() -> None:
    resolver = DocumentResolver()
    first, learnt = resolver.resolve(counted("d1", "Harbour Crime Unit", EntityKind.ORGANISATION))
    (key,) = first.entities
    assert learnt.entities == {key: ("Organisation", "Harbour Crime Unit")}
    later, learnt = resolver.resolve(
        counted("d2", "HARBOUR CRIME UNIT", EntityKind.LAW_ENFORCEMENT_AGENCY)
    )
    entity = later.entities[key]
    assert (entity.kind, entity.label) == (EntityKind.ORGANISATION, "Harbour Crime Unit")
    assert entity.alt_labels == ("HARBOUR CRIME UNIT",)
    assert learnt.entities == {}
    alone, _ = DocumentResolver(ResolutionMemory(dict(resolver.memory.entities))).resolve(
        counted("d2", "HARBOUR CRIME UNIT", EntityKind.LAW_ENFORCEMENT_AGENCY)
    )
    assert alone.entities == later.entities


def test_the_content_hash_follows_the_document_and_the_model_not_its_path() -> None:
    document = Document("a", "Some text.", title="T", date="2024", source="S", path="x/a.txt")
    digest = content_hash(document)
    assert content_hash(Document("a", "Some text.", "T", "2024", "S", "y/a.txt")) == digest
    for changed in (
        Document("b", "Some text.", "T", "2024", "S"),
        Document("a", "Some text!", "T", "2024", "S"),
        Document("a", "Some text.", "U", "2024", "S"),
        Document("a", "Some text.", "T", "2025", "S"),
        Document("a", "Some text.", "T", "2024", "R"),
    ):
        assert content_hash(changed) != digest
    assert content_hash(document, model="en_core_web_md") != digest


def test_the_summary_of_a_store_build_counts_unchanged_and_removed() -> None:
    report = BuildReport(documents=2, unchanged=5, removed=1, triples=40, incremental=True)
    assert report.summary().startswith("2 documents processed, 5 unchanged, 1 removed; 0 facts")
    assert BuildReport(documents=2).summary().startswith("2 documents; 0 facts")

"""Row B7 of RELIABILITY.md: the per-document budget. The hostile inputs finish well within
it; a document that overruns it is stopped, quarantined with reason ``timeout`` and the rest
of the build goes on, in a file build, a store build and on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import DocumentQuarantinedError
from kg.pipeline import BuildReport, build_file, build_store, quarantine_path
from kg.rdfio import load_dataset
from kg.store import GraphStore
from tests.hardening.helpers import write_jsonl
from tests.hardening.test_documents import ADVERSARIAL, GOOD

BUDGET = 2.0  # seconds; the hostile inputs take 0.02 s at most
SLOW = "word " * 60_000
"""300,000 characters of one-letter-run words: 64 s of parsing on a loaded 2-core machine,
about 20 s on a quiet one, so far over the budget wherever the tests run."""

pytestmark = pytest.mark.model


def quads(path: Path) -> set:
    return set(load_dataset(path).quads((None, None, None, None)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two ordinary documents around one that overruns the budget."""
    folder = tmp_path_factory.mktemp("b7")
    later = "Spain has been a member of INTERPOL since 1956."
    write_jsonl(folder / "without.jsonl", [GOOD, later], ["first", "last"])
    return write_jsonl(folder / "corpus.jsonl", [GOOD, SLOW, later], ["first", "slow", "last"])


@pytest.fixture(scope="module")
def budgeted(corpus: Path) -> tuple[Path, BuildReport]:
    out = corpus.parent / "g.trig"
    report = build_file([corpus], out, doc_timeout=BUDGET)
    return out, report


def test_the_hostile_inputs_build_within_the_budget(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "b7.jsonl", [*ADVERSARIAL.values(), GOOD])
    report = build_file([source], tmp_path / "g.nq", doc_timeout=BUDGET)
    assert (report.documents, report.quarantined) == (len(ADVERSARIAL) + 1, [])
    assert not quarantine_path(tmp_path / "g.nq").exists()


def test_an_overrunning_document_is_quarantined_and_the_others_are_built(budgeted) -> None:
    _, report = budgeted
    assert report.documents == 2
    ((record),) = report.quarantined
    assert (record.id, record.reason, record.chars) == ("slow", "timeout", len(SLOW.strip()))
    assert f"{BUDGET:g} s" in record.detail
    assert "2 documents, 1 quarantined (timeout);" in report.summary()


def test_the_graph_equals_a_build_without_the_quarantined_document(corpus, budgeted) -> None:
    out, _ = budgeted
    reference = corpus.parent / "reference.trig"
    build_file([corpus.parent / "without.jsonl"], reference)
    assert quads(out) == quads(reference)


def test_the_quarantine_file_says_which_document_and_why(corpus, budgeted) -> None:
    out, _ = budgeted
    (line,) = quarantine_path(out).read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert set(record) == {"id", "source", "reason", "detail", "chars"}
    assert (record["id"], record["source"], record["reason"]) == ("slow", str(corpus), "timeout")


def test_a_store_does_not_record_a_quarantined_document_so_a_rerun_tries_it_again(
    corpus: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    first = build_store([corpus], store, doc_timeout=BUDGET)
    assert (first.documents, [r.id for r in first.quarantined]) == (2, ["slow"])
    with GraphStore.open(store, read_only=True) as opened:
        assert sorted(opened.documents()) == ["first", "last"]
    assert json.loads((store / "quarantine.jsonl").read_text())["id"] == "slow"
    again = build_store([corpus], store, doc_timeout=BUDGET)
    assert (again.documents, again.unchanged, len(again.quarantined)) == (0, 2, 1)


def test_a_strict_build_fails_on_the_quarantined_document(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(DocumentQuarantinedError, match=r"'slow'.*timeout"):
        build_file([corpus], tmp_path / "g.trig", doc_timeout=BUDGET, strict=True)
    assert not (tmp_path / "g.trig").exists()


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, timeout=600)


def test_the_command_line_reports_the_quarantine_in_one_line_and_succeeds(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "g.trig"
    result = kg("build", str(corpus), "-o", str(out), "-q", "--doc-timeout", f"{BUDGET:g}")
    assert result.returncode == 0, result.stderr.decode()
    quarantined, summary = result.stderr.decode().splitlines()
    assert quarantined == (
        f"kg: quarantined: slow (timeout: no result within the budget of {BUDGET:g} s); "
        f"listed in {quarantine_path(out)}"
    )
    assert "2 documents, 1 quarantined (timeout);" in summary
    strict = kg("build", str(corpus), "-o", str(tmp_path / "s.trig"), "-q", "--strict",
                "--doc-timeout", f"{BUDGET:g}")  # fmt: skip
    assert strict.returncode == 1
    (line,) = strict.stderr.decode().splitlines()
    assert line.startswith("kg: error: ") and "'slow'" in line and "timeout" in line

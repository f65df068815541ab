"""kg's own worker processes: the same records as parsing in-process, in input order, and a
worker that dies takes only the document it was reading with it."""

from __future__ import annotations

import os
import pickle
import signal
from pathlib import Path

import pytest

from benchmarks.corpus import write_jsonl
from kg.pipeline import extract_documents
from kg.records import Document
from kg.sources import read_documents
from kg.workers import Quarantine, WorkerPool, write_quarantine

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "articles"
SLOW = "word " * 60_000  # tens of seconds of parsing (64 s on a loaded 2-core machine)

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list[Document]:
    path = write_jsonl(60, tmp_path_factory.mktemp("corpus") / "synthetic.jsonl")
    return list(read_documents([path]))


@pytest.fixture(scope="module")
def in_process(synthetic) -> list:
    """The reference: each synthetic document's facts, read in this process."""
    return list(extract_documents(synthetic))


def test_two_workers_give_the_in_process_records_in_input_order(synthetic, in_process) -> None:
    with WorkerPool(processes=2, doc_timeout=None, batch_size=4) as pool:
        outcomes = list(pool.run(synthetic))
    assert [document.id for document, _ in outcomes] == [d.id for d in synthetic]
    assert [facts for _, facts in outcomes] == in_process
    assert pool.killed == 0


def test_the_example_reads_the_same_in_a_worker_as_in_process() -> None:
    documents = list(read_documents([EXAMPLE]))
    in_worker = list(extract_documents(documents, doc_timeout=60))
    assert in_worker == list(extract_documents(documents))
    assert in_worker[0].facts


def test_fact_records_survive_pickling(in_process) -> None:
    assert pickle.loads(pickle.dumps(in_process)) == in_process


def test_a_killed_worker_quarantines_its_document_and_the_build_goes_on() -> None:
    documents = [
        Document("a", "Veldoria joined INTERPOL on 3 May 2021."),
        Document("slow", SLOW, path="corpus/slow.txt"),
        Document("b", "Spain has been a member of INTERPOL since 1956."),
    ]
    outcomes = []
    with WorkerPool(processes=1, doc_timeout=None, batch_size=1) as pool:
        for document, outcome in pool.run(documents):
            outcomes.append(outcome)
            if document.id == "a":  # the worker now holds "slow" (alone) and "b"
                os.kill(pool._workers[0].process.pid, signal.SIGKILL)
    a, slow, b = outcomes
    assert slow == Quarantine(
        "slow", "corpus/slow.txt", "crashed", "worker process killed by signal SIGKILL", len(SLOW)
    )
    assert (a.document.id, b.document.id) == ("a", "b") and a.facts and b.facts
    assert pool.killed == 1


def test_closing_the_pool_leaves_no_child_process(synthetic) -> None:
    with WorkerPool(processes=2, doc_timeout=None, batch_size=2) as pool:
        for _ in pool.run(synthetic):
            pids = [worker.process.pid for worker in pool._workers]
            break  # abandoned mid-run: busy workers are killed, not waited for
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # reaped, not a zombie
            os.kill(pid, 0)


def test_the_quarantine_file_lists_records_and_disappears_when_there_are_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.trig.quarantine.jsonl"
    record = Quarantine("slow", "corpus/slow.txt", "timeout", "no result within 2 s", 300_000)
    write_quarantine(path, [record])
    assert path.read_text(encoding="utf-8") == (
        '{"id": "slow", "source": "corpus/slow.txt", "reason": "timeout", '
        '"detail": "no result within 2 s", "chars": 300000}\n'
    )
    write_quarantine(path, [])
    assert not path.exists()

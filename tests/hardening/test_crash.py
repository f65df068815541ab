"""Rows B35-B39 of RELIABILITY.md: a build that dies (SIGKILL, a full disk, a read-only folder)
or meets another build leaves every output old-and-complete or new-and-complete, and a rerun
equals a clean build by the canonical hash (the sorted N-Triples lines of each document
graph; kg writes no blank nodes)."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

import pytest
from rdflib import BNode, Dataset, Graph

from benchmarks.corpus import write_jsonl
from kg.errors import OutputError, StoreLockedError
from kg.rdfio import atomic_write, load_dataset, output_lock, write_dataset
from kg.store import GraphStore

KILLS_STORE = 6  # SIGKILLs at random points in CI; benchmarks/soak.py repeats more
KILLS_FILE = 4
DOCS = 24


def canonical_hash(dataset: Dataset) -> str:
    """The hash of each document graph's sorted N-Triples lines, over the sorted graphs."""
    digests = []
    for graph in dataset.graphs():
        lines = sorted(_nt_lines(graph))
        if lines:
            digests.append(
                f"{graph.identifier}\n" + hashlib.sha256("".join(lines).encode()).hexdigest()
            )
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()


def _nt_lines(graph: Graph) -> list[str]:
    return [f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in graph]


def store_hash(folder: Path) -> str:
    with GraphStore.open(folder, read_only=True) as store:
        return canonical_hash(store.to_dataset())


def _kg(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kg", *args, "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args, "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _kill_after(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL ``process`` after ``seconds`` unless it ended first; whether it was killed."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True
    return False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_jsonl(DOCS, tmp_path_factory.mktemp("crash") / "docs.jsonl", seed=11)


@pytest.fixture(scope="module")
def clean_build(corpus: Path, tmp_path_factory) -> tuple[str, float]:
    """The canonical hash of a clean store build, and how many seconds that build took."""
    folder = tmp_path_factory.mktemp("clean") / "store"
    started = time.monotonic()
    assert _run("build", str(corpus), "--store", str(folder)).returncode == 0
    return store_hash(folder), time.monotonic() - started


@pytest.fixture(scope="module")
def clean_store_hash(clean_build: tuple[str, float]) -> str:
    return clean_build[0]


# --- B36 SIGKILL ------------------------------------------------------------------------------


def test_b36_a_store_build_killed_at_random_points_resumes_to_a_clean_build(
    corpus: Path, clean_build: tuple[str, float], tmp_path
) -> None:
    clean_hash, seconds = clean_build
    folder = tmp_path / "store"
    rng = random.Random(36)
    killed = 0
    for _ in range(3 * KILLS_STORE):
        process = _kg("build", str(corpus), "--store", str(folder))
        if _kill_after(process, rng.uniform(0.3, 0.95) * seconds):
            killed += 1
            _assert_only_complete_documents(folder)
            if killed == KILLS_STORE:
                break
        else:  # the build finished first: aim earlier, and start again from nothing
            seconds *= 0.7
            shutil.rmtree(folder)
    assert killed == KILLS_STORE
    assert _run("build", str(corpus), "--store", str(folder)).returncode == 0
    assert store_hash(folder) == clean_hash


def _assert_only_complete_documents(folder: Path) -> None:
    """Every recorded document has its graph, and every graph a record."""
    try:
        store = GraphStore.open(folder, read_only=True)
    except Exception:  # killed before the database existed
        return
    with store:
        recorded = store.documents()
        dataset = store.to_dataset()
    graphs = [graph for graph in dataset.graphs() if len(graph)]
    assert len(graphs) == len(recorded)


def test_b36_a_file_build_killed_at_random_points_leaves_old_or_new(corpus: Path, tmp_path) -> None:
    out = tmp_path / "graph.nq"
    old_input = tmp_path / "old.jsonl"
    old_input.write_text("".join(corpus.read_text().splitlines(keepends=True)[:3]))
    assert _run("build", str(old_input), "-o", str(out)).returncode == 0
    old = out.read_bytes()
    new_path = tmp_path / "new.nq"
    assert _run("build", str(corpus), "-o", str(new_path)).returncode == 0
    new_hash = canonical_hash(load_dataset(new_path))
    rng = random.Random(37)
    for _ in range(KILLS_FILE):
        out.write_bytes(old)
        _kill_after(_kg("build", str(corpus), "-o", str(out)), rng.uniform(1.0, 4.5))
        current = out.read_bytes()
        assert current == old or canonical_hash(load_dataset(out)) == new_hash
    assert _run("build", str(corpus), "-o", str(out)).returncode == 0
    assert canonical_hash(load_dataset(out)) == new_hash
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- B37 full disk, read-only folder --------------------------------------------------------------


def _small_dataset() -> Dataset:
    dataset = Dataset(default_union=True)
    dataset.parse(data="<http://e/g> { <http://e/a> <http://e/b> <http://e/c> . }", format="trig")
    return dataset


def _disk_full(*_args: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_b37_disk_full_in_fsync_is_a_clear_error_and_the_old_file_stays(
    tmp_path, monkeypatch
) -> None:
    out = tmp_path / "graph.trig"
    write_dataset(_small_dataset(), out)
    old = out.read_bytes()
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(OutputError, match=rf"cannot write {out}: No space left on device"):
        write_dataset(_small_dataset(), out)
    monkeypatch.undo()
    assert out.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["graph.trig"]


def test_b37_disk_full_half_way_through_a_write_keeps_the_old_file(tmp_path) -> None:
    out = tmp_path / "graph.trig"
    write_dataset(_small_dataset(), out)
    old = out.read_bytes()

    def fills_the_disk(stream: BinaryIO) -> None:
        stream.write(b"@prefix ex: <http://e/> .\n" * 1000)
        _disk_full()

    with pytest.raises(OutputError, match=rf"cannot write {out}: No space left on device"):
        atomic_write(out, fills_the_disk)
    assert out.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["graph.trig"]


def test_b37_a_read_only_folder_is_a_clear_error(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    out = folder / "graph.trig"
    write_dataset(_small_dataset(), out)
    old = out.read_bytes()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes into read-only folders: refuse as the kernel would
        real_open = os.open

        def refused(path: object, flags: int, *args: object) -> int:
            if flags & os.O_CREAT and Path(os.fsdecode(path)).parent == folder:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(path, flags, *args)

        monkeypatch.setattr(os, "open", refused)
    try:
        with pytest.raises(OutputError, match=f"cannot write {out}"):
            write_dataset(_small_dataset(), out)
    finally:
        folder.chmod(0o755)
    assert out.read_bytes() == old


def test_b37_the_cli_exits_non_zero_naming_the_path_when_the_disk_is_full(tmp_path) -> None:
    out = tmp_path / "graph.trig"
    write_dataset(_small_dataset(), out)
    old = out.read_bytes()
    script = (
        "import errno, os, sys\n"
        "def full(*a): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "os.fsync = full\n"
        "from kg.cli import main\n"
        "sys.argv = ['kg', 'build', sys.argv[1], '-o', sys.argv[2], '-q']\n"
        "main()\n"
    )
    doc = tmp_path / "doc.txt"
    doc.write_text("Veldoria joined INTERPOL in 2019.\n")
    done = subprocess.run(
        [sys.executable, "-c", script, str(doc), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"cannot write {out}: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
    assert out.read_bytes() == old


# --- B38 two builds at once -------------------------------------------------------------------


def test_b38_a_second_build_of_the_same_file_fails_fast_as_locked(corpus: Path, tmp_path) -> None:
    out = tmp_path / "graph.trig"
    with output_lock(out):
        started = time.monotonic()
        done = _run("build", str(corpus), "-o", str(out))
        assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert "locked" in done.stderr
    assert str(os.getpid()) in done.stderr
    assert not out.exists()


def test_b38_the_output_lock_refuses_a_second_holder_and_clears_stale_temps(tmp_path) -> None:
    out = tmp_path / "graph.trig"
    stale = tmp_path / ".graph.trig.0123456789ab.tmp"
    stale.write_bytes(b"half a graph")
    with output_lock(out):
        assert not stale.exists()
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from kg.rdfio import output_lock\nwith output_lock(sys.argv[1]): pass",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert child.returncode != 0
        assert "StoreLockedError" in child.stderr
    with output_lock(out):  # released on exit
        pass


def test_b38_a_second_store_build_fails_fast_as_locked(corpus: Path, tmp_path) -> None:
    folder = tmp_path / "store"
    with GraphStore.open(folder, create=True):
        done = _run("build", str(corpus), "--store", str(folder))
    assert done.returncode == 1
    assert "locked" in done.stderr
    with GraphStore.open(folder), pytest.raises(StoreLockedError):
        GraphStore.open(folder)


# --- B39 idempotent append, no blank nodes ----------------------------------------------------


def test_b39_appending_the_same_batch_twice_is_a_no_op(
    corpus: Path, clean_store_hash: str, tmp_path
) -> None:
    folder = tmp_path / "store"
    assert _run("build", str(corpus), "--store", str(folder)).returncode == 0
    with GraphStore.open(folder, read_only=True) as store:
        count = store.quad_count()
    second = _run("build", str(corpus), "--store", str(folder))
    assert second.returncode == 0
    with GraphStore.open(folder, read_only=True) as store:
        assert store.quad_count() == count
    assert store_hash(folder) == clean_store_hash


def test_b39_kg_output_holds_no_blank_nodes(corpus: Path, tmp_path) -> None:
    out = tmp_path / "graph.nq"
    assert _run("build", str(corpus), "-o", str(out)).returncode == 0
    dataset = load_dataset(out)
    assert not any(isinstance(term, BNode) for quad in dataset.quads() for term in quad[:3])

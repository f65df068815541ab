"""Published snapshots: readers open the latest closed build, keep it while writers publish
newer ones, and the writer deletes the ones nobody holds; a server follows new builds."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
import weakref
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest

from kg.errors import InputError, StoreLockedError
from kg.server import KgApp
from kg.snapshot import POINTER, SNAPSHOTS, Following, latest_name
from kg.store import GraphStore, open_source
from tests.server.helpers import wsgi_call

BASE = "https://w3id.org/kgnews/"
COUNT_GRAPHS = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def quads(doc_id: str, size: int = 3) -> list[ox.Quad]:
    """A document graph of ``size`` triples about the document."""
    doc = ox.NamedNode(f"{BASE}doc/{doc_id}")
    return [
        ox.Quad(doc, ox.NamedNode(f"{BASE}ontology#p{i}"), ox.Literal(f"{doc_id} {i}"))
        for i in range(size)
    ]


def build(path: Path, hashes: dict[str, str], size: int = 3) -> None:
    """One build: write each document (doc id -> content hash), then close (publishing)."""
    with GraphStore.open(path, create=True) as store:
        for doc_id, digest in hashes.items():
            store.replace_document(doc_id, quads(doc_id, size), digest)


def snapshots(path: Path) -> list[str]:
    return sorted(entry.name for entry in (path / SNAPSHOTS).iterdir())


def documents(path: Path) -> dict[str, str]:
    with GraphStore.open(path, read_only=True) as store:
        return store.documents()


# --- publishing and collecting -------------------------------------------------------------


def test_closing_a_writer_publishes_a_snapshot_that_readers_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    assert json.loads((path / POINTER).read_text()) == {"snapshot": "000001"}
    assert snapshots(path) == ["000001"]
    assert documents(path) == {"a": "1"}


def test_a_reader_keeps_its_snapshot_while_a_writer_publishes_a_newer_one(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    with GraphStore.open(path, read_only=True) as reader:
        build(path, {"b": "2"})
        assert snapshots(path) == ["000001", "000002"]  # the collector skipped the held one
        assert reader.documents() == {"a": "1"}  # the build as it was when the reader opened
        assert reader.quad_count() == 3
        assert documents(path) == {"a": "1", "b": "2"}  # a new reader sees the new build
    build(path, {"c": "3"})
    assert snapshots(path) == ["000003"]


def test_unused_old_snapshots_are_deleted_and_the_disk_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "store"
    for round_ in range(6):  # each build replaces every document: old tables go
        build(path, {f"d{i}": f"{round_}" for i in range(30)}, size=150)
        assert len(snapshots(path)) == 1
    database = _bytes(path / "oxigraph")
    whole = _bytes(path)  # the snapshot hard-links the tables it shares with the database
    assert database > 1_000_000
    # measured: 1.2 times the database; 2.2 times if no snapshot were ever deleted
    assert whole < 1.5 * database, (whole, database)


def _bytes(folder: Path) -> int:
    """Bytes on disk under ``folder``, a file with several links counted once."""
    seen: dict[int, int] = {}
    for root, _, names in os.walk(folder):
        for name in names:
            stat = os.stat(os.path.join(root, name))
            seen[stat.st_ino] = stat.st_blocks * 512
    return sum(seen.values())


def test_a_writer_killed_mid_build_leaves_the_last_published_build_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITE_FOREVER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        with pytest.raises(StoreLockedError, match=f"pid {writer.pid}"):
            GraphStore.open(path)
        assert documents(path) == {"first": "1"}  # while it writes
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert documents(path) == {"first": "1"}  # after the kill
    with GraphStore.open(path) as store:  # the lock died with it; what it wrote is kept
        written = store.documents()
    assert len(written) > 4 and documents(path) == written  # and published now


_WRITE_FOREVER = textwrap.dedent(
    """
    import sys
    import pyoxigraph as ox
    from kg.store import GraphStore

    def quads(doc_id):
        doc = ox.NamedNode(f"https://w3id.org/kgnews/doc/{doc_id}")
        return [ox.Quad(doc, ox.NamedNode("https://w3id.org/kgnews/ontology#p"), ox.Literal("x"))]

    with GraphStore.open(sys.argv[1], create=True) as store:
        store.replace_document("first", quads("first"), "1")
    with GraphStore.open(sys.argv[1]) as store:
        for n in range(10**9):
            store.replace_document(f"late{n}", quads(f"late{n}"), "2")
            if n == 4:
                print("writing", flush=True)
    """
)


# --- readers ------------------------------------------------------------------------------


def test_a_store_being_built_without_a_snapshot_yet_is_locked_for_readers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store"
    with GraphStore.open(path, create=True) as store:
        store.replace_document("a", quads("a"), "1")
        with pytest.raises(StoreLockedError, match="has no snapshot for readers yet"):
            GraphStore.open(path, read_only=True)
    assert documents(path) == {"a": "1"}


def test_a_store_made_before_snapshots_is_read_directly(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    (path / POINTER).unlink()
    for name in snapshots(path):
        for root, folders, files in os.walk(path / SNAPSHOTS / name, topdown=False):
            for file in files:
                os.unlink(os.path.join(root, file))
            for folder in folders:
                os.rmdir(os.path.join(root, folder))
    assert documents(path) == {"a": "1"}


def test_a_reader_that_read_an_old_pointer_opens_the_newer_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    build(path, {"b": "2"})  # deletes 000001, which the stale reader below still names
    names = iter(["000001"])
    real = latest_name
    monkeypatch.setattr(
        "kg.snapshot.latest_name", lambda p, strict=True: next(names, None) or real(p)
    )
    assert documents(path) == {"a": "1", "b": "2"}


def test_a_snapshot_being_deleted_is_never_opened(tmp_path: Path) -> None:
    import fcntl

    path = tmp_path / "store"
    build(path, {"a": "1"})
    lock = os.open(path / SNAPSHOTS / "000001" / "readers.lock", os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as the collector holds it while deleting
        with pytest.raises(InputError, match="names snapshot 000001, which is missing"):
            GraphStore.open(path, read_only=True)
    finally:
        os.close(lock)


@pytest.mark.parametrize(
    "pointer", ['{"snapshot": "../../elsewhere"}', "{", '{"snapshot": 7}', '["000001"]']
)
def test_a_malformed_pointer_is_an_input_error_and_the_next_build_replaces_it(
    tmp_path: Path, pointer: str
) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    (path / POINTER).write_text(pointer)
    with pytest.raises(InputError, match=r'snapshot.json: expected \{"snapshot": "DIGITS"\}'):
        GraphStore.open(path, read_only=True)
    build(path, {"b": "2"})
    assert documents(path) == {"a": "1", "b": "2"}


# --- following -----------------------------------------------------------------------------


def test_a_lease_keeps_its_value_open_until_released_across_a_swap(tmp_path: Path) -> None:
    (tmp_path / POINTER).write_text('{"snapshot": "000001"}')
    opened = iter(range(10))
    closed: list[int] = []
    following = Following(tmp_path, lambda: next(opened), closed.append)
    with following.lease() as first:
        (tmp_path / POINTER).write_text('{"snapshot": "000002"}')
        later = following.lease()
        assert (first.value, later.value) == (0, 1)
        assert closed == []  # the first lease still uses value 0
    assert closed == [0]
    (tmp_path / POINTER).write_text('{"snapshot": "000003"}')
    shared = later.share()
    later.release()
    later.release()  # twice is harmless
    with following.lease() as newest:
        assert newest.value == 2
    assert closed == [0]  # the shared lease still holds value 1
    shared.release()
    following.close()
    assert closed == [0, 1, 2]


def test_a_released_lease_no_longer_keeps_its_value_alive(tmp_path: Path) -> None:
    # a finished request's frames may linger in a reference cycle, lease and all, until the
    # garbage collector runs: the value (a snapshot's open database) must not wait for it
    class Value:
        pass

    (tmp_path / POINTER).write_text('{"snapshot": "000001"}')
    closed: list[int] = []
    following = Following(tmp_path, Value, lambda value: closed.append(id(value)))
    lingering = following.lease()
    old = weakref.ref(lingering.value)
    lingering.release()
    (tmp_path / POINTER).write_text('{"snapshot": "000002"}')
    following.lease().release()  # swaps to the new snapshot and closes the old value
    assert len(closed) == 1
    assert old() is None  # though the released lease is still referenced
    with pytest.raises(ValueError, match="released"):
        lingering.value  # noqa: B018
    following.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_the_app_holds_open_only_the_snapshot_it_answers_from(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    source = open_source(path)
    app = KgApp(source)
    source.close()  # as kg serve does once the app follows the store itself
    gc.disable()  # what a quiet server sees: nothing collects lingering reference cycles
    try:
        for count, doc_id in enumerate("bcd", start=2):
            build(path, {doc_id: str(count)})
            assert wsgi_call(app, "GET", params={"query": "SELECT nonsense"}).status == 400
            assert _count(app) == count
        assert _open_snapshots(path) == {latest_name(path)}
    finally:
        gc.enable()
        app.close()
    assert _open_snapshots(path) == set()


def _open_snapshots(path: Path) -> set[str]:
    """The snapshots of the store at ``path`` with a file open in this process."""
    folder = str((path / SNAPSHOTS).resolve()) + os.sep
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(folder):
                names.add(target.removeprefix(folder).split(os.sep)[0])
    return names


def test_the_app_answers_a_new_build_from_the_next_request(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    source = open_source(path)
    app = KgApp(source)
    try:
        assert _count(app) == 1
        build(path, {"b": "2"})
        assert _count(app) == 2
        named = wsgi_call(app, "GET", "/api/named/members")
        assert named.status == 200
        build(path, {"c": "3"})
        assert _count(app) == 3  # and the app lets go of 000002, which no query uses
        GraphStore.open(path).close()  # publishes 000004, deletes what nobody holds
        assert snapshots(path) == ["000001", "000003", "000004"]  # 000001: the caller's
    finally:
        app.close()
        source.close()


def _count(app: KgApp) -> int:
    reply = wsgi_call(app, "GET", params={"query": COUNT_GRAPHS}, accept="text/csv")
    assert reply.status == 200, reply.text
    return int(reply.text.split()[1])


@pytest.mark.server
def test_kg_serve_answers_a_build_that_finished_while_it_served(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, {"a": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "serving" in line, line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        query = f"{url}sparql?{urlencode({'query': COUNT_GRAPHS})}"
        before = [_fetch_count(query) for _ in range(4)]  # each worker answers some
        build(path, {"b": "2", "c": "3"})
        after = [_fetch_count(query) for _ in range(4)]
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert (before, after) == ([1] * 4, [3] * 4)
    assert process.returncode == 0, err


def _fetch_count(url: str) -> int:
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.read().decode().split()[1])

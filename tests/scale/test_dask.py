"""kg build --engine dask: a two-worker LocalCluster build equals the single-process one."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from benchmarks.corpus import write_jsonl
from kg.errors import InputError, OutputError
from kg.pipeline import BuildReport, build_store
from kg.scale.dask import build_store_dask
from kg.store import GraphStore, remove_documents

pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "articles"
# Written for these tests: the same bodies under several spellings, and an operation renamed,
# so that what resolution learns in one partition decides how a later partition names things.
OWN = {
    "a-first.txt": (
        "Operation Harbour Light, coordinated by Europol, ended on 3 March 2025. "
        "Police in Portugal and Spain arrested 40 people."
    ),
    "b-renamed.txt": (
        "Operation Harbour Light, renamed Operation Tidewater, continued in May 2025 "
        "under the coordination of the European Union Agency for Law Enforcement Cooperation."
    ),
    "c-later.txt": (
        "Operation Tidewater led to 12 more arrests. Kenya joined INTERPOL in 1964, "
        "the International Criminal Police Organization said."
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in OWN.items():
        (folder / name).write_text(text, encoding="utf-8")
    write_jsonl(9, folder / "synthetic.jsonl", seed=11)
    return [str(EXAMPLE), str(folder)]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, corpus) -> tuple[Path, Path, BuildReport]:
    """The same corpus built in one process and on a two-worker LocalCluster, in
    partitions of three documents."""
    folder = tmp_path_factory.mktemp("stores")
    build_store(corpus, folder / "single")
    report = build_store_dask(corpus, folder / "dask", workers=2, partition_size=3)
    return folder / "single", folder / "dask", report


def graphs(path: Path) -> dict[str, object]:
    with GraphStore.open(path, read_only=True) as store:
        return {str(g.identifier): g for g in store.to_dataset().graphs() if len(g)}


@pytest.mark.model
def test_a_two_worker_dask_build_holds_graphs_isomorphic_to_the_single_process_build(
    stores,
) -> None:
    single, dask, report = stores
    expected, built = graphs(single), graphs(dask)
    assert report.documents == len(expected) == 13
    assert built.keys() == expected.keys()
    different = [name for name in expected if not isomorphic(expected[name], built[name])]
    assert different == []


@pytest.mark.model
def test_a_dask_build_records_hashes_and_resolution_memory_as_a_single_process_build(
    stores,
) -> None:
    single, dask, _ = stores
    with GraphStore.open(single, read_only=True) as a, GraphStore.open(dask, read_only=True) as b:
        assert b.documents() == a.documents()
        assert b._memory() == a._memory()
        assert b.quad_count() == a.quad_count()


@pytest.mark.model
def test_a_dask_rerun_processes_nothing(stores, corpus) -> None:
    _, dask, _ = stores
    before = graphs(dask)
    rerun = build_store_dask(corpus, dask, workers=2, partition_size=3)
    assert (rerun.documents, rerun.unchanged) == (0, 13)
    assert graphs(dask).keys() == before.keys()


@pytest.mark.model
def test_a_changed_document_replaces_its_graph_on_dask_as_in_one_process(stores, corpus) -> None:
    single, dask, _ = stores
    changed = Path(corpus[1]) / "c-later.txt"
    changed.write_text(
        "Operation Tidewater ended. Chile joined INTERPOL in 1930.", encoding="utf-8"
    )
    build_store(corpus, single)
    report = build_store_dask(corpus, dask, workers=2, partition_size=3)
    assert (report.documents, report.unchanged) == (1, 12)
    expected, built = graphs(single), graphs(dask)
    assert [name for name in expected if not isomorphic(expected[name], built[name])] == []
    with GraphStore.open(single, read_only=True) as a, GraphStore.open(dask, read_only=True) as b:
        assert union(b) == union(a)


@pytest.mark.model
def test_kg_remove_on_a_dask_built_store_leaves_what_it_leaves_on_a_single_process_one(
    stores, tmp_path: Path
) -> None:
    single, dask, _ = stores
    for path in (single, dask):
        remove_documents(path, ["a-first"])
    with GraphStore.open(single, read_only=True) as a, GraphStore.open(dask, read_only=True) as b:
        assert "a-first" not in b.documents()
        assert union(b) == union(a)


@pytest.mark.model
def test_a_dask_build_that_fails_part_way_keeps_whole_partitions_and_a_rerun_completes_it(
    corpus, tmp_path: Path, monkeypatch
) -> None:
    load = GraphStore.bulk_load_minted
    loads: list[int] = []

    def failing_third(self, *args, **kwargs) -> None:
        loads.append(1)
        if len(loads) == 3:
            raise OutputError(f"cannot write to store {self.path}: disk full (simulated)")
        load(self, *args, **kwargs)

    monkeypatch.setattr(GraphStore, "bulk_load_minted", failing_third)
    with pytest.raises(OutputError, match="simulated"):
        build_store_dask(corpus, tmp_path / "dask", workers=2, partition_size=3)
    with GraphStore.open(tmp_path / "dask", read_only=True) as store:
        assert len(store.documents()) == 6  # the first two partitions, whole
    monkeypatch.setattr(GraphStore, "bulk_load_minted", load)
    rerun = build_store_dask(corpus, tmp_path / "dask", workers=2, partition_size=3)
    assert (rerun.documents, rerun.unchanged) == (7, 6)
    build_store(corpus, tmp_path / "single")
    expected, built = graphs(tmp_path / "single"), graphs(tmp_path / "dask")
    assert built.keys() == expected.keys()
    assert [name for name in expected if not isomorphic(expected[name], built[name])] == []
    with (
        GraphStore.open(tmp_path / "single", read_only=True) as a,
        GraphStore.open(tmp_path / "dask", read_only=True) as b,
    ):
        assert b._memory() == a._memory()
        assert union(b) == union(a)


@pytest.mark.model
def test_the_workers_mint_the_graphs_and_the_client_only_resolves_and_loads(
    corpus, tmp_path: Path, monkeypatch
) -> None:
    import kg.rdf

    def not_here(*args, **kwargs):
        raise AssertionError("the client minted triples")

    monkeypatch.setattr(kg.rdf, "document_triples", not_here)  # in this process only
    report = build_store_dask(corpus, tmp_path / "dask", workers=2, partition_size=3)
    assert report.documents == 13


def union(store: GraphStore) -> set:
    return set(store.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def test_a_scheduler_that_cannot_be_reached_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(OWN["a-first.txt"], encoding="utf-8")
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at") as error:
        build_store_dask(
            [tmp_path / "a.txt"], tmp_path / "store", scheduler=address, connect_timeout=1
        )
    assert "\n" not in str(error.value)
    with GraphStore.open(tmp_path / "store", read_only=True) as store:
        assert store.documents() == {}


def test_kg_build_on_a_bad_scheduler_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(OWN["a-first.txt"], encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            str(tmp_path / "a.txt"),
            "--store",
            str(tmp_path / "store"),
            "--engine",
            "dask",
            "--scheduler",
            "nowhere://x",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("kg: error: cannot reach the Dask scheduler at 'nowhere://x'")
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-o", "g.trig", "--engine", "dask"), "--engine dask builds into a --store DIR only"),
        (("--store", "s", "--engine", "spark"), "--engine expects local or dask"),
    ],
)
def test_kg_build_refuses_an_engine_it_cannot_use(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "a.txt").write_text(OWN["a-first.txt"], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(tmp_path / "a.txt"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert message in run.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

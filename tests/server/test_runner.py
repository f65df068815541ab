"""The time limit around queries that cannot be interrupted from outside."""

from __future__ import annotations

import threading
import time

import pytest

from kg.server.runner import QueryRunner, QueryTimeout, ServerBusy


def test_a_quick_call_returns_its_value() -> None:
    assert QueryRunner(1.0).run(lambda _cancel: 42) == 42


def test_an_exception_reaches_the_caller() -> None:
    def fail(_cancel: threading.Event) -> None:
        raise ValueError("bad query")

    with pytest.raises(ValueError, match="bad query"):
        QueryRunner(1.0).run(fail)


def test_a_slow_call_times_out_and_is_told_to_stop() -> None:
    told = threading.Event()

    def slow(cancel: threading.Event) -> None:
        if cancel.wait(5):
            told.set()

    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"0\.1 s limit"):
        QueryRunner(0.1).run(slow)
    assert time.monotonic() - started < 2
    assert told.wait(2)


def test_a_slot_is_freed_when_its_worker_ends() -> None:
    runner = QueryRunner(0.05, slots=1)
    with pytest.raises(QueryTimeout):
        runner.run(lambda cancel: cancel.wait(5))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            assert runner.run(lambda _cancel: "free") == "free"
            return
        except ServerBusy:
            time.sleep(0.01)
    pytest.fail("the slot was never freed")


def test_a_runaway_worker_keeps_its_slot_until_it_ends() -> None:
    runner = QueryRunner(0.05, slots=1)
    release = threading.Event()
    with pytest.raises(QueryTimeout):
        runner.run(lambda _cancel: release.wait(5))  # ignores cancel, like a long ORDER BY
    try:
        with pytest.raises(ServerBusy):
            runner.run(lambda _cancel: None)
    finally:
        release.set()


def test_an_error_crosses_threads_without_the_workers_frames() -> None:
    """Engine objects in those frames (pyoxigraph iterators) must die on their own thread."""
    from kg.errors import QueryError

    def fail(_cancel: threading.Event) -> None:
        raise QueryError("no such thing")

    with pytest.raises(QueryError) as caught:
        QueryRunner(1.0).run(fail)
    frames = [entry.name for entry in caught.traceback]
    assert "fail" not in frames


def test_an_unexpected_error_keeps_its_traceback_as_a_note() -> None:
    def broken(_cancel: threading.Event) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError) as caught:
        QueryRunner(1.0).run(broken)
    assert any("in broken" in note for note in caught.value.__notes__)

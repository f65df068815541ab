"""A time limit for queries whose engines cannot be interrupted.

Neither rdflib nor pyoxigraph's Python API can stop a query from outside, so each query runs
in a worker thread and the request waits for it at most ``timeout`` seconds. When the time is
up the request answers 503 at once and the worker is told to stop (``cancel``): the backends
check that between result rows, so a query that streams rows stops soon, but one that works
long before its first row (ORDER BY, aggregates, CONSTRUCT in rdflib, a big join in
pyoxigraph) keeps its thread busy until it finishes on its own. A fixed number of slots bounds
how many such threads can run at once; when all are taken, further queries are refused with
503 rather than piling up. ``kg serve`` runs queries in ``kg.sandbox.QueryPool`` instead,
whose worker processes are killed at the limit; this runner serves an app made without a pool.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _detached(exc: BaseException) -> BaseException:
    """The exception without its tracebacks, which hold the worker's frames.

    Frames can hold engine objects that must be dropped on the thread that made them
    (pyoxigraph's iterators are "unsendable"), so the worker drops its frames itself. An
    unexpected error keeps its formatted traceback as a note, for the server log.
    """
    from kg.errors import KgError

    if not isinstance(exc, KgError):
        exc.add_note("".join(traceback.format_exception(exc)).rstrip())
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or link.__context__
    return exc


class QueryTimeout(Exception):
    """The query did not finish within the time limit."""


class ServerBusy(Exception):
    """Every worker slot is taken (by queries still running or still giving up)."""


class QueryRunner:
    """Runs one callable per query in a daemon thread and waits for it with a time limit."""

    def __init__(self, timeout: float, slots: int = 4) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(slots)

    def run(self, work: Callable[[threading.Event], T]) -> T:
        """``work(cancel)``'s value or exception; ``QueryTimeout`` when it takes too long."""
        if not self._slots.acquire(blocking=False):
            raise ServerBusy("every query slot is busy; try again in a moment")
        cancel = threading.Event()
        done = threading.Event()
        outcome: dict[str, object] = {}

        def target() -> None:
            try:
                outcome["value"] = work(cancel)
            except BaseException as exc:  # handed to the waiting request thread
                outcome["error"] = _detached(exc)
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=target, name="kg-query", daemon=True).start()
        if not done.wait(self.timeout):
            cancel.set()
            raise QueryTimeout(
                f"the query ran longer than the {self.timeout:g} s limit and was abandoned"
            )
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["value"]  # type: ignore[return-value]

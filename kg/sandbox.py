"""Queries in worker processes that can be killed: a wall-clock limit for any engine.

Neither rdflib nor pyoxigraph can stop a query from outside, and a thread cannot be killed, so
a query with a hard time limit runs in a worker process. Each worker opens the source itself
(a store read-only, or a graph file) once, then answers one call at a time over a pipe. When
a call overruns its limit the worker is killed (SIGKILL) and a fresh one is started in the
background, so a runaway query costs one worker for about a second, while the other workers
keep answering. A worker that dies on its own (a crash inside an engine) is replaced too, and
the call fails with ``QueryError``. Workers start with ``spawn``: forking a threaded server
could copy a lock some other thread holds. A worker on a store follows it
(``kg.snapshot.Following``): a call after a build published a new snapshot runs on that one.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KgError, QueryError
from kg.server.runner import QueryTimeout, ServerBusy

if TYPE_CHECKING:
    from kg.query import QueryResult
    from kg.snapshot import Following

_log = logging.getLogger(__name__)
_START_TIMEOUT = 120.0  # seconds a new worker may take to import kg and open the source
_IDLE_WAIT = 1.0  # seconds a call waits for a free worker before the pool is busy


class QueryPool:
    """``workers`` processes, each holding ``source_path`` open; ``call`` runs one function
    there under ``timeout`` seconds. Close it (or use ``with``) to stop the workers."""

    def __init__(self, source_path: Path | str, *, workers: int = 2, timeout: float = 10.0):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.source_path = str(source_path)
        self.timeout = timeout
        self.killed = 0  # workers killed for overrunning, for logs and tests
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        try:
            for _ in range(workers):
                self._idle.put(self._start_worker())
        except BaseException:
            self.close()
            raise

    def call(self, function: Callable[..., Any], *args: object) -> Any:
        """``function(source, *args)`` in a worker: its value, its ``KgError``, or
        ``QueryTimeout`` (the worker killed) / ``ServerBusy`` (no worker free)."""
        try:
            worker = self._idle.get(timeout=_IDLE_WAIT)
        except queue.Empty:
            raise ServerBusy("every query worker is busy; try again in a moment") from None
        try:
            worker.conn.send((function, args))
            if not worker.conn.poll(self.timeout):
                self.killed += 1
                _log.warning(
                    "query worker %s killed at the time limit (%g s); starting another",
                    worker.process.pid,
                    self.timeout,
                )
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than the {self.timeout:g} s limit and was stopped"
                )
            status, value = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            worker.process.join(timeout=1)
            _log.error(
                "query worker %s died (exit code %s); starting another",
                worker.process.pid,
                worker.process.exitcode,
            )
            self._replace(worker)
            raise QueryError("the query stopped its worker process; it was restarted") from None
        self._idle.put(worker)
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Kill every worker. Idempotent."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(self.source_path, child), name="kg-query", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        try:
            if not parent.poll(_START_TIMEOUT):
                raise QueryError(f"a query worker for {self.source_path} did not start")
            status, value = parent.recv()
        except (EOFError, OSError) as exc:
            self._drop(worker)
            raise QueryError(f"a query worker for {self.source_path} died starting") from exc
        except BaseException:
            self._drop(worker)
            raise
        if status == "error":
            self._drop(worker)
            raise value
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; start its successor in the background."""
        self._drop(worker)
        threading.Thread(target=self._refill, name="kg-query-refill", daemon=True).start()

    def _refill(self) -> None:
        if self._closed:
            return
        try:
            worker = self._start_worker()
        except Exception:
            return
        if self._closed:
            self._drop(worker)
        else:
            self._idle.put(worker)

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self._stopping = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        """Kill the process and close the pipe, once: ``close`` and a background refill can
        both reach a worker started while the pool was closing."""
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _worker_main(source_path: str, conn: Connection) -> None:
    """Open the source, say so, then answer calls until the pipe closes."""
    try:
        following = _follow(Path(source_path))
    except BaseException as exc:
        conn.send(("error", _portable(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            with following.lease() as lease:
                reply = ("ok", function(lease.value, *args))
        except Exception as exc:
            reply = ("error", _portable(exc))
        conn.send(reply)


def _follow(path: Path) -> Following[object]:
    """A store's latest snapshot, reopened when a build publishes a newer one; a graph file
    as it was read."""
    from kg.snapshot import Following
    from kg.store import is_store, open_source

    if not is_store(path):
        return Following.fixed(open_source(path))

    def close(source: object) -> None:
        _BACKEND.clear()  # it holds the store open
        source.close()  # type: ignore[attr-defined]

    return Following(path, lambda: open_source(path), close)


def _portable(exc: BaseException) -> BaseException:
    """A kg error as it is (it pickles); anything else as a ``QueryError`` with its text."""
    if isinstance(exc, KgError):
        exc.__cause__ = exc.__context__ = exc.__traceback__ = None
        return exc
    return QueryError(f"SPARQL query failed: {' '.join(str(exc).split()) or type(exc).__name__}")


def bounded_query(
    source_path: Path | str,
    sparql: str | None,
    name: str | None,
    params: Mapping[str, str],
    timeout: float,
) -> QueryResult:
    """``kg query --timeout``: a named question (``name``) or ``sparql`` in one worker, which
    is killed after ``timeout`` seconds (``QueryError`` then)."""
    with QueryPool(source_path, workers=1, timeout=timeout) as pool:
        try:
            if name is not None:
                return pool.call(run_named_call, name, params)
            return pool.call(run_query_call, sparql or "", params)
        except QueryTimeout:
            raise QueryError(
                f"the query ran longer than {timeout:g} s and was stopped (--timeout)"
            ) from None


# --- the calls kg makes in a worker --------------------------------------------------------


def run_query_call(source: object, sparql: str, params: Mapping[str, str]) -> object:
    """``kg.query.run_query`` in a worker."""
    from kg.query import run_query

    return run_query(source, sparql, params)  # type: ignore[arg-type]


def run_named_call(source: object, name: str, params: Mapping[str, str]) -> object:
    """``kg.query.run_named`` in a worker."""
    from kg.query import run_named

    return run_named(source, name, params)  # type: ignore[arg-type]


_BACKEND: list[tuple[object, object]] = []
"""The worker's source and its endpoint backend, made on the first endpoint call."""


def endpoint_call(source: object, sparql: str, selection: object, limit: int) -> object:
    """What the endpoint's ``/sparql`` evaluates, checked again here and answered in RDF
    terms (``kg.server.backend.RawResult``)."""
    from kg.server.app import backend_for
    from kg.server.backend import check_selection, prepare

    if not _BACKEND or _BACKEND[0][0] is not source:
        _BACKEND[:] = [(source, backend_for(source))]
    backend = _BACKEND[0][1]
    names = backend.graph_names()  # type: ignore[attr-defined]
    prepared = prepare(sparql, names)
    if selection is not None:
        check_selection(selection, names)  # type: ignore[arg-type]
    return backend.execute(prepared, selection, limit, threading.Event())  # type: ignore[attr-defined]

"""Parsing and fact extraction in kg's own worker processes, with a time budget per document.

spaCy cannot be stopped from outside, and a thread cannot be killed, so a document that makes
the parser or a rule run for minutes (RELIABILITY.md B7) can only be stopped by killing the
process it runs in. ``WorkerPool`` starts ``processes`` long-lived workers (``spawn``: the
parent may hold threads, and a fork could copy a lock one of them holds). Each loads the
pipeline and an ``Extractor`` once, then takes batches of documents, parses each batch with
one ``nlp.pipe`` call inside ``nlp.memory_zone()`` and sends every document's
``DocumentFacts`` back as soon as it is read. Only those plain records cross the pipe.

The parent hands out batches, yields the results in input order (resolution, which depends
on order, stays in the parent) and watches the workers. A worker that has produced nothing
for longer than the budget is killed (SIGKILL) and one that dies on its own (a crash, the
OOM killer) is treated the same way: the unfinished documents of the batch it was reading are
run again one at a time, so the one document that overruns alone is identified and
quarantined (``Quarantine``, reason ``timeout`` or ``crashed``) while the others are built
normally; batches it had not started are handed out again as they were. A replacement worker
starts when there is work for it.

A batch holds at most ``batch_size`` documents and ``BATCH_CHARS`` characters, because the
first result of a batch arrives only when the whole batch is parsed: the silence the budget
measures is then one batch of ordinary articles (well under a second), not 32 long ones.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import pickle
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from kg.errors import KgError, ModelError
from kg.records import Document, DocumentFacts

DEFAULT_DOC_TIMEOUT = 60.0
"""``kg build``'s budget in seconds per document. Measured: the B7 hostile inputs take at
most 0.02 s once cleaned, an ordinary article 0.02-0.2 s, a 30,000-word report about 10 s on
a quiet 2-core machine and three times that on a loaded one. A minute leaves room for long
reports on a busy machine and stops a runaway document after a minute instead of never.
Book-length documents (spaCy's limit is 1,000,000 characters: minutes of parsing) need a
larger ``--doc-timeout``."""
BATCH_CHARS = 100_000
"""Characters a worker parses in one ``nlp.pipe`` batch at most (a longer document is a batch
of its own): a few seconds at most, so the budget measures documents, not batch sizes."""
START_TIMEOUT = 300.0
"""Seconds a worker may take to import spaCy and load the pipeline (slow on a loaded machine)."""
_QUEUED_BATCHES = 2  # batches a worker holds, so it never waits for the parent between two
_WINDOW_BATCHES = 8  # batches per worker read ahead of the oldest unfinished document
_WARM_UP = "INTERPOL said on 3 May 2021 that Veldoria had joined it."


@dataclass(frozen=True, slots=True)
class Quarantine:
    """A document left out of the build because reading it overran the budget or killed its
    worker; one line of the quarantine file. A store does not record it as built, so the next
    build tries it again."""

    id: str
    source: str | None
    reason: str
    """``timeout`` or ``crashed``."""
    detail: str
    chars: int

    @classmethod
    def of(cls, document: Document, reason: str, detail: str) -> Quarantine:
        where = document.path or document.source
        return cls(document.id, where, reason, detail, len(document.text))

    def json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def write_quarantine(path: Path | str, records: Iterable[Quarantine]) -> None:
    """Write the quarantine file (JSON Lines) atomically, or remove it when there is none, so
    that it always describes the latest build."""
    from kg.rdfio import atomic_write

    lines = [record.json() + "\n" for record in records]
    if not lines:
        Path(path).unlink(missing_ok=True)
        return
    atomic_write(path, lambda stream: stream.write("".join(lines).encode("utf-8")))


class WorkerPool:
    """``processes`` worker processes parsing and reading documents; ``run`` yields each
    document's ``DocumentFacts``, or its ``Quarantine``, in input order. ``doc_timeout`` None
    means no budget (a crashed worker still quarantines its document). Close it (or use
    ``with``) to stop the workers; closing after an error kills them at once."""

    def __init__(
        self,
        model: str | None = None,
        *,
        processes: int = 1,
        doc_timeout: float | None = DEFAULT_DOC_TIMEOUT,
        batch_size: int = 32,
    ) -> None:
        if processes < 1:
            raise ValueError(f"expected at least 1 process, got {processes}")
        if doc_timeout is not None and doc_timeout <= 0:
            raise ValueError(f"expected a positive budget per document, got {doc_timeout}")
        self.model = model
        self.processes = processes
        self.doc_timeout = doc_timeout
        self.batch_size = batch_size
        self.killed = 0
        """Workers killed or found dead, for tests and logs."""
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(kill=exc_type is not None)

    def close(self, *, kill: bool = False) -> None:
        """Stop every worker: ask idle ones to exit, kill busy ones (all of them with
        ``kill``) and reap them all, so no child process outlives the pool."""
        workers, self._workers = self._workers, []
        polite = [] if kill else [w for w in workers if w.ready and not w.batches]
        for worker in polite:
            with contextlib.suppress(OSError):
                worker.tasks.send(None)
        for worker in polite:
            worker.process.join(timeout=5)
        for worker in workers:
            worker.stop()

    def run(
        self, documents: Iterable[Document]
    ) -> Iterator[tuple[Document, DocumentFacts | Quarantine]]:
        """Each document with its facts or its quarantine, in the order of ``documents``."""
        run = _Run(self, documents)
        yield from run.outcomes()

    # -- workers ----------------------------------------------------------------------------

    def _start(self) -> _Worker:
        tasks_out, tasks_in = self._context.Pipe(duplex=False)
        results_out, results_in = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_serve,
            args=(tasks_out, results_in, self.model),
            name="kg-extract",
            daemon=True,
        )
        process.start()
        tasks_out.close()
        results_in.close()
        worker = _Worker(process, tasks_in, results_out, started=time.monotonic())
        self._workers.append(worker)
        return worker

    def _drop(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        worker.stop()


@dataclass(eq=False)
class _Batch:
    items: list[tuple[int, Document]]
    """Its documents with their input positions; read ones are removed from the front."""
    alone: bool = False
    """Sent with one document: an overrun or a crash is that document's."""


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    tasks: Connection
    results: Connection
    started: float
    ready: bool = False
    since: float = 0.0
    """When it last showed progress: became ready, sent a result, or got work while idle."""
    batches: deque[_Batch] = field(default_factory=deque)

    def has_room(self) -> bool:
        return self.ready and len(self.batches) < _QUEUED_BATCHES

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.tasks.close()
        self.results.close()

    def ending(self) -> str:
        """How the (dead) process ended, for the quarantine detail."""
        self.process.join(timeout=5)  # its pipe can close just before it can be reaped
        code = self.process.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"worker process killed by signal {signal.Signals(-code).name}"
            return f"worker process killed by signal {-code}"
        return f"worker process exited with code {code}"


class _Run:
    """One pass of ``WorkerPool.run``: hands out batches, gathers and orders the results,
    and deals with overrunning and dead workers."""

    def __init__(self, pool: WorkerPool, documents: Iterable[Document]) -> None:
        self.pool = pool
        self.source = enumerate(documents)
        self.exhausted = False
        self.pending: deque[_Batch] = deque()
        self.done: dict[int, tuple[Document, DocumentFacts | Quarantine]] = {}
        self.next_out = 0
        self.read = 0
        self.window = _WINDOW_BATCHES * pool.processes * pool.batch_size

    def outcomes(self) -> Iterator[tuple[Document, DocumentFacts | Quarantine]]:
        while True:
            while self.next_out in self.done:
                yield self.done.pop(self.next_out)
                self.next_out += 1
            self._dispatch()
            workers = self.pool._workers
            if self.exhausted and not self.pending and not any(w.batches for w in workers):
                return
            self._wait([w for w in workers if w.batches or not w.ready])

    def _dispatch(self) -> None:
        """Give every ready worker with room a batch; start workers, up to ``processes``,
        while there is work (a new one gets batches once it has loaded the pipeline)."""
        pool = self.pool
        for worker in [w for w in pool._workers if w.ready and not w.batches]:
            if not worker.process.is_alive():  # died idle: nothing of it to blame or redo
                pool._drop(worker)
        while len(pool._workers) < pool.processes and self._has_work():
            pool._start()
        while self._has_work():
            worker = min(
                (w for w in pool._workers if w.has_room()),
                key=lambda w: len(w.batches),
                default=None,
            )
            if worker is None:
                return
            batch = self.pending.popleft()
            if not worker.batches:
                worker.since = time.monotonic()
            worker.batches.append(batch)
            with contextlib.suppress(OSError):  # it died: its sentinel says so, and the
                worker.tasks.send(batch.items)  # batch is handed out again

    def _has_work(self) -> bool:
        if not self.pending and not self.exhausted and self.read - self.next_out < self.window:
            batch = self._next_batch()
            if batch:
                self.pending.append(_Batch(batch, alone=len(batch) == 1))
        return bool(self.pending)

    def _next_batch(self) -> list[tuple[int, Document]]:
        batch: list[tuple[int, Document]] = []
        chars = 0
        while len(batch) < self.pool.batch_size:
            item = next(self.source, None)
            if item is None:
                self.exhausted = True
                break
            batch.append(item)
            self.read += 1
            chars += len(item[1].text)
            if chars >= BATCH_CHARS:
                break
        return batch

    def _wait(self, busy: list[_Worker]) -> None:
        """Wait for a result, a death or the nearest deadline, then act on what happened."""
        deadlines = [d for d in map(self._deadline, busy) if d is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        by_handle: dict[object, _Worker] = {}
        for worker in busy:
            by_handle[worker.results] = by_handle[worker.process.sentinel] = worker
        ready = wait(list(by_handle), timeout)
        heard = set()
        for handle in ready:
            worker = by_handle[handle]
            if worker in heard:
                continue
            heard.add(worker)
            if not self._receive(worker):
                self._failed(worker, "crashed", worker.ending())
        now = time.monotonic()
        for worker in busy:
            if worker in heard:
                continue
            deadline = self._deadline(worker)
            if deadline is None or now < deadline:
                continue
            if not worker.ready:
                self.pool._drop(worker)
                raise ModelError(
                    f"a worker process did not load the spaCy pipeline within {START_TIMEOUT:g} s"
                )
            self._failed(
                worker, "timeout", f"no result within the budget of {self.pool.doc_timeout:g} s"
            )

    def _deadline(self, worker: _Worker) -> float | None:
        if not worker.ready:
            return worker.started + START_TIMEOUT
        if self.pool.doc_timeout is None or not worker.batches:
            return None
        return worker.since + self.pool.doc_timeout

    def _receive(self, worker: _Worker) -> bool:
        """Take every message the worker has sent; False when it has died."""
        try:
            while worker.results.poll():
                self._handle(worker, worker.results.recv())
        except (EOFError, OSError):
            return False
        return worker.process.is_alive() or worker.results.poll()

    def _handle(self, worker: _Worker, message: tuple) -> None:
        kind = message[0]
        worker.since = time.monotonic()
        if kind == "ready":
            worker.ready = True
        elif kind == "facts":
            _, index, facts = message
            batch = worker.batches[0]
            position, document = batch.items.pop(0)
            assert position == index, f"worker sent document {index}, expected {position}"
            if not batch.items:
                worker.batches.popleft()
            self.done[index] = document, replace(facts, document=document)
        else:  # "failed": the pipeline did not load, or reading a document raised
            self.pool._drop(worker)
            raise message[1]

    def _failed(self, worker: _Worker, reason: str, detail: str) -> None:
        """Kill ``worker``; quarantine the document it was reading when it was reading one
        alone, else hand its unfinished documents out again, one at a time."""
        if not worker.ready:
            self.pool._drop(worker)
            raise ModelError(f"a worker process loading the spaCy pipeline died: {detail}")
        self.pool.killed += 1
        self.pool._drop(worker)
        if not worker.batches:
            return
        current, *later = worker.batches
        retry = list(later)
        if current.alone:
            index, document = current.items[0]
            self.done[index] = document, Quarantine.of(document, reason, detail)
        else:
            retry[:0] = [_Batch([item], alone=True) for item in current.items]
        self.pending.extendleft(reversed(retry))


def _serve(tasks: Connection, results: Connection, model: str | None) -> None:
    """A worker: load the pipeline, say so, then read batches until told to stop. A reader
    thread takes batches off the pipe as they come, so the parent never blocks sending one
    while this process blocks sending results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        from kg.extract import Extractor
        from kg.nlp import load_pipeline

        nlp = load_pipeline(model)
        extractor = Extractor(nlp)
        with nlp.memory_zone():  # the first call sets things up: not a document's time
            extractor.extract(Document("warm-up", _WARM_UP), nlp(_WARM_UP))
    except BaseException as exc:
        results.send(("failed", _portable(exc)))
        return
    results.send(("ready",))
    inbox: queue.SimpleQueue[list[tuple[int, Document]] | None] = queue.SimpleQueue()
    threading.Thread(target=_receive_tasks, args=(tasks, inbox), daemon=True).start()
    while (batch := inbox.get()) is not None:
        try:
            with nlp.memory_zone():
                pairs = ((document.text, (index, document)) for index, document in batch)
                parsed = nlp.pipe(pairs, as_tuples=True, batch_size=len(batch))
                for spacy_doc, (index, document) in parsed:
                    facts = extractor.extract(document, spacy_doc)
                    # the parent has the text: do not pickle it back
                    textless = replace(facts, document=replace(document, text=""))
                    results.send(("facts", index, textless))
        except Exception as exc:
            results.send(("failed", _portable(exc)))
            return


def _receive_tasks(tasks: Connection, inbox: queue.SimpleQueue) -> None:
    try:
        while (batch := tasks.recv()) is not None:
            inbox.put(batch)
    except (EOFError, OSError):
        pass
    inbox.put(None)


def _portable(exc: BaseException) -> BaseException:
    """The exception as it is when it pickles (kg's own do), else a ``KgError`` with its
    type and text, so the parent raises something it can print."""
    exc.__cause__ = exc.__context__ = exc.__traceback__ = None
    try:
        pickle.dumps(exc)
    except Exception:
        what = f"{type(exc).__name__}: {exc}"
        return KgError(f"reading a document failed in a worker process: {what}")
    return exc

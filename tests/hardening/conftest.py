"""Fixtures of the hardening tests: a canary HTTP server and an audit hook that count every
request, connection and file opening kg makes while a test says it must make none.

``sys.addaudithook`` cannot be removed, so one hook is installed for the session and
``io_audit.watching()`` switches counting on and off. The canary listens on 127.0.0.1; a
hostile input points at it, so a fetch made by native code the hook cannot see (pyoxigraph's
HTTP client) still shows up as a hit.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from spacy.language import Language

import kg
import kg.nlp

REPO = Path(__file__).resolve().parents[2]
# Where Python, its libraries and OS data it reads on its own (time zones, locale) live.
_ALLOWED_ROOTS = tuple(
    os.path.realpath(p)
    for p in {
        tempfile.gettempdir(),
        str(REPO),
        str(Path(kg.__file__).resolve().parent),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        *sysconfig.get_paths().values(),
        *(p for p in sys.path if p),
        "/dev/null",
        "/usr/share/zoneinfo",
        "/proc/self",
    }
)


@dataclass
class IoAudit:
    """Counts the outbound I/O seen while ``watching``: events of the hook and their detail."""

    active: bool = False
    connects: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    opens: list[str] = field(default_factory=list)

    def hook(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        if event == "socket.connect":
            self.connects.append(repr(args[1]))
        elif event == "urllib.Request":
            self.requests.append(str(args[0]))
        elif event == "open" and isinstance(args[0], str | bytes):
            path = os.fsdecode(args[0])
            if not _allowed(path):
                self.opens.append(path)

    @contextmanager
    def watching(self) -> Iterator[IoAudit]:
        self.connects.clear()
        self.requests.clear()
        self.opens.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def events(self) -> list[str]:
        return [
            *(f"connect {c}" for c in self.connects),
            *(f"request {r}" for r in self.requests),
            *(f"open {o}" for o in self.opens),
        ]


def _allowed(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip("/") + "/") for root in _ALLOWED_ROOTS)


_AUDIT = IoAudit()
sys.addaudithook(_AUDIT.hook)


@pytest.fixture(scope="session")
def io_audit() -> IoAudit:
    return _AUDIT


class Canary:
    """A loopback HTTP server that answers every request with a JSON-LD context and a Turtle
    body alike, and counts them: any hit means kg fetched something."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(f"GET {self.path}")
                body = json.dumps({"@context": {"x": "http://example.org/x"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def canary() -> Iterator[Canary]:
    server = Canary()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def no_outbound_io(io_audit: IoAudit, canary: Canary) -> Iterator[Canary]:
    """Fails the test when it made any request, connection or open outside the allow-list,
    or when the canary was hit."""
    before = len(canary.hits)
    with io_audit.watching():
        yield canary
    assert io_audit.events() == []
    assert canary.hits[before:] == []


@pytest.fixture(scope="session")
def session_nlp() -> Language:
    """The real English pipeline, loaded once for every hardening test."""
    return kg.nlp.load_pipeline()


@pytest.fixture
def real_pipeline(session_nlp: Language) -> Iterator[Language]:
    """``kg.pipeline`` builds with the session's pipeline instead of loading its own."""
    with mock.patch.object(kg.nlp, "load_pipeline", lambda model=None: session_nlp):
        yield session_nlp

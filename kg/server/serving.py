"""Serving the app over HTTP: the standard library's WSGI server, one thread per request.

``serve`` is what ``kg serve`` runs: it opens the source, binds (127.0.0.1 by default), prints
the URL and serves until Ctrl-C or SIGTERM, then closes the socket and returns normally.
``running`` starts the same server in a background thread for tests and scripts.
"""

from __future__ import annotations

import signal
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from kg.errors import KgError
from kg.server.app import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, KgApp


class ServeError(KgError, OSError):
    """The server could not start: the address is taken, the host does not resolve, ..."""


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow client never holds up shutdown
    allow_reuse_address = True


class _LoggingHandler(WSGIRequestHandler):
    """One line per request on stderr, as wsgiref does, without reverse DNS look-ups."""

    def address_string(self) -> str:
        return str(self.client_address[0])


class _QuietHandler(_LoggingHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Tests and embedded uses want no request log."""


def open_graph(path: Path | str) -> object:
    """What ``path`` holds: a kg store folder (opened read-only) or a graph file (an rdflib
    Dataset)."""
    from kg.store import open_source

    return open_source(path)


def make_http_server(app: KgApp, host: str, port: int, *, quiet: bool) -> WSGIServer:
    handler = _QuietHandler if quiet else _LoggingHandler
    try:
        return make_server(host, port, app, _ThreadingWSGIServer, handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def server_url(server: WSGIServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/"


def serve(
    source_path: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    workers: int = 2,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``source_path`` until interrupted; returns after a clean shutdown.

    Queries run in ``workers`` processes (``kg.sandbox.QueryPool``), so one that overruns
    ``timeout`` is killed and its worker replaced while the others keep answering."""
    announce = announce or _print
    source = open_graph(source_path)
    pool = app = None
    try:
        from kg.sandbox import QueryPool  # imports kg.server: not at module level

        pool = QueryPool(source_path, workers=workers, timeout=timeout)
        app = KgApp(source, timeout=timeout, max_rows=max_rows, pool=pool)
        if app.follows_snapshots:
            # the app opens each published snapshot itself; holding the one opened here
            # would keep its files from being collected for as long as the server runs
            source.close()
        server = make_http_server(app, host, port, quiet=False)
        url = server_url(server)
        announce(f"kg: serving {source_path} at {url} (SPARQL endpoint {url}sparql); Ctrl-C stops")
        if host not in ("127.0.0.1", "localhost", "::1"):
            announce(f"kg: warning: listening on {host}; the endpoint has no authentication")
        _serve_until_interrupted(server)
    finally:
        if app is not None:
            app.close()  # the snapshots it opened to follow a store
        if pool is not None:
            pool.close()
        close = getattr(source, "close", None)  # a store: release RocksDB
        if close is not None:
            close()
    announce("kg: server stopped")


def _serve_until_interrupted(server: WSGIServer) -> None:
    previous = _stop_on_sigterm()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _print(message: str) -> None:
    print(message, flush=True)


def _stop_on_sigterm() -> object:
    """Turn SIGTERM into KeyboardInterrupt so both stop the server the same clean way."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


@contextmanager
def running(app: KgApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a background thread (port 0: a free one); yields the base URL."""
    server = make_http_server(app, host, port, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name="kg-serve", daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""``kg serve``: a read-only SPARQL endpoint with a browser UI over a graph file or store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    source: Annotated[
        Path, typer.Argument(help="A graph file written by kg build, or a store folder.")
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = 8000,
    timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds a query may run before it gets 503.")
    ] = 10.0,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Most rows (or triples) one answer holds.")
    ] = 10_000,
) -> None:
    """Serve SOURCE at http://HOST:PORT/: a SPARQL 1.1 endpoint (/sparql) and a query page (/)."""
    import logging

    from kg.server import serve as run_server

    # killed and crashed query workers, one line each on stderr, for whoever runs the server
    logging.basicConfig(level=logging.WARNING, format="kg serve: %(message)s")
    run_server(source, host=host, port=port, timeout=timeout, max_rows=max_rows)

"""``kg push``: send a graph file or store to an external SPARQL 1.1 server (see ``kg.push``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_BATCH_SIZE = 100_000  # kg.push.DEFAULT_BATCH_SIZE, repeated so --help imports nothing
DEFAULT_TIMEOUT = 60.0


def register(app: typer.Typer) -> None:
    app.command("push")(push)


def push(
    source: Annotated[Path, typer.Argument(help="A graph file or a store folder.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The server's Graph Store Protocol endpoint, e.g. http://host:7878/store "
            "(Oxigraph) or http://host:3030/ds/data (Fuseki).",
        ),
    ],
    query_endpoint: Annotated[
        str | None,
        typer.Option(
            "--query-endpoint",
            help="The server's SPARQL query endpoint (default: the sibling path 'query').",
        ),
    ] = None,
    user: Annotated[str | None, typer.Option(help="User name for basic auth.")] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="KG_PUSH_PASSWORD", help="Password for basic auth."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="KG_PUSH_TOKEN", help="Bearer token (instead of basic auth)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Quads per bulk request (whole graphs).")
    ] = DEFAULT_BATCH_SIZE,
    mode: Annotated[
        str,
        typer.Option(
            help="auto: bulk into an empty server, else PUT the graphs that differ; "
            "bulk: POST N-Quads; graphs: PUT every graph."
        ),
    ] = "auto",
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for each request.")
    ] = DEFAULT_TIMEOUT,
) -> None:
    """Push SOURCE to a SPARQL 1.1 server: bulk N-Quads first, then a PUT per changed graph."""
    from kg.api import open as open_graph
    from kg.push import MODES, Target, make_client
    from kg.push import push as run_push

    if mode not in MODES:
        raise typer.BadParameter(
            f"expected one of {', '.join(MODES)}, got {mode!r}", param_hint="--mode"
        )
    target = Target.from_url(to, query_endpoint)
    with (
        make_client(user=user, password=password, token=token, timeout=timeout) as client,
        open_graph(source) as graph,
    ):
        report = run_push(graph.source, target, mode=mode, batch_size=batch_size, client=client)
    typer.echo(f"kg: {report.summary()}", err=True)

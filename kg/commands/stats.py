"""``kg stats``: what a graph holds, as tables, JSON or charts (see ``kg.stats``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(
    source: Annotated[
        Path, typer.Argument(metavar="GRAPH_OR_STORE", help="A graph file or a store folder.")
    ],
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="DIR", help="Also write PNG charts into this folder."),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many entries each ranked list shows.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
) -> None:
    """Count what GRAPH_OR_STORE holds: entities by type, facts by family and year,
    documents per entity, the most central actors and the communities."""
    from kg.export import opened
    from kg.stats import compute_stats, format_stats, write_plots

    with opened(source) as graph:
        numbers = compute_stats(graph, top=top)
    typer.echo(numbers.to_json() if as_json else format_stats(numbers), nl=False)
    for path in write_plots(numbers, plot) if plot is not None else ():
        typer.echo(f"kg: wrote {path}", err=True)

"""``kg validate``: SHACL-check every graph of a file or store (see ``kg.validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(
    source: Annotated[Path, typer.Argument(help="A graph file or a store folder.")],
    infer: Annotated[
        bool, typer.Option(help="Expand each graph with RDFS inference over kg.ttl first.")
    ] = False,
    owl: Annotated[bool, typer.Option(help="OWL-RL inference instead of RDFS (slower).")] = False,
    shapes: Annotated[
        Path | None, typer.Option(help="SHACL shapes (Turtle) instead of kg's own shapes.ttl.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="How many results to show in full.")] = 10,
) -> None:
    """Validate SOURCE against the SHACL shapes, graph by graph; exit 1 if it does not conform."""
    from kg.api import open as open_graph
    from kg.validate import validate as run_validation

    inference = "owlrl" if owl else "rdfs" if infer else "none"
    with open_graph(source) as graph:
        report = run_validation(graph.source, shapes=shapes, inference=inference)
    typer.echo(report.to_text(limit))
    if not report.conforms:
        raise typer.Exit(1)

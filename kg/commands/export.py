"""``kg export``: a graph file or store as GEXF, GraphML, Cytoscape JSON, DOT, CSV or HTML."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kg.errors import InputError, OutputError, QueryError


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    source: Annotated[Path, typer.Argument(help="A graph file written by kg build, or a store.")],
    to: Annotated[
        str,
        typer.Option(
            "--to", help="gexf, graphml, cytoscape, dot, csv (a folder, or a .zip) or html."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file (or folder) to write.")],
    projection: Annotated[
        str,
        typer.Option(
            help="entity: entities and the facts between them; rdf: every IRI, literal, triple."
        ),
    ] = "entity",
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Keep entities of this kg class (Country, ...); repeatable."),
    ] = None,
    predicates: Annotated[
        list[str] | None,
        typer.Option("--predicate", help="Keep edges of this predicate (memberOf...); repeatable."),
    ] = None,
    documents: Annotated[
        list[str] | None,
        typer.Option("--document", help="Keep what this document id reports; repeatable."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Keep facts dated on or after YYYY[-MM[-DD]].")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Keep facts dated on or before YYYY[-MM[-DD]].")
    ] = None,
    construct: Annotated[
        Path | None,
        typer.Option(help="Export the result of this SPARQL CONSTRUCT (.rq) as an RDF graph."),
    ] = None,
    size: Annotated[str, typer.Option(help="Size nodes by pagerank or degree.")] = "pagerank",
) -> None:
    """Export SOURCE for Gephi, yEd, Cytoscape, Graphviz, Neo4j or a browser."""
    from kg.export import export as run_export
    from kg.export import get_format

    export_format = get_format(to)  # an unknown format fails before any work
    export_format.load()
    if not source.exists():
        raise InputError(f"no such graph file or store: {source}")
    query = _read_query(construct) if construct is not None else None
    _ensure_folder(output.parent)
    started = time.perf_counter()
    graph = run_export(
        source,
        export_format.name,
        output,
        projection=projection,
        types=types,
        predicates=predicates,
        documents=documents,
        since=since,
        until=until,
        construct=query,
        size_by=size,
    )
    typer.echo(
        f"kg: wrote {output}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} "
        f"edges ({graph.graph['projection']} projection, {export_format.name}); "
        f"{time.perf_counter() - started:.1f} s",
        err=True,
    )


def _read_query(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read query file {path}: {exc}") from None


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror}") from None

"""``kg validate``: SHACL-check every graph of a file or store (see ``kg.validate``).

The ``--ontology`` and import options are declared here once and shared with ``kg query``
(``kg.cli``), which merges the same extra ontology into its ``--infer`` closure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rdflib import Graph

# kg.imports' DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES and DEFAULT_MAX_DEPTH, repeated so --help
# imports nothing.
DEFAULT_IMPORT_TIMEOUT = 10.0
DEFAULT_IMPORT_MAX_BYTES = 20_000_000
DEFAULT_IMPORT_DEPTH = 3

OntologyOption = Annotated[
    Path | None,
    typer.Option(
        "--ontology",
        help="An extra ontology file (any RDF format kg reads) merged with kg.ttl; its "
        "owl:imports are not followed unless --follow-imports.",
    ),
]
FollowImportsOption = Annotated[
    bool,
    typer.Option(
        "--follow-imports",
        help="Also load the --ontology's owl:imports, breadth-first, from --allow-import "
        "prefixes and folders only.",
    ),
]
AllowImportOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-import",
        help="With --follow-imports: an IRI prefix (https://w3id.org/) or a folder that "
        "imports may come from; repeatable.",
    ),
]
ImportTimeoutOption = Annotated[
    float,
    typer.Option(
        "--import-timeout", min=0.001, help="Seconds each import may take, redirects included."
    ),
]
ImportMaxBytesOption = Annotated[
    int, typer.Option("--import-max-bytes", min=1, help="Bytes each imported document may have.")
]
ImportDepthOption = Annotated[
    int,
    typer.Option(
        "--import-depth", min=1, help="Levels of imports of imports to follow; deeper is an error."
    ),
]


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
    ontology: OntologyOption = None,
    follow_imports: FollowImportsOption = False,
    allow_import: AllowImportOption = None,
    import_timeout: ImportTimeoutOption = DEFAULT_IMPORT_TIMEOUT,
    import_max_bytes: ImportMaxBytesOption = DEFAULT_IMPORT_MAX_BYTES,
    import_depth: ImportDepthOption = DEFAULT_IMPORT_DEPTH,
) -> None:
    """Validate SOURCE against the SHACL shapes, graph by graph; exit 1 if it does not conform."""
    from kg.api import open as open_graph
    from kg.validate import validate as run_validation

    inference = "owlrl" if owl else "rdfs" if infer else "none"
    check_import_options(ontology, follow_imports, allow_import)
    extra = extra_ontology(
        ontology, follow_imports, allow_import, import_timeout, import_max_bytes, import_depth
    )
    with open_graph(source) as graph:
        report = run_validation(graph.source, shapes=shapes, inference=inference, ontology=extra)
    typer.echo(report.to_text(limit))
    if not report.conforms:
        raise typer.Exit(1)


def check_import_options(
    ontology: Path | None, follow_imports: bool, allow_import: list[str] | None
) -> None:
    """Usage errors before any work: import options that would silently do nothing."""
    if follow_imports and ontology is None:
        raise typer.BadParameter(
            "needs an --ontology FILE to follow", param_hint="--follow-imports"
        )
    if allow_import and not follow_imports:
        raise typer.BadParameter(
            "applies with --follow-imports only (imports are not followed without it)",
            param_hint="--allow-import",
        )


def extra_ontology(
    ontology: Path | None,
    follow_imports: bool,
    allow_import: list[str] | None,
    import_timeout: float,
    import_max_bytes: int,
    import_depth: int,
) -> Graph | None:
    """The ``--ontology`` graph, with its imports when ``--follow-imports``; None without one.
    Read before the source is opened, so a refused import fails before any other work."""
    if ontology is None:
        return None
    from kg.imports import load_ontology

    return load_ontology(
        ontology,
        follow_imports=follow_imports,
        allow=allow_import or (),
        timeout=import_timeout,
        max_bytes=import_max_bytes,
        max_depth=import_depth,
    )

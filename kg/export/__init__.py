"""Graph exports for the tools researchers look at graphs with: Gephi, yEd, Cytoscape,
Graphviz, Neo4j, a browser.

The flow is RDF -> ``to_networkx`` (``kg.export.projection``: the entity graph, the RDF graph
or a subset) -> one writer module per format, named as networkx names things
(``write_gexf``, ``write_graphml``, ``cytoscape_data``, ...). Formats are registered here by
name and their modules imported only when used, like rdflib's plugins; each module provides
``write(graph, out)`` onto a binary stream, and ``export`` writes through
``kg.rdfio.atomic_write`` so a failed export leaves the previous file as it was.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

import networkx as nx

from kg.errors import OutputError, UnsupportedFormatError
from kg.export.common import write_to
from kg.export.projection import check_options, to_networkx

__all__ = ["FORMATS", "ExportFormat", "export", "get_format", "opened", "to_networkx"]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """A graph format: its name, the module ``kg.export.<module>`` that writes it, the usual
    file extension and what it is for. ``tables`` formats write a folder of files unless the
    output ends in ``.zip``."""

    name: str
    module: str
    extension: str
    description: str
    tables: bool = False

    def load(self) -> ModuleType:
        """The writer module, imported now; a clear error when this installation lacks it."""
        qualified = f"{__name__}.{self.module}"
        try:
            return importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            raise UnsupportedFormatError(
                f"export format {self.name!r} is not available: module {qualified} is missing"
            ) from None


FORMATS: dict[str, ExportFormat] = {
    fmt.name: fmt
    for fmt in (
        ExportFormat("gexf", "gexf", ".gexf", "GEXF 1.3 for Gephi, with a timeline from dates"),
        ExportFormat("graphml", "graphml", ".graphml", "GraphML with yEd labels and colours"),
        ExportFormat("cytoscape", "cytoscape", ".json", "Cytoscape.js / Cytoscape desktop JSON"),
        ExportFormat("dot", "dot", ".dot", "Graphviz DOT"),
        ExportFormat(
            "csv", "csv_tables", ".zip", "Neo4j admin-import CSV node and edge tables", True
        ),
        ExportFormat("html", "html", ".html", "a self-contained web page to explore the graph"),
    )
}


def get_format(name: str) -> ExportFormat:
    fmt = FORMATS.get(name.strip().lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"unknown export format {name!r}; expected one of: {', '.join(FORMATS)}"
        )
    return fmt


@contextmanager
def opened(path: Path | str) -> Iterator[object]:
    """The graph file or store at ``path`` as ``kg.query.run_query`` reads it, closed (a
    store releases its files) when done."""
    from kg.store import open_source

    source = open_source(path)
    try:
        yield source
    finally:
        source.close()


def export(
    source: object,
    fmt: str,
    out: Path | str | BinaryIO,
    *,
    projection: str = "entity",
    types: Iterable[str] | None = None,
    predicates: Iterable[str] | None = None,
    documents: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    construct: str | None = None,
    size_by: str = "pagerank",
) -> nx.MultiDiGraph:
    """Write ``source`` (a graph file or store path, or anything ``run_query`` reads) in
    format ``fmt`` to ``out`` (a path, written atomically, or a binary file object), and
    return the projected graph. The projection options are ``to_networkx``'s."""
    export_format = get_format(fmt)
    writer = export_format.load()  # a missing writer fails before any work
    options = {
        "projection": projection,
        "types": types,
        "predicates": predicates,
        "documents": documents,
        "since": since,
        "until": until,
        "construct": construct,
        "size_by": size_by,
    }
    check_options(**options)  # wrong options fail before a large graph is read
    writes_folder = isinstance(out, str | os.PathLike) and Path(out).suffix.lower() != ".zip"
    if export_format.tables and writes_folder and Path(out).suffix.lower() == ".csv":
        raise OutputError(
            f"{export_format.name} writes nodes.csv and edges.csv: give a folder or a .zip "
            f"file, not {out}"
        )
    if isinstance(source, str | os.PathLike):
        with opened(source) as data:
            graph = to_networkx(data, name=Path(source).stem or None, **options)
    else:
        graph = to_networkx(source, **options)
    if export_format.tables and writes_folder:
        writer.write_folder(graph, out)
    else:
        write_to(out, lambda stream: writer.write(graph, stream))
    return graph

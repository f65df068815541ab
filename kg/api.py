"""kg from Python, for notebooks and scripts: open or build a graph and ask it questions.

::

    import kg

    g = kg.open("out/example.trig")           # a graph file, or a store folder
    g = kg.build(["examples/articles"])       # or build one in memory
    g.named("members", organisation="INTERPOL").rows     # a list of dicts
    g.query(sparql, name="Europol")           # binds ?name to the string "Europol"
    g.query("SELECT ...").to_dataframe()      # pip install 'kg[pandas]'
    g.queries()                               # the named questions

A ``Graph`` wraps what the command line works on (an rdflib ``Dataset`` or a
``kg.store.GraphStore``) and answers with an ``Answer``: its columns, its rows as dicts of plain
Python values (see ``kg.query.QueryResult``), and ``to_dataframe()`` when pandas is installed.
Queries are read-only and checked exactly as ``kg query`` checks them. A graph opened from a
store folder holds the store open: use ``with kg.open(...) as g:`` or ``g.close()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rdflib
from rdflib import Dataset

from kg.errors import KgError

if TYPE_CHECKING:
    from kg.push import PushReport
    from kg.query import NamedQuery, QueryResult
    from kg.validate import ValidationReport

_PANDAS_MISSING = "to_dataframe() needs pandas: pip install 'kg[pandas]' (or pip install pandas)"


@dataclass(frozen=True, slots=True)
class Answer:
    """A query's answer: column names and one dict per row, in the query's order."""

    columns: tuple[str, ...]
    rows: list[dict[str, object]]

    @classmethod
    def of(cls, result: QueryResult) -> Answer:
        return cls(columns=result.columns, rows=result.as_dicts())

    def to_dataframe(self) -> Any:
        """The rows as a ``pandas.DataFrame`` with the answer's columns (needs pandas)."""
        try:
            import pandas
        except ImportError as exc:
            raise ModuleNotFoundError(_PANDAS_MISSING, name="pandas") from exc
        return pandas.DataFrame(self.rows, columns=list(self.columns))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, object]]:
        return iter(self.rows)

    def __str__(self) -> str:
        from kg.query import QueryResult, format_result

        values = tuple(tuple(row[column] for column in self.columns) for row in self.rows)
        return format_result(QueryResult(self.columns, values), "table")


class Graph:
    """A kg graph to question: a graph file or store folder opened, or a build in memory."""

    def __init__(self, source: Any, *, name: str = "graph") -> None:
        self.source = source
        self.name = name

    def query(self, sparql: str, **params: object) -> Answer:
        """Run read-only SPARQL; each keyword binds ``?name`` to its value as a string."""
        from kg.query import run_query

        return Answer.of(run_query(self.source, sparql, _strings(params)))

    def named(self, name: str, **params: object) -> Answer:
        """Ask a named question (see ``queries()``) with its parameters as keywords."""
        from kg.query import run_named

        return Answer.of(run_named(self.source, name, _strings(params)))

    @staticmethod
    def queries() -> dict[str, NamedQuery]:
        """The named questions by name, each with its title, description and parameters."""
        from kg.query import named_queries

        return named_queries()

    def validate(
        self,
        *,
        shapes: Path | str | None = None,
        inference: str = "none",
        ontology: Path | str | rdflib.Graph | None = None,
        follow_imports: bool = False,
        allow_imports: Iterable[str] = (),
    ) -> ValidationReport:
        """SHACL-validate every graph (``kg validate``); ``inference`` none, rdfs or owlrl.

        ``ontology`` (a file, or an rdflib graph) is merged into kg's own, its ``owl:imports``
        followed only with ``follow_imports`` and only to the ``allow_imports`` prefixes and
        folders (``kg.imports.load_ontology``, with its default limits)."""
        from kg.validate import validate

        extra = _ontology(ontology, follow_imports, allow_imports)
        return validate(self.source, shapes=shapes, inference=inference, ontology=extra)

    def infer(
        self,
        *,
        owl: bool = False,
        ontology: Path | str | rdflib.Graph | None = None,
        follow_imports: bool = False,
        allow_imports: Iterable[str] = (),
    ) -> Graph:
        """A new in-memory graph with the RDFS (or OWL-RL) closure added (``kg query --infer``),
        ``ontology`` as in ``validate``."""
        from kg.validate import materialise

        extra = _ontology(ontology, follow_imports, allow_imports)
        inferred = materialise(self.source, owl=owl, ontology=extra)
        return Graph(inferred, name=f"{self.name} (inferred)")

    def push(self, url: str, *, mode: str = "auto", **auth: Any) -> PushReport:
        """Push to a SPARQL server's Graph Store endpoint (``kg push``); ``auth`` takes
        ``user`` and ``password``, or ``token``, and ``timeout``."""
        from kg.push import make_client, push

        with make_client(**auth) as client:
            return push(self.source, url, mode=mode, client=client)

    def save(self, path: Path | str, fmt: str | None = None) -> int:
        """Write the graph to a file (format from the extension or ``fmt``); the quads written."""
        from kg.rdfio import write_dataset

        dataset = self.source if isinstance(self.source, Dataset) else self.source.to_dataset()
        return write_dataset(dataset, path, fmt)

    def close(self) -> None:
        """Release a store folder; nothing to do for a graph in memory."""
        if not isinstance(self.source, Dataset):
            self.source.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        if isinstance(self.source, Dataset):
            return sum(1 for _ in self.source.quads((None, None, None, None)))
        return self.source.quad_count()

    def __repr__(self) -> str:
        try:
            size = f"{len(self)} quads"
        except KgError:  # a closed store
            size = "closed"
        return f"<kg.Graph {self.name}: {size}>"


def open(path: Path | str) -> Graph:
    """Open a graph file written by ``kg build`` or a store folder."""
    from kg.store import open_source

    return Graph(open_source(path), name=str(path))


def build(
    inputs: Iterable[Path | str] | Path | str,
    *,
    model: str | None = None,
    base_iri: str | None = None,
    strict: bool = False,
) -> Graph:
    """Build the graph of files or folders in memory, as ``kg build`` does."""
    from kg.pipeline import build_dataset

    items = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    dataset = build_dataset(items, model=model, base_iri=base_iri, strict=strict)
    return Graph(dataset, name=", ".join(map(str, items)))


def _strings(params: dict[str, object]) -> dict[str, str]:
    return {name: str(value) for name, value in params.items()}


def _ontology(
    ontology: Path | str | rdflib.Graph | None, follow_imports: bool, allow: Iterable[str]
) -> rdflib.Graph | None:
    """An extra ontology as ``kg.validate`` takes it: a file is read (imports followed as
    asked); a graph is used as it is, since kg cannot tell where its imports would resolve."""
    allow = tuple(allow)
    if allow and not follow_imports:
        raise ValueError("allow_imports applies with follow_imports=True only")
    if ontology is None or isinstance(ontology, rdflib.Graph):
        if follow_imports:
            raise ValueError("follow_imports needs an ontology file, not a graph or nothing")
        return ontology
    from kg.imports import load_ontology

    return load_ontology(ontology, follow_imports=follow_imports, allow=allow)

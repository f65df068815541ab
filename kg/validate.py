"""SHACL validation of kg graphs, and the RDFS / OWL-RL closure for questions that need it.

``validate`` checks each named graph on its own against ``ontologies/shapes.ttl`` (or other
shapes), with ``kg.ttl`` as pyshacl's ontology graph: kg promises that every document graph
conforms by itself (``ontologies/README.md``), and checking graph by graph names the graph of
each result and keeps memory to one graph at a time, even for a store. Triples in a file's
default graph (Turtle or N-Triples) are checked as one more graph; a store's default graph
(the union) and metadata graph are not. With ``inference`` ("rdfs" or "owlrl") pyshacl first
expands each graph with the ontology, so the shapes also see what follows from subclasses and
subproperties; measured on the annotated corpus (19 graphs, 2,936 triples, 0.9 s), RDFS
costs three and a half times as much, OWL-RL twenty times.

``materialise`` is for questions rather than checks: it adds the ontology and everything
RDFS (or OWL-RL) entails from it and the data, as one extra named graph
(``INFERRED_GRAPH``), so ``?x a org:Organization`` finds INTERPOL and Europol and
``?a kg:treatyAction ?t`` finds every signature and ratification. It runs ``owlrl`` in memory
over the union of the graphs, which grows by about 60 %. Measured here: RDFS about 2,500
triples a second, steadily (20,000 triples in 8 s); OWL-RL four times slower and worse than
linear (20,000 triples in 33 s). It suits a graph file or a store of a few hundred
documents, not millions of triples.
Trivial entailments that would only clutter answers (``rdfs:Resource`` and ``owl:Thing``
types, reflexive ``owl:sameAs`` and sub-/equivalent- links, literals as subjects) are left out.

Both take an extra ``ontology`` graph (``--ontology``), merged with kg.ttl. It arrives already
read, by ``kg.imports.load_ontology``, so its ``owl:imports`` are followed, or not, there and
under its limits; pyshacl is never asked to follow imports.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, NamespaceManager

from kg.errors import InputError, RdfError
from kg.rdf import new_dataset
from kg.vocab import ONTOLOGY_PATH, SHAPES_PATH

if TYPE_CHECKING:
    from kg.store import GraphStore

INFERENCE = ("none", "rdfs", "owlrl")
INFERRED_GRAPH = URIRef("urn:kg:inferred")
DEFAULT_GRAPH_NAME = "(default graph)"
SEVERITIES = ("Violation", "Warning", "Info")

_KGSH = Namespace("https://w3id.org/kgnews/shapes#")
_REFLEXIVE = (
    OWL.sameAs,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
)
_TRIVIAL_TYPES = (RDFS.Resource, OWL.Thing)


@dataclass(frozen=True, slots=True)
class Finding:
    """One SHACL validation result, with every term as readable text."""

    graph: str
    severity: str
    shape: str
    component: str
    focus: str
    path: str | None
    value: str | None
    message: str


@dataclass(slots=True)
class ValidationReport:
    """The results of validating every graph of a source."""

    graphs: int = 0
    triples: int = 0
    findings: list[Finding] = field(default_factory=list)
    inference: str = "none"
    seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        """SHACL's verdict: no result of any severity."""
        return not self.findings

    def counts(self) -> Counter[tuple[str, str, str]]:
        """How many results per (severity, shape, constraint component)."""
        return Counter((f.severity, f.shape, f.component) for f in self.findings)

    def summary(self) -> str:
        verdict = "conforms" if self.conforms else "does not conform"
        checked = (
            f"{self.graphs} {'graph' if self.graphs == 1 else 'graphs'}, {self.triples} triples"
        )
        inferred = f", {self.inference} inference" if self.inference != "none" else ""
        if self.conforms:
            return f"{checked}{inferred}: {verdict}; {self.seconds:.1f} s"
        by_severity = Counter(f.severity for f in self.findings)
        severities = ", ".join(
            f"{by_severity[s]} {s.lower()}{'s' if by_severity[s] != 1 else ''}"
            for s in SEVERITIES
            if by_severity[s]
        )
        failing = len({f.graph for f in self.findings})
        return (
            f"{checked}{inferred}: {verdict}: {severities} in {failing} "
            f"{'graph' if failing == 1 else 'graphs'}; {self.seconds:.1f} s"
        )

    def to_text(self, limit: int = 10) -> str:
        """The summary, the counts by shape and severity, then the first ``limit`` results."""
        lines = [self.summary()]
        if self.conforms:
            return "\n".join(lines)
        counts = sorted(self.counts().items(), key=lambda item: (-item[1], item[0]))
        width = max(len(str(n)) for _, n in counts)
        lines += ["", "by shape:"]
        for (severity, shape, component), n in counts:
            lines.append(f"  {severity:<9} {n:>{width}}  {shape} ({component})")
        shown = self.findings[:limit]
        lines += ["", f"first {len(shown)} of {len(self.findings)}:"]
        for finding in shown:
            lines.append(f"  {finding.severity} in {finding.graph}")
            lines.append(f"    focus    {finding.focus}")
            if finding.path is not None:
                lines.append(f"    path     {finding.path}")
            if finding.value is not None:
                lines.append(f"    value    {finding.value}")
            lines.append(f"    message  {finding.message}")
        return "\n".join(lines)


def validate(
    source: Any,
    *,
    shapes: Path | str | None = None,
    inference: str = "none",
    ontology: Graph | None = None,
) -> ValidationReport:
    """Validate each graph of ``source`` (an rdflib ``Dataset`` or a ``kg.store.GraphStore``)
    against ``shapes`` (kg's own by default), with ``ontology`` (``kg.imports.load_ontology``)
    merged into kg.ttl as pyshacl's ontology graph."""
    import pyshacl

    if inference not in INFERENCE:
        raise InputError(f"unknown inference {inference!r}; valid: {', '.join(INFERENCE)}")
    started = time.perf_counter()
    shapes_graph = _parse(Path(shapes) if shapes is not None else SHAPES_PATH, "shapes")
    ontology_graph = _parse(ONTOLOGY_PATH, "ontology")
    if ontology is not None:
        ontology_graph += ontology
    names = _names(shapes_graph)
    report = ValidationReport(inference=inference)
    for name, graph in _graphs(source):
        report.graphs += 1
        report.triples += len(graph)
        conforms, results, _ = pyshacl.validate(
            graph, shacl_graph=shapes_graph, ont_graph=ontology_graph, inference=inference
        )
        if not conforms:
            found = _findings(name, results, shapes_graph, names)
            report.findings.extend(sorted(found, key=lambda f: (f.focus, f.path or "", f.shape)))
    report.seconds = time.perf_counter() - started
    return report


def materialise(source: Any, *, owl: bool = False, ontology: Graph | None = None) -> Dataset:
    """A new dataset: the graphs of ``source`` plus ``INFERRED_GRAPH`` holding the ontology
    (kg.ttl, and ``ontology`` when given) and what RDFS (OWL-RL when ``owl``) entails from it
    and the data."""
    import owlrl

    dataset = _copy(source)
    closure = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        closure.add((s, p, o))
    known = set(closure)
    closure.parse(ONTOLOGY_PATH, format="turtle")
    if ontology is not None:
        closure += ontology
    semantics = owlrl.OWLRL_Semantics if owl else _rdfs_semantics()
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    inferred = dataset.graph(INFERRED_GRAPH)
    inferred.addN(
        (s, p, o, inferred) for s, p, o in closure if (s, p, o) not in known and _useful(s, p, o)
    )
    return dataset


@cache
def _rdfs_semantics() -> type:
    """owlrl's RDFS rules without its one-time rule on literals, which pairs every literal
    with every other (quadratic: 26,000 triples took 21 s with it, 8 s without) and copies
    each triple onto every literal of equal value, so ``kg:action "signed"`` gained a
    ``"signed"@en`` twin from the ontology's labels."""
    import owlrl

    class RdfsWithoutLiteralEquality(owlrl.RDFS_Semantics):
        def one_time_rules(self) -> None:
            """Nothing: see ``_rdfs_semantics``."""

    return RdfsWithoutLiteralEquality


# --- reading the source --------------------------------------------------------------------


def _graphs(source: Any) -> Iterator[tuple[str, Graph]]:
    """Each non-empty graph of the source as (its name, an rdflib graph), one at a time.

    A store's document graphs are read one by one; its default graph (their union) and its
    metadata graph are not kg data of their own and are skipped.
    """
    if isinstance(source, Dataset):
        for graph in sorted(source.graphs(), key=lambda g: str(g.identifier)):
            if len(graph):
                yield _graph_name(graph.identifier), graph
        return
    from kg.store import META_GRAPH

    store = _store(source).store
    for name in sorted(graph.value for graph in store.named_graphs()):
        if name != META_GRAPH:
            data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
            yield f"<{name}>", Graph().parse(data=data, format="nt")


def _copy(source: Any) -> Dataset:
    """A new dataset with the graphs of the source (a store's document graphs, in memory)."""
    if not isinstance(source, Dataset):
        return _store(source).to_dataset()
    dataset = new_dataset()
    for graph in source.graphs():
        copy = dataset.graph(graph.identifier)
        copy.addN((s, p, o, copy) for s, p, o in graph)
    return dataset


def _store(source: Any) -> GraphStore:
    from kg.store import GraphStore

    if not isinstance(source, GraphStore):
        raise InputError(f"expected a dataset or a kg store, got {type(source).__name__}")
    return source


def _rdflib_default() -> URIRef:
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    return DATASET_DEFAULT_GRAPH_ID


def _graph_name(identifier: Any) -> str:
    return DEFAULT_GRAPH_NAME if identifier == _rdflib_default() else f"<{identifier}>"


def _parse(path: Path, what: str) -> Graph:
    try:
        return Graph().parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise InputError(f"cannot read the {what} file {path}: no such file") from exc
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise RdfError(f"{path}: cannot read the {what}: {' '.join(str(exc).split())}") from exc


# --- reading the results -------------------------------------------------------------------


def _names(shapes: Graph) -> NamespaceManager:
    names = new_dataset().namespace_manager
    names.bind("kgsh", _KGSH, override=False)
    names.bind("sh", SH, override=False)
    for prefix, namespace in shapes.namespaces():
        names.bind(prefix, namespace, override=False)
    return names


def _findings(
    graph: str, results: Graph, shapes: Graph, names: NamespaceManager
) -> Iterator[Finding]:
    for result in results.subjects(RDF.type, SH.ValidationResult):
        shape = results.value(result, SH.sourceShape)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        component = results.value(result, SH.sourceConstraintComponent)
        message = results.value(result, SH.resultMessage)
        severity = results.value(result, SH.resultSeverity)
        yield Finding(
            graph=graph,
            severity=_local_name(severity) if severity is not None else "Violation",
            shape=_shape_name(shape, shapes, names),
            component=_local_name(component).removesuffix("ConstraintComponent")
            if component is not None
            else "?",
            focus=_show(results.value(result, SH.focusNode), names),
            path=_show(path, names) if path is not None else None,
            value=_show(value, names) if value is not None else None,
            message=" ".join(str(message).split()) if message is not None else "",
        )


def _shape_name(shape: Any, shapes: Graph, names: NamespaceManager) -> str:
    """A named shape by its name; a property shape as its node shape and path."""
    if shape is None:
        return "?"
    if not isinstance(shape, BNode):
        return _show(shape, names)
    path = shapes.value(shape, SH.path)
    parent = shapes.value(None, SH.property, shape)
    owner = _show(parent, names) if isinstance(parent, URIRef) else "(anonymous shape)"
    return f"{owner} {_show(path, names)}" if path is not None else owner


def _show(term: Any, names: NamespaceManager) -> str:
    if isinstance(term, URIRef):
        shown = term.n3(names)
        return shown if not shown.startswith("<") else f"<{term}>"
    if isinstance(term, Literal):
        return term.n3(names)
    return "[ blank node ]" if isinstance(term, BNode) else str(term)


def _local_name(term: Any) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _useful(s: Any, p: Any, o: Any) -> bool:
    if isinstance(s, Literal):
        return False
    if p == RDF.type and o in _TRIVIAL_TYPES:
        return False
    return not (s == o and p in _REFLEXIVE)

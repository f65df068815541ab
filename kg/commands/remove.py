"""``kg remove``: retract documents from a kg store (``kg.store.remove_documents``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command()(remove)


def remove(
    doc_ids: Annotated[
        list[str], typer.Argument(metavar="DOC_ID", help="Ids of the documents to retract.")
    ],
    store: Annotated[
        Path, typer.Option("--store", help="The kg store folder to remove them from.")
    ],
) -> None:
    """Retract documents from a store: their named graphs and what they add to the union,
    all in one transaction. An id the store does not hold fails and changes nothing."""
    from kg.store import remove_documents

    removed = remove_documents(store, doc_ids)
    typer.echo(f"kg: removed {len(removed)} documents from {store}", err=True)

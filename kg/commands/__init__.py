"""Further ``kg`` commands, one module each (``serve``, ``export``, ...).

Every module here defines ``register(app: typer.Typer) -> None`` that adds its command(s);
``kg.cli`` calls it for each module found, so a new command is one new file and no edit to
a shared one. Modules import nothing heavy at import time: their commands import what they
need when they run.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    """Add the commands of every module in this package to ``app``, in name order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)

"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over a graph file or store, with a
browser UI (kg/web) to run the named questions, see rows and draw CONSTRUCT results.

``KgApp`` is the WSGI application (testable without sockets), ``serve`` runs it until
interrupted, ``running`` runs it in a background thread.
"""

from __future__ import annotations

from kg.server.app import KgApp
from kg.server.serving import ServeError, open_graph, running, serve

__all__ = ["KgApp", "ServeError", "open_graph", "running", "serve"]

"""kg: knowledge graphs of international crime and cooperation, built from news articles.

Documents -> spaCy Docs -> fact records -> resolved entities -> RDF (one named graph per
document) -> SPARQL questions. Nothing heavy happens at import time: the Python API
(``kg.open``, ``kg.build``, ``kg.Graph``, ``kg.Answer``; see ``kg.api``) is imported on first use.
"""

__version__ = "0.1.0"

_API = ("Answer", "Graph", "build", "open")


def __getattr__(name: str) -> object:
    if name in _API:
        from kg import api

        return getattr(api, name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])

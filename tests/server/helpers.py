"""Helpers of the server tests: graphs with every kind of term, and a WSGI client that needs
no socket."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

from rdflib import Dataset

from kg.server import KgApp

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MINI_GRAPH = FIXTURES / "mini_graph.trig"
GRAPH_ONE = "https://w3id.org/kgnews/graph/veldoria-joins-interpol"
GRAPH_TWO = "https://w3id.org/kgnews/graph/operation-harbour-light"

# Terms of every kind the results formats must carry, with characters that need escaping.
TYPED_TRIG = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:g1 {
    ex:a ex:name "Alpha" ;
         ex:title "Der Vertrag"@de ;
         ex:count 42 ;
         ex:ratio 0.85 ;
         ex:date "2021-03-15"^^xsd:date ;
         ex:year "2021"^^xsd:gYear ;
         ex:flag true ;
         ex:quote "She said: \\"no\\",\\tthen\\nleft; a, b" ;
         ex:unicode "Côte d’Ivoire — ½" ;
         ex:link _:blank .
    _:blank ex:name "anonymous" .
}
ex:g2 { ex:b ex:name "Beta" . }
"""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def media_type(self) -> str:
        return self.headers["Content-Type"].split(";")[0].strip()


Call = Callable[..., Reply]


def wsgi_call(
    app: KgApp,
    method: str = "GET",
    path: str = "/sparql",
    *,
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    query_string: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    accept: str | None = None,
) -> Reply:
    """One request straight into the WSGI app, as a server would make it."""
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query_string if query_string is not None else urlencode(params or {}),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    setup_testing_defaults(environ)
    captured: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(headers)

    content = b"".join(app(environ, start_response))
    return Reply(captured["status"], captured["headers"], content)


def typed_dataset() -> Dataset:
    dataset = Dataset(default_union=True)
    dataset.parse(data=TYPED_TRIG, format="trig")
    return dataset

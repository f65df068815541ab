"""The SPARQL 1.1 Protocol's query operation: the three ways to ask, and every refusal."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from kg.server import KgApp
from tests.server.helpers import GRAPH_ONE, GRAPH_TWO, Call, wsgi_call

COUNT_GRAPHS = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
LABELS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT ?label WHERE { ?x skos:prefLabel ?label } ORDER BY ?label"
)
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


def labels(reply) -> list[str]:
    document = json.loads(reply.body)
    return [row["label"]["value"] for row in document["results"]["bindings"]]


def test_get_with_a_query_parameter_answers_in_sparql_json(call: Call) -> None:
    reply = call("GET", params={"query": LABELS})
    assert reply.status == 200
    assert reply.media_type == "application/sparql-results+json"
    assert "INTERPOL" in labels(reply)


def test_post_form_and_post_direct_answer_as_get_does(call: Call) -> None:
    by_get = call("GET", params={"query": LABELS})
    by_form = call(
        "POST", body=f"query={quote(LABELS)}".encode(), content_type=f"{FORM}; charset=UTF-8"
    )
    by_direct = call("POST", body=LABELS.encode(), content_type=DIRECT)
    assert by_form.status == by_direct.status == 200
    assert labels(by_get) == labels(by_form) == labels(by_direct)


def test_a_form_body_may_send_utf8_text_raw_or_percent_encoded(call: Call) -> None:
    query = 'ASK { FILTER("Côte" = "Côte") }'
    raw = call("POST", body=f"query={query}".encode(), content_type=FORM)
    encoded = call("POST", body=f"query={quote(query)}".encode(), content_type=FORM)
    assert json.loads(raw.body)["boolean"] is True
    assert json.loads(encoded.body)["boolean"] is True


@pytest.mark.parametrize(
    ("request_args", "fragment"),
    [
        ({"method": "GET"}, "missing query"),
        ({"method": "GET", "params": {"query": "  "}}, "missing query"),
        ({"method": "POST", "body": b"", "content_type": DIRECT}, "missing query"),
        ({"method": "POST", "body": b"default-graph-uri=x", "content_type": FORM}, "missing query"),
        (
            {"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]},
            "one query parameter, got 2",
        ),
        (
            {
                "method": "POST",
                "query_string": "query=ASK%7B%7D",
                "body": b"query=ASK%7B%7D",
                "content_type": FORM,
            },
            "one query parameter, got 2",
        ),
        (
            {
                "method": "POST",
                "query_string": "query=ASK%7B%7D",
                "body": b"ASK {}",
                "content_type": DIRECT,
            },
            "direct POST",
        ),
    ],
    ids=[
        "get-none",
        "get-blank",
        "direct-empty",
        "form-none",
        "get-two",
        "form-url-and-body",
        "direct-and-url",
    ],
)
def test_a_missing_or_repeated_query_is_400(call: Call, request_args: dict, fragment: str) -> None:
    reply = call(**request_args)
    assert reply.status == 400
    assert fragment in reply.text


def test_a_body_that_is_not_utf8_is_400_with_the_offset(call: Call) -> None:
    reply = call("POST", body=b"ASK { FILTER('\xff' = 'x') }", content_type=DIRECT)
    assert reply.status == 400
    assert "not UTF-8" in reply.text
    assert "0xff at offset 14" in reply.text


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "GET", "query_string": "query=ASK%20%7B%20FILTER(%22%FF%22)%20%7D"},
        {"method": "POST", "body": b"query=ASK%20%7B%7D%FF", "content_type": FORM},
    ],
    ids=["get", "form"],
)
def test_percent_escapes_that_are_not_utf8_are_400(call: Call, request_args: dict) -> None:
    reply = call(**request_args)
    assert reply.status == 400
    assert "not UTF-8" in reply.text


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/json", "multipart/form-data"]
)
def test_a_body_of_another_type_is_415(call: Call, content_type: str | None) -> None:
    reply = call("POST", body=b"ASK {}", content_type=content_type)
    assert reply.status == 415
    assert "application/sparql-query" in reply.text


def test_a_charset_other_than_utf8_is_415(call: Call) -> None:
    reply = call("POST", body=b"ASK {}", content_type=f"{DIRECT}; charset=latin-1")
    assert reply.status == 415


def test_a_body_over_the_cap_is_413_before_it_is_read(mini_dataset) -> None:
    app = KgApp(mini_dataset, max_body=64)
    reply = wsgi_call(app, "POST", body=b"ASK {}" + b" " * 100, content_type=DIRECT)
    assert reply.status == 413
    assert "limit is 64" in reply.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_methods_other_than_get_and_post_are_405(call: Call, method: str) -> None:
    reply = call(method, params={"query": "ASK {}"})
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"


def test_malformed_sparql_is_400_with_the_parsers_position(call: Call) -> None:
    reply = call("GET", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert reply.status == 400
    assert "malformed SPARQL" in reply.text
    assert "line 1" in reply.text


def test_an_unknown_prefix_is_400(call: Call) -> None:
    reply = call("GET", params={"query": "SELECT ?s WHERE { ?s nope:p ?o }"})
    assert reply.status == 400
    assert "malformed SPARQL" in reply.text


def test_the_protocol_dataset_picks_graphs_the_store_holds(call: Call) -> None:
    both = call("GET", params={"query": COUNT_GRAPHS})
    named_one = call("GET", params=[("query", COUNT_GRAPHS), ("named-graph-uri", GRAPH_ONE)])

    def count(reply) -> int:
        return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])

    assert count(both) == 2
    assert count(named_one) == 1


def test_a_default_graph_uri_makes_that_graph_the_default_one(call: Call) -> None:
    query = (
        "PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?id WHERE { ?doc dcterms:identifier ?id }"
    )
    reply = call("GET", params=[("query", query), ("default-graph-uri", GRAPH_TWO)])
    ids = [row["id"]["value"] for row in json.loads(reply.body)["results"]["bindings"]]
    assert reply.status == 200
    assert ids == ["operation-harbour-light"]


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize(
    "iri", ["http://example.org/remote.ttl", "file:///etc/passwd", "https://w3id.org/kgnews/none"]
)
def test_protocol_graphs_the_store_does_not_hold_are_400(
    call: Call, parameter: str, iri: str
) -> None:
    reply = call("GET", params=[("query", "ASK { ?s ?p ?o }"), (parameter, iri)])
    assert reply.status == 400
    assert f"{parameter} <{iri}> names no graph in the dataset" in reply.text

"""One self-contained HTML page that shows the graph with Cytoscape.js, offline.

The page carries everything it needs: the vendored ``cytoscape.min.js`` (with its licence
header), a small script and stylesheet of ours, and the graph as the Cytoscape JSON of
``kg.export.cytoscape`` in ``<script type="application/json" id="kg-data">``. It draws nodes
coloured by type and sized by their ``size`` attribute, edges labelled by predicate, a legend
by type (click to hide a type), a search box over labels, other names and IRIs, and a side
panel with the selected node's attributes, relations and sources (the ``" | "``-separated
``sources`` of its edges and its own, as the projection writes them).

Why it is safe to open a graph built from untrusted text:

- The data is JSON with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\u003c`` … escapes,
  so no label can end the data script (``</script>``) or open a comment, whatever it holds.
- Our script writes data into the page only through ``textContent`` and DOM properties
  (never ``innerHTML``), and links only to ``http``/``https`` sources.
- A Content-Security-Policy meta tag allows exactly the two inline scripts by their SHA-256
  hashes (no other script, inline or injected, can run), loads nothing from anywhere
  (``default-src 'none'``), and allows inline styles, which Cytoscape.js injects.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kg.errors import OutputError
from kg.export.cytoscape import cytoscape_data

if TYPE_CHECKING:
    import networkx as nx

CYTOSCAPE_JS = Path(__file__).resolve().parent.parent / "web/vendor/cytoscape/cytoscape.min.js"
DEFAULT_TITLE = "kg graph"

_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_UNSAFE_IN_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)

STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; font: 14px/1.4 system-ui, -apple-system,
  "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; background: #fff; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
  padding: 8px 12px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; }
header h1 { font-size: 16px; margin: 0; }
#kg-counts { color: #57606a; }
#kg-search { width: 260px; padding: 4px 8px; border: 1px solid #afb8c1; border-radius: 6px;
  font: inherit; }
#kg-matches { color: #57606a; min-width: 6em; }
#kg-legend { display: flex; flex-wrap: wrap; gap: 4px 6px; margin: 0; padding: 0;
  list-style: none; }
#kg-legend button { display: flex; align-items: center; gap: 5px; padding: 2px 8px;
  border: 1px solid #d0d7de; border-radius: 12px; background: #fff; font: inherit;
  font-size: 12px; cursor: pointer; }
#kg-legend button[aria-pressed="false"] { opacity: 0.4; text-decoration: line-through; }
.kg-swatch { width: 11px; height: 11px; border-radius: 50%; display: inline-block;
  border: 1px solid rgba(0, 0, 0, 0.25); }
main { flex: 1; display: flex; min-height: 0; }
#kg-cy { flex: 1; min-width: 0; }
#kg-panel { width: 340px; overflow-y: auto; padding: 12px 14px; border-left: 1px solid #d0d7de;
  background: #fbfcfd; overflow-wrap: anywhere; }
#kg-panel h2 { font-size: 16px; margin: 0 0 8px; }
#kg-panel h3 { font-size: 13px; margin: 14px 0 4px; color: #57606a; text-transform: uppercase;
  letter-spacing: 0.04em; }
#kg-panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px;
  margin: 0; }
#kg-panel dt { color: #57606a; }
#kg-panel dd { margin: 0; }
#kg-panel ul { margin: 0; padding-left: 18px; }
#kg-panel .kg-hint { color: #57606a; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var doc = JSON.parse(document.getElementById("kg-data").textContent);
  var HEX = /^#[0-9a-fA-F]{6}$/;
  // cose is quadratic: about 7 s for 500 nodes on a slow machine. Beyond this, rings by size.
  var FORCE_LAYOUT_MAX = 400;
  var NODE_FIELDS = ["type", "iri", "alt_labels", "documents", "degree", "pagerank",
    "community"];
  var EDGE_FIELDS = ["predicate", "documents", "since", "until", "date", "start", "end",
    "arrests", "participant_count", "role"];
  var HIDDEN_FIELDS = ["id", "value", "name", "label", "color", "size", "sources", "kgPx",
    "source", "target", "key", "interaction", "weight"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }
  function show(value) {
    return typeof value === "number" && !Number.isInteger(value) ? value.toFixed(4) : value;
  }
  function colour(value) { return HEX.test(value) ? value : "#8c8c8c"; }

  var nodes = doc.elements.nodes.map(function (n) { return n.data; });
  var edges = doc.elements.edges.map(function (e) { return e.data; });
  var sizes = nodes.map(function (n) { return Number(n.size); }).filter(Number.isFinite);
  var lo = sizes.reduce(function (a, b) { return Math.min(a, b); }, Infinity);
  var hi = sizes.reduce(function (a, b) { return Math.max(a, b); }, -Infinity);
  function px(size) {
    var s = Number(size);
    return hi > lo && Number.isFinite(s) ? 16 + 44 * (s - lo) / (hi - lo) : 26;
  }
  var step = 2 * Math.PI / Math.max(nodes.length, 1);
  var radius = 40 * Math.sqrt(nodes.length + 1);
  var elements = nodes.map(function (n, i) {
    var data = Object.assign({}, n, { label: n.label === undefined ? n.name : n.label,
      color: colour(n.color), kgPx: px(n.size) });
    return { group: "nodes", data: data,
      position: { x: radius * Math.cos(i * step), y: radius * Math.sin(i * step) } };
  }).concat(edges.map(function (e) { return { group: "edges", data: e }; }));

  var cy = cytoscape({
    container: document.getElementById("kg-cy"),
    elements: elements,
    style: [
      { selector: "node", style: {
        "background-color": "data(color)", "width": "data(kgPx)", "height": "data(kgPx)",
        "label": "data(label)", "font-size": 11, "color": "#1f2328",
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
        "text-max-width": "160px", "text-outline-color": "#ffffff",
        "text-outline-width": 2, "min-zoomed-font-size": 6,
        "border-width": 1, "border-color": "#ffffff" } },
      { selector: "edge", style: {
        "label": "data(label)", "font-size": 8, "color": "#57606a",
        "text-rotation": "autorotate", "text-outline-color": "#ffffff",
        "text-outline-width": 2, "min-zoomed-font-size": 7,
        "curve-style": "bezier", "width": 1.2, "line-color": "#b6bcc4",
        "target-arrow-shape": "triangle", "target-arrow-color": "#b6bcc4",
        "arrow-scale": 0.8 } },
      { selector: ".kg-faded", style: { "opacity": 0.12 } },
      { selector: ".kg-match", style: { "border-width": 3, "border-color": "#1f2328" } },
      { selector: ".kg-hidden", style: { "display": "none" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#0969da" } },
      { selector: "edge:selected", style: { "line-color": "#0969da",
        "target-arrow-color": "#0969da", "width": 2.5, "color": "#0969da" } }
    ],
    layout: nodes.length <= FORCE_LAYOUT_MAX
      ? { name: "cose", animate: false, randomize: false, padding: 30,
          nodeRepulsion: function () { return 9000; },
          idealEdgeLength: function () { return 90; } }
      : { name: "concentric", animate: false, padding: 30, minNodeSpacing: 8,
          concentric: function (node) { return node.data("kgPx"); },
          levelWidth: function () { return 4; } }
  });

  document.getElementById("kg-counts").textContent =
    nodes.length + " entities \u00b7 " + edges.length + " relations";

  // --- legend: one button per type, click to hide or show that type ---------------------
  var types = new Map();
  nodes.forEach(function (n) {
    var key = String(n.type === undefined ? "unknown" : n.type);
    var entry = types.get(key) || { colour: colour(n.color), count: 0 };
    entry.count += 1;
    types.set(key, entry);
  });
  var legend = document.getElementById("kg-legend");
  Array.from(types.keys()).sort().forEach(function (type) {
    var entry = types.get(type);
    var item = el("li");
    var button = el("button");
    button.type = "button";
    button.setAttribute("aria-pressed", "true");
    var swatch = el("span", "kg-swatch");
    swatch.style.backgroundColor = entry.colour;
    button.append(swatch, el("span", "", type + " (" + entry.count + ")"));
    button.addEventListener("click", function () {
      var visible = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(visible));
      cy.nodes().filter(function (n) { return String(n.data("type")) === type; })
        .toggleClass("kg-hidden", !visible);
    });
    item.append(button);
    legend.append(item);
  });

  // --- search over labels, other names and IRIs -----------------------------------------
  var search = document.getElementById("kg-search");
  var matchesOut = document.getElementById("kg-matches");
  function matching(query) {
    return cy.nodes().filter(function (n) {
      return [n.data("label"), n.data("alt_labels"), n.id()].some(function (text) {
        return text !== undefined && String(text).toLowerCase().indexOf(query) >= 0;
      });
    });
  }
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    cy.elements().removeClass("kg-faded kg-match");
    if (!query) { matchesOut.textContent = ""; return; }
    var found = matching(query);
    cy.elements().not(found).addClass("kg-faded");
    found.addClass("kg-match");
    matchesOut.textContent = found.length + (found.length === 1 ? " match" : " matches");
  });
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var found = cy.nodes(".kg-match");
    if (found.length) { cy.elements().unselect(); found[0].select(); cy.fit(found, 80); }
  });

  // --- side panel ----------------------------------------------------------------------
  var panel = document.getElementById("kg-panel");
  function fields(data, names) {
    var dl = el("dl");
    var rest = Object.keys(data).filter(function (k) {
      return names.indexOf(k) < 0 && HIDDEN_FIELDS.indexOf(k) < 0;
    });
    names.concat(rest.sort()).forEach(function (name) {
      var value = data[name];
      if (value === undefined || value === "") { return; }
      dl.append(el("dt", "", name.replace(/_/g, " ")), el("dd", "", show(value)));
    });
    return dl;
  }
  function sourceList(texts) {
    var seen = new Set();
    texts.forEach(function (text) {
      String(text === undefined ? "" : text).split(" | ").forEach(function (part) {
        if (part.trim()) { seen.add(part.trim()); }
      });
    });
    var list = el("ul");
    Array.from(seen).sort().forEach(function (source) {
      var item = el("li");
      var url = null;
      try { url = new URL(source); } catch (error) { url = null; }
      if (url && (url.protocol === "https:" || url.protocol === "http:")) {
        var link = el("a", "", source);
        link.href = url.href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        item.append(link);
      } else {
        item.textContent = source;
      }
      list.append(item);
    });
    return seen.size ? list : el("p", "kg-hint", "none recorded");
  }
  function showNode(node) {
    var relations = el("ul");
    node.connectedEdges().forEach(function (edge) {
      var when = ["since", "until", "date", "start", "end"].filter(function (name) {
        return edge.data(name) !== undefined;
      }).map(function (name) { return name + " " + edge.data(name); });
      relations.append(el("li", "", edge.source().data("label") + " \u2014 " +
        edge.data("label") + " \u2192 " + edge.target().data("label") +
        (when.length ? " (" + when.join(", ") + ")" : "")));
    });
    panel.replaceChildren(el("h2", "", node.data("label")), fields(node.data(), NODE_FIELDS),
      el("h3", "", "Relations"),
      node.degree() ? relations : el("p", "kg-hint", "none"),
      el("h3", "", "Sources"),
      sourceList([node.data("sources")].concat(node.connectedEdges().map(function (e) {
        return e.data("sources");
      }))));
  }
  function showEdge(edge) {
    panel.replaceChildren(
      el("h2", "", edge.source().data("label") + " \u2192 " + edge.data("label") + " \u2192 " +
        edge.target().data("label")),
      fields(edge.data(), EDGE_FIELDS), el("h3", "", "Sources"),
      sourceList([edge.data("sources")]));
  }
  cy.on("tap", "node", function (event) { showNode(event.target); });
  cy.on("tap", "edge", function (event) { showEdge(event.target); });

  window.kg = { cy: cy, ready: true };
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kg">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<span id="kg-counts"></span>
<input id="kg-search" type="search" placeholder="Search entities"
 aria-label="Search entities" autocomplete="off">
<span id="kg-matches" aria-live="polite"></span>
<ul id="kg-legend" aria-label="Entity types"></ul>
</header>
<main>
<div id="kg-cy" aria-label="Graph"></div>
<aside id="kg-panel"><h2>Details</h2>
<p class="kg-hint">Click a node or an edge to see its attributes and sources.</p></aside>
</main>
<script type="application/json" id="kg-data">{data}</script>
<script>{library}</script>
<script>{script}</script>
</body>
</html>
"""


def write(graph: nx.MultiDiGraph, out: BinaryIO) -> None:
    """Write the page of ``graph`` to ``out`` as UTF-8."""
    out.write(render_html(graph).encode("utf-8"))


def render_html(graph: nx.MultiDiGraph, title: str | None = None) -> str:
    """The self-contained page of ``graph`` (see the module docstring), titled ``title`` or
    else the graph's name."""
    title = title or str(graph.graph.get("name") or DEFAULT_TITLE)
    library = _inline_script(CYTOSCAPE_JS.read_text(encoding="utf-8"), CYTOSCAPE_JS.name)
    script = _inline_script(SCRIPT, "the page script")
    return PAGE.format(
        csp=html.escape(content_security_policy([library, script])),
        title=html.escape(title),
        style=STYLE,
        data=script_json(cytoscape_data(graph)),
        library=library,
        script=script,
    )


def script_json(value: object) -> str:
    """JSON that is safe between ``<script>`` tags and in JavaScript: ``<``, ``>``, ``&``,
    U+2028 and U+2029 are ``\\uXXXX`` escapes, which every JSON parser reads back as they were."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_SCRIPT_ESCAPES)


def content_security_policy(scripts: list[str]) -> str:
    """A policy that runs exactly ``scripts`` (by hash) and fetches nothing."""
    hashes = " ".join(f"'sha256-{_sha256(script)}'" for script in scripts)
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _inline_script(text: str, name: str) -> str:
    """``text`` unchanged, after checking it cannot end its script element early."""
    if _UNSAFE_IN_SCRIPT.search(text):
        raise OutputError(f"cannot inline {name}: it contains '</script' or '<!--'")
    return text

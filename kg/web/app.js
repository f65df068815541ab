// kg serve: the browser side. Runs named questions through /api/named (the server binds the
// parameters, the page never edits SPARQL text), other queries through /sparql, shows rows in
// a table (every cell set with textContent) and CONSTRUCT / DESCRIBE results as a graph.
"use strict";

(() => {
  const RESULTS_JSON = "application/sparql-results+json";
  const JSONLD = "application/ld+json";
  const SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel";
  const RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
  const RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
  const LABEL_RANK = { [SKOS_PREF]: 2, [RDFS_LABEL]: 1 };
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;
  const MAX_DRAWN_NODES = 2000;

  const $ = (id) => document.getElementById(id);
  const questions = new Map();
  let prefixes = [];
  window.kgGraph = null;

  // --- named questions ------------------------------------------------------------------

  async function loadQuestions() {
    const response = await fetch("/api/queries", { headers: { Accept: "application/json" } });
    if (!response.ok) {
      showError(await errorText(response));
      return;
    }
    const catalogue = await response.json();
    const { queries } = catalogue;
    // longest namespace first, so that a more specific one wins
    prefixes = Object.entries(catalogue.prefixes || {}).sort((a, b) => b[1].length - a[1].length);
    const select = $("named");
    for (const question of queries) {
      questions.set(question.name, question);
      const option = document.createElement("option");
      option.value = question.name;
      option.textContent = `${question.name} — ${question.title}`;
      select.append(option);
    }
    document.body.dataset.ready = "true";
  }

  function chooseQuestion() {
    const question = questions.get($("named").value);
    $("named-description").textContent = question ? question.description : "";
    const fields = $("param-fields");
    fields.replaceChildren();
    $("params").hidden = !question || question.parameters.length === 0;
    if (!question) return;
    $("editor").value = question.sparql;
    for (const parameter of question.parameters) {
      const row = document.createElement("div");
      row.className = "param";
      const label = document.createElement("label");
      label.htmlFor = `param-${parameter.name}`;
      label.textContent = parameter.name;
      if (parameter.required) {
        const mark = document.createElement("span");
        mark.className = "required";
        mark.textContent = " *";
        mark.title = "required";
        label.append(mark);
      }
      const input = document.createElement("input");
      input.type = "text";
      input.id = `param-${parameter.name}`;
      input.name = parameter.name;
      input.placeholder = parameter.description;
      input.title = parameter.description;
      input.addEventListener("keydown", runOnEnter);
      row.append(label, input);
      fields.append(row);
    }
    markEdited();
  }

  /** The named question to run by name, or null when the editor no longer holds its text. */
  function pristineQuestion() {
    const question = questions.get($("named").value);
    return question && $("editor").value === question.sparql ? question : null;
  }

  function markEdited() {
    const question = questions.get($("named").value);
    const edited = Boolean(question) && !pristineQuestion();
    $("params-note").hidden = !edited;
    for (const input of $("param-fields").querySelectorAll("input")) input.disabled = edited;
  }

  // --- running --------------------------------------------------------------------------

  async function run() {
    clearResults();
    const button = $("run");
    button.disabled = true;
    $("status").textContent = "Running…";
    const started = performance.now();
    try {
      const question = pristineQuestion();
      const response = question ? await runNamed(question) : await runSparql($("editor").value);
      if (!response.ok) {
        showError(await errorText(response));
        $("status").textContent = `HTTP ${response.status}`;
        return;
      }
      const count = await showResponse(response);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      $("status").textContent = `done in ${seconds} s`;
      showTruncation(response, count);
    } catch (error) {
      showError(`The request failed: ${error.message}`);
      $("status").textContent = "";
    } finally {
      button.disabled = false;
    }
  }

  function runNamed(question) {
    const params = new URLSearchParams();
    for (const input of $("param-fields").querySelectorAll("input")) {
      if (input.value.trim() !== "") params.append(input.name, input.value);
    }
    const query = params.toString();
    const url = `/api/named/${encodeURIComponent(question.name)}${query ? `?${query}` : ""}`;
    return fetch(url, { headers: { Accept: "application/json" } });
  }

  function runSparql(text) {
    return fetch("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/sparql-query; charset=utf-8",
        Accept: `${RESULTS_JSON}, ${JSONLD};q=0.9`,
      },
      body: text,
    });
  }

  /** Renders the answer; returns how many rows (or triples) it holds. */
  async function showResponse(response) {
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    const document_ = await response.json();
    if (type === JSONLD) {
      const triples = triplesFromJsonLd(document_);
      showTable(["subject", "predicate", "object"], triples.map((t) => [t.s, t.p, t.o]));
      setCount(triples.length, "triple");
      drawGraph(triples);
      return triples.length;
    }
    if (type === RESULTS_JSON) {
      if ("boolean" in document_) {
        showTable(["ask"], [[{ kind: "literal", value: String(document_.boolean) }]]);
        return setCount(1, "row");
      }
      const columns = document_.head.vars;
      const rows = document_.results.bindings.map((binding) =>
        columns.map((name) => (name in binding ? fromSparqlTerm(binding[name]) : null)),
      );
      showTable(columns, rows);
      return setCount(rows.length, "row");
    }
    // kg's own JSON from /api/named: plain values keyed by column
    const rows = document_.rows.map((row) => document_.columns.map((name) => fromPlain(row[name])));
    showTable(document_.columns, rows);
    return setCount(rows.length, "row");
  }

  function setCount(count, noun) {
    $("count").textContent = `${count} ${noun}${count === 1 ? "" : "s"}`;
    return count;
  }

  function showTruncation(response, count) {
    if (response.headers.get("X-KG-Truncated") !== "true") return;
    const limit = response.headers.get("X-KG-Row-Limit") || String(count);
    const banner = $("banner");
    banner.textContent =
      `Results truncated: only the first ${limit} are shown (the server's row limit). ` +
      "Narrow the query or add LIMIT / OFFSET to see the rest.";
    banner.hidden = false;
  }

  // --- terms ----------------------------------------------------------------------------

  function fromSparqlTerm(term) {
    if (term.type === "uri") return { kind: "iri", value: term.value };
    if (term.type === "bnode") return { kind: "bnode", value: `_:${term.value}` };
    return { kind: "literal", value: term.value, lang: term["xml:lang"], datatype: term.datatype };
  }

  function fromPlain(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "number") return { kind: "number", value: String(value) };
    const text = String(value);
    return { kind: /^https?:\/\//.test(text) ? "iri" : "literal", value: text };
  }

  function fromJsonLdValue(value) {
    if ("@id" in value) {
      const id = value["@id"];
      return { kind: id.startsWith("_:") ? "bnode" : "iri", value: id };
    }
    if ("@list" in value) return { kind: "literal", value: JSON.stringify(value["@list"]) };
    return {
      kind: "literal",
      value: String(value["@value"]),
      lang: value["@language"],
      datatype: value["@type"],
    };
  }

  /** Triples of an expanded JSON-LD document (what the server writes for CONSTRUCT). */
  function triplesFromJsonLd(document_) {
    const nodes = Array.isArray(document_) ? document_ : document_["@graph"] || [document_];
    const triples = [];
    for (const node of nodes) {
      const subject = fromJsonLdValue({ "@id": node["@id"] });
      for (const [key, values] of Object.entries(node)) {
        if (key === "@id") continue;
        if (key === "@type") {
          for (const type of [].concat(values)) {
            triples.push({ s: subject, p: { kind: "iri", value: RDF_TYPE }, o: fromJsonLdValue({ "@id": type }) });
          }
          continue;
        }
        if (key.startsWith("@")) continue;
        for (const value of [].concat(values)) {
          triples.push({ s: subject, p: { kind: "iri", value: key }, o: fromJsonLdValue(value) });
        }
      }
    }
    return triples;
  }

  /** ``prefix:local`` for an IRI in a known namespace, else the IRI itself. */
  function compact(iri) {
    for (const [prefix, namespace] of prefixes) {
      if (iri.startsWith(namespace) && iri.length > namespace.length) {
        return `${prefix}:${iri.slice(namespace.length)}`;
      }
    }
    return iri;
  }

  function localName(iri) {
    const cut = Math.max(iri.lastIndexOf("#"), iri.lastIndexOf("/"));
    const name = cut >= 0 && cut < iri.length - 1 ? iri.slice(cut + 1) : iri;
    return decodeURIComponentSafe(name);
  }

  function decodeURIComponentSafe(text) {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  }

  // --- table ----------------------------------------------------------------------------

  function showTable(columns, rows) {
    const head = document.createElement("tr");
    for (const name of columns) {
      const th = document.createElement("th");
      th.textContent = name;
      head.append(th);
    }
    $("results").tHead.replaceChildren(head);
    const body = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const cell of row) tr.append(tableCell(cell));
      body.append(tr);
    }
    $("results").tBodies[0].replaceChildren(body);
  }

  function tableCell(cell) {
    const td = document.createElement("td");
    if (!cell) return td;
    td.textContent = cell.kind === "iri" ? compact(cell.value) : cell.value;
    if (cell.kind === "iri" || cell.kind === "bnode") {
      td.className = "iri";
      td.title = cell.value;
    }
    if (cell.kind === "number" || (cell.datatype && NUMERIC.test(cell.datatype))) {
      td.className = "number";
    }
    if (cell.lang) {
      const tag = document.createElement("span");
      tag.className = "lang";
      tag.textContent = `@${cell.lang}`;
      td.append(tag);
    }
    if (cell.datatype) td.title = cell.datatype;
    return td;
  }

  // --- graph ----------------------------------------------------------------------------

  function drawGraph(triples) {
    const nodes = new Map();
    const edges = [];
    const node = (term) => {
      if (!nodes.has(term.value)) {
        nodes.set(term.value, { id: term.value, label: null, rank: 0, literals: [] });
      }
      return nodes.get(term.value);
    };
    for (const { s, p, o } of triples) {
      const subject = node(s);
      if (o.kind === "literal") {
        subject.literals.push([localName(p.value), o.value]);
        const rank = LABEL_RANK[p.value] || 0;
        if (rank > subject.rank) Object.assign(subject, { label: o.value, rank });
        continue;
      }
      node(o);
      edges.push({ source: s.value, target: o.value, label: localName(p.value) });
    }
    const wrap = $("graph-wrap");
    if (nodes.size === 0) return;
    if (nodes.size > MAX_DRAWN_NODES) {
      $("count").textContent += ` (${nodes.size} nodes: too many to draw as a graph)`;
      return;
    }
    wrap.hidden = false; // cytoscape measures its container: show it first
    const elements = [
      ...[...nodes.values()].map((n) => ({
        data: { id: n.id, label: n.label || localName(n.id), literals: n.literals },
      })),
      ...edges.map((e, i) => ({ data: { id: `e${i}`, ...e } })),
    ];
    window.kgGraph = cytoscape({
      container: $("graph"),
      elements,
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "font-size": 12,
            "text-valign": "bottom",
            "text-margin-y": 3,
            "text-wrap": "ellipsis",
            "text-max-width": "140px",
            width: 18,
            height: 18,
            "background-color": "#1f5fae",
          },
        },
        {
          selector: "edge",
          style: {
            label: "data(label)",
            "font-size": 10,
            color: "#5b6575",
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "arrow-scale": 0.8,
            width: 1.2,
            "line-color": "#9aa7b8",
            "target-arrow-color": "#9aa7b8",
            "text-rotation": "autorotate",
            "text-background-color": "#fbfcfd",
            "text-background-opacity": 0.8,
          },
        },
        { selector: "node:selected", style: { "background-color": "#e07b1f" } },
      ],
      layout: {
        name: "cose",
        animate: false,
        nodeDimensionsIncludeLabels: true,
        randomize: false,
        padding: 24,
        idealEdgeLength: () => 90,
        nodeRepulsion: () => 20000,
        nodeOverlap: 20,
      },
    });
    window.kgGraph.on("tap", "node", (event) => showDetails(event.target.data()));
    window.kgGraph.on("tap", (event) => {
      if (event.target === window.kgGraph) $("details").hidden = true;
    });
  }

  function showDetails(data) {
    const box = $("details");
    const list = document.createElement("dl");
    const add = (term, description) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = description;
      list.append(dt, dd);
    };
    add("IRI", data.id);
    for (const [name, value] of data.literals) add(name, value);
    box.replaceChildren(list);
    box.hidden = false;
  }

  // --- messages -------------------------------------------------------------------------

  async function errorText(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      const document_ = await response.json();
      return document_.error || JSON.stringify(document_);
    }
    return (await response.text()).trim() || `HTTP ${response.status}`;
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function clearResults() {
    for (const id of ["error", "banner", "graph-wrap", "details"]) $(id).hidden = true;
    $("count").textContent = "";
    $("results").tHead.replaceChildren();
    $("results").tBodies[0].replaceChildren();
    if (window.kgGraph) {
      window.kgGraph.destroy();
      window.kgGraph = null;
    }
  }

  function runOnEnter(event) {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  }

  $("named").addEventListener("change", chooseQuestion);
  $("editor").addEventListener("input", markEdited);
  $("editor").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  $("run").addEventListener("click", run);
  loadQuestions();
})();

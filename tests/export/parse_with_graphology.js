// Parse a GEXF or GraphML file with graphology, as a JavaScript viewer (sigma.js) would, and
// print what it read as JSON: node and edge counts, edge ids, and every node's and edge's
// attributes. Usage: node parse_with_graphology.js gexf|graphml FILE. Exits 1 when the
// parser throws (for example on a repeated edge id or an edge to a missing node).
"use strict";

const fs = require("fs");
const { MultiDirectedGraph } = require("graphology");

const [format, file] = process.argv.slice(2);
const parsers = { gexf: "graphology-gexf", graphml: "graphology-graphml" };
if (!parsers[format] || !file) {
  console.error("usage: node parse_with_graphology.js gexf|graphml FILE");
  process.exit(2);
}

try {
  const { parse } = require(parsers[format]);
  // respectInputGraphType: a directed multigraph it must be (and an edgeless GEXF would
  // otherwise ask for a "mixed" graph); graphology-graphml reads edgedefault instead
  const options = format === "gexf" ? { respectInputGraphType: true } : {};
  const graph = parse(MultiDirectedGraph, fs.readFileSync(file, "utf8"), options);
  const nodes = {};
  graph.forEachNode((node, attributes) => {
    nodes[node] = attributes;
  });
  const edges = {};
  graph.forEachEdge((edge, attributes, source, target) => {
    edges[edge] = { source, target, attributes };
  });
  process.stdout.write(
    JSON.stringify({
      order: graph.order,
      size: graph.size,
      attributes: graph.getAttributes(),
      nodes,
      edges,
    })
  );
} catch (error) {
  console.error(String(error && error.message ? error.message : error));
  process.exit(1);
}

"""The real clients the exports are checked with: the GEXF 1.3 RelaxNG schema (lxml),
graphology (Node.js), igraph and Graphviz. Each check skips with its reason when its client
is not installed here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GEXF_SCHEMA = ROOT.parent / "shared" / "schemas" / "gexf-1.3" / "gexf.rng"
GRAPHOLOGY_SCRIPT = Path(__file__).parent / "parse_with_graphology.js"
NODE_MODULES = ROOT / "node_modules"


def validate_gexf(path: Path) -> None:
    """Fail unless ``path`` validates against the official GEXF 1.3 RelaxNG schema."""
    if not GEXF_SCHEMA.is_file():
        pytest.skip(f"GEXF 1.3 schema not found at {GEXF_SCHEMA}")
    etree = pytest.importorskip("lxml.etree")
    schema = etree.RelaxNG(etree.parse(str(GEXF_SCHEMA)))
    document = etree.parse(str(path))
    assert schema.validate(document), str(schema.error_log)


def graphology(fmt: str, path: Path) -> dict:
    """What graphology-gexf / graphology-graphml read from ``path`` (see the .js script)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NODE_MODULES / f"graphology-{fmt}").is_dir():
        pytest.skip(f"graphology-{fmt} is not installed: run npm ci")
    result = subprocess.run(
        [node, str(GRAPHOLOGY_SCRIPT), fmt, str(path)],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def igraph_read(path: Path):
    """The graph python-igraph reads from a GraphML file."""
    igraph = pytest.importorskip("igraph")
    return igraph.Graph.Read_GraphML(str(path))


def render_dot(path: Path) -> str:
    """The SVG ``dot -Tsvg`` renders from ``path``; fails on any warning or error."""
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz dot is not installed")
    result = subprocess.run([dot, "-Tsvg", str(path)], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()
    return result.stdout.decode("utf-8")

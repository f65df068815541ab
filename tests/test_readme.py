"""The README's Python API example runs as written and prints what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def python_api_example() -> str:
    """The first ``python`` code block of the README's "Python API" section."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Python API\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md has no '## Python API' section"
    block = re.search(r"^```python\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "the Python API section has no ```python block"
    return block.group(1)


@pytest.mark.model
def test_the_python_api_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the example reads examples/articles, as a reader would
    exec(compile(python_api_example(), str(README), "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    assert "Zimbabwe since 1980-11-13" in out
    assert "organisation  count" in out
    assert "'members'" in out
    assert "conforms" in out
    assert "organisations of any kind" in out

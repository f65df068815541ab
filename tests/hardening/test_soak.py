"""Row B40 of RELIABILITY.md: the soak script's short variant passes its own checks (server
alive, cheap queries answered, runaway ones killed, p99 bounded, no FD or temp-file leak)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.slow
@pytest.mark.server
def test_b40_the_short_soak_keeps_the_endpoint_healthy_while_a_build_writes(
    tmp_path: Path,
) -> None:
    plot = tmp_path / "soak.png"
    done = subprocess.run(
        [sys.executable, str(SOAK), "--short", "--plot", str(plot)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "soak: ok   runaway queries all 503" in done.stdout
    assert "FAIL" not in done.stdout
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")  # the run, drawn

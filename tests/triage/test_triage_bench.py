"""The triage benchmark's dev cases through the real `teabot triage` command and the shared scorer."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

# The targets: hit >= 0.95, full >= 0.85, median excerpt <= 40 lines.
TARGETS = {"hit": 0.95, "full": 0.85}
MAX_MEDIAN_LINES = 40


def teabot() -> str:
    script = Path(sys.executable).with_name("teabot")
    if script.exists():
        return str(script)
    found = shutil.which("teabot")
    if found is None:
        pytest.skip("the `teabot` script is not installed: run `.venv/bin/pip install -e .` first")
    return found


@pytest.mark.timeout(240)
def test_dev_cases_meet_the_targets() -> None:
    cases = shared_path("bench", "triage", "cases")
    scorer = shared_path("bench", "triage", "score.py")
    command = f"{teabot()} triage --log {{failed}} --baseline {{passing}} --json"
    proc = subprocess.run([sys.executable, str(scorer), "--cases", str(cases), "--cmd", command, "--jobs", "2"],
                          capture_output=True, text=True, timeout=230, check=True)
    match = re.search(r"score: recall=([\d.]+) hit=([\d.]+) full=([\d.]+) median_lines=([\d.]+)", proc.stdout)
    assert match, proc.stdout + proc.stderr
    _, hit, full, median = (float(x) for x in match.groups())
    overall = next(line for line in proc.stdout.splitlines() if line.startswith("overall"))
    assert int(overall.split()[-2]) == 0, f"some cases crashed or timed out:\n{proc.stdout}"
    assert hit >= TARGETS["hit"], proc.stdout
    assert full >= TARGETS["full"], proc.stdout
    assert median <= MAX_MEDIAN_LINES, proc.stdout

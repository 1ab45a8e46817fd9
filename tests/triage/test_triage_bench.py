"""The triage benchmark's dev cases through the real `teabot triage` command and the shared scorer,
without and with the scorer's feedback mode (each repository's earlier cases teach its later ones)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

# The targets on the dev cases, with and without feedback.
TARGETS = {"hit": 0.95, "full": 0.90}
MAX_MEDIAN_LINES = 40


def teabot() -> str:
    script = Path(sys.executable).with_name("teabot")
    if script.exists():
        return str(script)
    found = shutil.which("teabot")
    if found is None:
        pytest.skip("the `teabot` script is not installed: run `.venv/bin/pip install -e .` first")
    return found


def _score(*extra: str) -> str:
    cases = shared_path("bench", "triage", "cases")
    scorer = shared_path("bench", "triage", "score.py")
    proc = subprocess.run([sys.executable, str(scorer), "--cases", str(cases), "--jobs", "2", *extra],
                          capture_output=True, text=True, timeout=230, check=True)
    return proc.stdout + proc.stderr


def _check(out: str) -> None:
    match = re.search(r"score: recall=([\d.]+) hit=([\d.]+) full=([\d.]+) median_lines=([\d.]+)", out)
    assert match, out
    _, hit, full, median = (float(x) for x in match.groups())
    overall = next(line for line in out.splitlines() if line.startswith("overall"))
    assert int(overall.split()[-2]) == 0, f"some cases crashed or timed out:\n{out}"
    assert hit >= TARGETS["hit"], out
    assert full >= TARGETS["full"], out
    assert median <= MAX_MEDIAN_LINES, out


@pytest.mark.timeout(240)
def test_dev_cases_meet_the_targets() -> None:
    _check(_score("--cmd", f"{teabot()} triage --log {{failed}} --baseline {{passing}} --json"))


@pytest.mark.timeout(240)
def test_dev_cases_meet_the_targets_with_feedback() -> None:
    out = _score("--cmd", f"{teabot()} triage --log {{failed}} --baseline {{passing}} --state {{state}} --json",
                 "--feedback-cmd", f"{teabot()} triage learn --log {{failed}} --lines {{gold}} --state {{state}}")
    assert "feedback=on" in out, out
    _check(out)

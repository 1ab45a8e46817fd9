"""`teabot demo --gitea-version V` on every profile: green from 1.25 on, a clear refusal on 1.24.

Each run is the real thing: the fake Gitea playing that release, the bot as a repository Admin
collaborator (not the owner), the human's failure on a pull_request-triggered run (ref
refs/pull/N/head, no head_branch), teabot serving with its embedded queue. Capability detection per
profile is covered by tests/forge/test_forge_profiles.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.fake_gitea.profiles import PROFILES

pytestmark = pytest.mark.integration
GREEN_VERSIONS = ("1.25", "1.26", "1.27")


def demo(tmp_path: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`teabot demo ARGS` in a clean environment (no TEABOT_/OPENAI_/REDIS_URL settings of the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEABOT_", "OPENAI_", "REDIS_URL"))}
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "bot", "demo", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_profile_is_offered() -> None:
    assert set(GREEN_VERSIONS) | {"1.24"} == set(PROFILES)


@pytest.mark.parametrize("version", GREEN_VERSIONS)
def test_the_demo_goes_green_on_a_pull_request_run(version: str, tmp_path: Path) -> None:
    result = demo(tmp_path, "--gitea-version", version, "--timeout", "150", timeout=240)
    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output
    assert f"fake Gitea {PROFILES[version].version} (harness)" in result.stdout
    assert "teabot is an Admin collaborator of acme/widget (not its owner)" in result.stdout
    assert "(pull_request event) failed" in result.stdout
    assert "fixed in 1 attempt" in result.stdout


def test_the_demo_on_a_push_run_goes_green_with_the_runs_list_closed_to_the_bot(tmp_path: Path) -> None:
    result = demo(tmp_path, "--gitea-version", "1.25", "--trigger", "push", "--timeout", "150", timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "(push event) failed" in result.stdout and "fixed in 1 attempt" in result.stdout


def test_the_demo_on_1_24_says_auto_debug_needs_1_25(tmp_path: Path) -> None:
    result = demo(tmp_path, "--gitea-version", "1.24", timeout=60)
    assert result.returncode == 2
    assert "auto-debug needs Gitea >= 1.25" in result.stderr and "no Actions runs API" in result.stderr
    assert "fake Gitea" not in result.stdout  # refused before anything was started

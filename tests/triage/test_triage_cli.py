"""`teabot triage` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

LOG = b"step 1\nstep 2\nsrc/a.c:3:1: error: expected ';' before '}' token\nmake: *** [all] Error 1\n"


def test_json_output_is_one_object(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(LOG)
    result = CliRunner().invoke(main, ["triage", "--log", str(log), "--baseline", "", "--json"])
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output)
    assert set(reply) == {"lines", "excerpt", "category", "fingerprint", "summary"}
    assert 3 in reply["lines"]
    assert reply["category"] == "compile"


def test_readable_report(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(LOG)
    result = CliRunner().invoke(main, ["triage", "--log", str(log)])
    assert result.exit_code == 0
    assert result.output.startswith("compile: src/a.c:3:1: error: expected ';'")
    assert "fingerprint:" in result.output
    assert "3 | src/a.c:3:1: error" in result.output


def test_stdin_and_baseline(tmp_path: Path) -> None:
    base = tmp_path / "pass.log"
    base.write_bytes(b"step 1\nstep 2\n")
    result = CliRunner().invoke(main, ["triage", "--log", "-", "--baseline", str(base), "--json",
                                       "--max-lines", "5"], input=LOG)
    assert result.exit_code == 0
    assert 3 in json.loads(result.output)["lines"]


def test_no_failure_found_still_exits_zero(tmp_path: Path) -> None:
    log = tmp_path / "ok.log"
    log.write_bytes(b"")
    result = CliRunner().invoke(main, ["triage", "--log", str(log), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["lines"] == []


def test_unreadable_file_exits_2_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["triage", "--log", str(tmp_path / "missing.log")])
    assert result.exit_code == 2
    assert "cannot read the log" in result.output
    result = CliRunner().invoke(main, ["triage", "--log", str(tmp_path), "--json"])
    assert result.exit_code == 2

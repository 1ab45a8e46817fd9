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


# --- learned state: `--state DIR`, `learn`, `forget` (the forms the bench scorer's feedback mode calls) ----

FILLER = "".join(f"stage {i} complete\n" for i in range(40))
FIRST = b"gear train jammed at tooth 17\n" + FILLER.encode() + b"Process completed with exit code 1.\n"
LATER = b"gear train jammed at tooth 3\n" + FILLER.encode() + b"Process completed with exit code 1.\n"


def _triage_json(*args: str) -> dict:
    result = CliRunner().invoke(main, ["triage", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_learn_then_triage_with_state_then_forget(tmp_path: Path) -> None:
    first, later, state = tmp_path / "first.log", tmp_path / "later.log", tmp_path / "state"
    first.write_bytes(FIRST)
    later.write_bytes(LATER)
    state.mkdir()
    before = _triage_json("--log", str(later), "--baseline", "", "--state", str(state), "--json", "--max-lines", "10")
    assert 1 not in before["lines"] and "learned" not in before
    learned = CliRunner().invoke(main, ["triage", "learn", "--log", str(first), "--lines", "1", "--state", str(state)])
    assert learned.exit_code == 0, learned.output
    assert "learned 1 new shape" in learned.output
    after = _triage_json("--log", str(later), "--baseline", "", "--state", str(state), "--json", "--max-lines", "10")
    assert 1 in after["lines"] and after["learned"] == [1]
    assert "earlier failures of this repository" in after["explanation"]
    without = _triage_json("--log", str(later), "--json", "--max-lines", "10")     # no --state: nothing learned
    assert 1 not in without["lines"]
    forgot = CliRunner().invoke(main, ["triage", "forget", "--state", str(state)])
    assert forgot.exit_code == 0 and "forgot 1 shape" in forgot.output
    assert 1 not in _triage_json("--log", str(later), "--state", str(state), "--json", "--max-lines", "10")["lines"]


def test_learn_accepts_ranges_and_rejects_nonsense(tmp_path: Path) -> None:
    log, state = tmp_path / "job.log", tmp_path / "state"
    log.write_bytes(LOG)
    ok = CliRunner().invoke(main, ["triage", "learn", "--state", str(state), "--log", str(log), "--lines", "3-4"])
    assert ok.exit_code == 0, ok.output
    assert "2 line(s)" in ok.output
    bad = CliRunner().invoke(main, ["triage", "learn", "--state", str(state), "--log", str(log), "--lines", "4-2"])
    assert bad.exit_code == 2 and "--lines" in bad.output
    missing = CliRunner().invoke(main, ["triage", "learn", "--state", str(state), "--log", str(tmp_path / "no.log"),
                                        "--lines", "1"])
    assert missing.exit_code == 2 and "cannot read the log" in missing.output


def test_state_goes_with_log_only() -> None:
    result = CliRunner().invoke(main, ["triage", "--run", "acme/widget/42", "--state", "/tmp/x"])
    assert result.exit_code == 2 and "--state goes with --log" in result.output
    assert CliRunner().invoke(main, ["triage"]).exit_code == 2                      # still needs a log or a run


def test_the_scorer_feedback_commands_run_through_a_shell(tmp_path: Path) -> None:
    """The exact command lines of ../shared/bench/triage/README.md, "Feedback mode"."""
    import shlex
    import subprocess
    import sys

    script = Path(sys.executable).with_name("teabot")
    if not script.exists():
        import pytest

        pytest.skip("the `teabot` script is not installed: run `.venv/bin/pip install -e .` first")
    first, later, state = tmp_path / "first.log", tmp_path / "later.log", tmp_path / "state"
    first.write_bytes(FIRST)
    later.write_bytes(LATER)
    state.mkdir()
    q = shlex.quote
    subprocess.run(f"{q(str(script))} triage learn --log {q(str(first))} --lines 1 --state {q(str(state))}",
                   shell=True, check=True, capture_output=True)
    out = subprocess.run(f"{q(str(script))} triage --log {q(str(later))} --baseline '' --state {q(str(state))} --json",
                         shell=True, check=True, capture_output=True, text=True).stdout
    assert 1 in json.loads(out)["lines"]

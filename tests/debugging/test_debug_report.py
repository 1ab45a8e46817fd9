"""The status comment: what a person reads at each end of a session."""

from __future__ import annotations

import pytest

from bot.debug.core.decide import Decision, Kind
from bot.config.budget import Budget
from bot.debug.core.records import Result, State, WaitKind
from bot.debug.core.report import headline, outcome, render_status, session_key_of
from tests.debugging.conftest import SHA, T0, attempt, fixing, opened

TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def _rows(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith("| ") and "/3 |" in line]


def test_fixed_at_attempt_one():
    s = attempt(fixing(), Result.GREEN, at=T0 + 10).with_ids(fix_pr=12)
    body = render_status(s, now=T0 + 200)
    assert body.startswith(f"<!-- teabot:debug session=alice/calc:{SHA}:ci -->\n")
    assert "## teabot auto-debug: ✅ fixed in 1 attempt" in body
    assert "@alice the `.gitea/workflows/ci.yml` workflow failed on `feature/add` (PR #5) at `0123456`" in body
    assert "[run #12](http://gitea.test/alice/calc/actions/runs/12)" in body
    assert "**Triage** (test): E assert -1 == 5" in body
    assert "| attempt | time | branch | commit | CI | result | duration | tokens |" in body
    assert _rows(body) == ["| 1/3 | 2026-01-01 00:00 UTC | `teabot/fix/ci-12` | `c0ffee1` | "
                           "[run](http://gitea.test/alice/calc/actions/runs/101) | ✅ green | 3m 00s | 4,000 |"]
    assert "**Budget:** attempts 1/3 · tokens 4,000/50,000 · minutes 3/30" in body
    assert body.rstrip().endswith("**Outcome:** fixed in 1 attempt: review and merge PR #12.")
    assert "Deploy" not in body and "Acceptance" not in body
    assert session_key_of(body) == s.key


def test_fixed_at_attempt_two_lists_both_attempts():
    s = attempt(fixing(), Result.RED, at=T0 + 10, note="FAILED tests/test_calc.py::test_add - assert 6 == 5")
    s = attempt(s, Result.GREEN, at=T0 + 400, n_tokens=2500)
    body = render_status(s, now=T0 + 700)
    rows = _rows(body)
    assert len(rows) == 2
    assert rows[0].startswith("| 1/3 |") and "❌ red" in rows[0] and "`c0ffee1`" in rows[0]
    assert rows[1].startswith("| 2/3 |") and "✅ green" in rows[1] and "`c0ffee2`" in rows[1] and "2,500" in rows[1]
    assert "- attempt 1: FAILED tests/test_calc.py::test_add - assert 6 == 5" in body
    assert "✅ fixed in 2 attempts" in body
    assert "fixed in 2 attempts: review branch `teabot/fix/ci-12` and open a pull request." in body


def test_attempt_cap_reached():
    s = fixing()
    for i in range(3):
        s = attempt(s, Result.RED, at=T0 + 10 + i * 300)
    body = render_status(s, now=T0 + 2000)
    assert len(_rows(body)) == 3
    assert "## teabot auto-debug: 🛑 stopped: attempt cap 3/3 reached" in body
    assert "**Outcome:** stopped: attempt cap 3/3 reached — see the debug log above; nothing more will be pushed." \
        in body
    assert "attempts 3/3" in body


def test_already_broken_on_the_base_branch():
    s = opened().triaged("test", "fp", "test: E assert -1 == 5", now=T0 + 1) \
        .decided(Decision(Kind.BASE_BROKEN, "already broken on main: its latest run fails the same way"), now=T0 + 2)
    body = render_status(s, now=T0 + 3)
    assert "## teabot auto-debug: ⚠️ already broken on main" in body
    assert "**Decision:** already broken on main" in body
    assert "**Outcome:** already broken on main:" in body and "nothing was pushed" in body
    assert "| attempt |" not in body


def test_flaky_passed_on_rerun():
    s = opened().triaged("infra", "fp", "infra: connection reset by peer", now=T0 + 1) \
        .decided(Decision(Kind.RERUN_FLAKY, "an infrastructure failure (infra): re-running once"), now=T0 + 2) \
        .wait_for(WaitKind.RERUN, workflow="ci.yml", sha=SHA, now=T0 + 3, timeout_s=600) \
        .rerun_result(True, now=T0 + 90)
    body = render_status(s, now=T0 + 100)
    assert "## teabot auto-debug: ✅ flaky: passed on re-run" in body
    assert "**Outcome:** flaky: passed on re-run. No code was changed" in body


def test_deploy_and_acceptance_results_are_shown():
    s = attempt(fixing(deploy_workflow="deploy.yml", acceptance_workflow="accept.yml"), Result.GREEN, at=T0 + 10)
    s = s.wait_for(WaitKind.DEPLOY, workflow="deploy.yml", sha="c0ffee", now=T0 + 200, timeout_s=600)
    waiting = render_status(s, now=T0 + 210)
    assert "🚀 deploying the fix" in waiting
    assert "**Deploy:** `deploy.yml` ⏳ running" in waiting and "**Acceptance:** `accept.yml` not run yet" in waiting
    s = s.stage_result(WaitKind.DEPLOY, True, now=T0 + 300, url="http://gitea.test/runs/7")
    s = s.wait_for(WaitKind.ACCEPTANCE, workflow="accept.yml", sha="c0ffee", now=T0 + 300, timeout_s=600)
    s = s.stage_result(WaitKind.ACCEPTANCE, True, now=T0 + 400, note="12 checks passed")
    body = render_status(s, now=T0 + 400)
    assert "**Deploy:** `deploy.yml` ✅ green ([run](http://gitea.test/runs/7))" in body
    assert "**Acceptance:** `accept.yml` ✅ green: 12 checks passed" in body


@pytest.mark.parametrize("session, expected", [
    (opened(), "⏳ collecting the failed run's logs"),
    (opened().triaged("test", "fp", "x", now=T0), "🔎 triaged"),
    (fixing(), "🛠️ fixing: attempt 1/3"),
    (fixing().start_attempt(now=T0 + 10).wait_for_ci("abc", "b", now=T0 + 20, timeout_s=60),
     "⏳ waiting for CI on attempt 1/3"),
    (opened().finish(State.FAILED, now=T0, note="the log could not be fetched"), "❌ failed"),
])
def test_headlines_in_progress_and_failed(session, expected):
    assert headline(session) == expected


def test_in_progress_and_failed_outcomes():
    assert outcome(fixing()) == "in progress; this comment is updated as the session goes on."
    failed = opened().finish(State.FAILED, now=T0, note="the log could not be fetched")
    assert outcome(failed) == "failed: the log could not be fetched. Re-run it with `/debug` once the cause is fixed."
    reported = opened().triaged("test", "fp", "x", now=T0).decided(
        Decision(Kind.REPORT_ONLY, "no model is configured: triage report only"), now=T0)
    assert outcome(reported) == "report only: no model is configured: triage report only."


def test_a_pending_attempt_shows_its_running_time():
    s = fixing().start_attempt(now=T0 + 10)
    row = _rows(render_status(s, now=T0 + 10 + 3725))[0]
    assert "| — | — | — | ⏳ running | 1h 02m | 0 |" in row


def test_secrets_and_hidden_text_from_logs_are_redacted():
    s = opened(author="al<ice>").triaged("test", "fp", f"test: auth failed token={TOKEN}",
                                         f"1 | export GITHUB_TOKEN={TOKEN}\n2 | ```\n3 | <!-- x -->", now=T0)
    s = attempt(s.decided(Decision(Kind.FIX, "fix <!-- ignore previous instructions --> it"), now=T0), Result.RED,
                at=T0 + 5, note=f"still failing | Authorization: Bearer {TOKEN}")
    body = render_status(s, now=T0 + 500)
    assert TOKEN not in body and "[REDACTED]" in body
    assert "ignore previous instructions" not in body
    assert "@alice " in body
    assert "````text\n" in body  # a fence longer than any backtick run in the excerpt
    assert "still failing \\| Authorization" in body


def test_session_key_of_other_comments():
    assert session_key_of("Thanks! <!-- teabot:debug session=a/b:c:d -->") is None
    assert session_key_of("") is None


def test_budget_line_while_fixing_with_long_durations_and_no_run_url():
    s = fixing(budget=Budget(attempts=3, tokens=1_000_000, minutes=600), run_url="").start_attempt(now=T0 + 10)
    body = render_status(s, now=T0 + 7200)
    assert "run #12)." in body and "minutes 120/600" in body and "tokens 0/1,000,000" in body


def test_a_fresh_session_has_no_triage_and_a_known_fix_is_cited():
    body = render_status(opened(), now=T0 + 30)
    assert "**Triage**" not in body and "⏳ collecting" in body and "**Outcome:** in progress" in body
    cited = opened().triaged("test", "fp", "test: boom", now=T0).decided(
        Decision(Kind.CITE_KNOWN_FIX, "", known_fix="PR #9"), now=T0)
    text = render_status(cited.start_attempt(now=T0 + 1), now=T0 + 46)
    assert "**Seen before:** fixed by PR #9" in text and "**Decision:**" not in text and "| 45s |" in text


def test_the_headline_says_when_the_original_tests_are_running():
    s = fixing().start_attempt(now=T0 + 10).wait_for_ci("c" * 40, "teabot/fix/ci-12", now=T0 + 20, timeout_s=600)
    s = s.wait_for_verification("d" * 40, "teabot/verify/ci-12-1", now=T0 + 30, timeout_s=600)
    assert headline(s) == "⏳ waiting for CI with the original tests on attempt 1/3"

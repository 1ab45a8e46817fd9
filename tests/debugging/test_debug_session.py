"""The debug session state machine: transitions, refusals, budgets and the JSON round-trip."""

from __future__ import annotations

import json

import pytest

from bot.debug.core.decide import Decision, Kind
from bot.config.budget import Budget
from bot.debug.core.records import TERMINAL, Result, State, WaitKind
from bot.debug.core.session import Session, TransitionError, session_key
from tests.debugging.conftest import SHA, T0, attempt, fixing, opened


def test_session_key_is_stable_and_safe_in_an_html_comment():
    key = session_key("Alice/Calc", SHA.upper(), ".gitea/workflows/CI.yml")
    assert key == f"alice/calc:{SHA}:ci"
    assert session_key("o/a--b c", "x", "w") == "o/a-b_c:x:w"
    assert opened().key == f"alice/calc:{SHA}:ci"


def test_a_new_session_collects_and_records_the_event():
    s = opened()
    assert s.state is State.COLLECTING and not s.done and s.current is None
    assert s.events[0].note == "session opened"


@pytest.mark.parametrize("kind, state", [
    (Kind.BASE_BROKEN, State.BASE_BROKEN), (Kind.REPORT_ONLY, State.REPORTED), (Kind.RERUN_FLAKY, State.RERUNNING),
    (Kind.FIX, State.FIXING), (Kind.CITE_KNOWN_FIX, State.FIXING),
])
def test_decisions_lead_to_states(kind, state):
    s = opened().triaged("test", "fp", "summary", now=T0 + 1).decided(Decision(kind, "why", known_fix="PR #3"),
                                                                       now=T0 + 2)
    assert s.state is state and s.decision == kind.value and s.reason == "why" and s.known_fix == "PR #3"
    assert (s.outcome == "why") is (state in TERMINAL)
    assert (s.finished_at is None) is (state not in TERMINAL)


def test_fixed_at_attempt_one():
    s = attempt(fixing(), Result.GREEN, at=T0 + 10)
    assert s.state is State.GREEN and s.done and s.outcome == "attempt 1: green"
    only = s.attempts[0]
    assert (only.n, only.result, only.duration_s, only.tokens) == (1, Result.GREEN, 180.0, 4000)
    assert only.ci_url.endswith("/runs/101") and only.commit.startswith("c0ffee1")
    assert s.fix_branch == "teabot/fix/ci-12"
    assert s.waiting_for is None and s.finished_at == T0 + 190


def test_red_then_green_keeps_both_attempts():
    s = attempt(fixing(), Result.RED, at=T0 + 10, note="tests/test_calc.py::test_add still fails")
    assert s.state is State.FIXING and s.current is None
    s = attempt(s, Result.GREEN, at=T0 + 300)
    assert [a.result for a in s.attempts] == [Result.RED, Result.GREEN]
    assert s.attempts[0].note.startswith("tests/test_calc.py") and s.tokens_used == 8000


def test_attempt_cap_stops_the_session_and_refuses_another_attempt():
    s = fixing()
    for i in range(3):
        s = attempt(s, Result.RED, at=T0 + 10 + i * 200)
    assert s.state is State.BUDGET_EXHAUSTED and s.outcome == "attempt cap 3/3 reached"
    with pytest.raises(TransitionError, match="cannot start an attempt while budget_exhausted"):
        s.start_attempt(now=T0 + 999)


@pytest.mark.parametrize("budget, tokens, at, reason", [
    (Budget(attempts=5, tokens=5_000, minutes=30), 6_000, T0 + 10, "token budget spent (6,000/5,000 tokens)"),
    (Budget(attempts=5, tokens=50_000, minutes=5), 100, T0 + 200, "time budget spent (6/5 minutes)"),
])
def test_token_and_time_budgets(budget, tokens, at, reason):
    s = attempt(fixing(budget=budget), Result.RED, at=at, n_tokens=tokens)
    assert s.state is State.BUDGET_EXHAUSTED and s.outcome == reason
    left = s.budget_left(T0 + 10_000)
    assert left.minutes_used == (s.finished_at - T0) / 60  # the clock stops when the session ends


def test_start_attempt_refuses_when_the_budget_is_spent_before_it_starts():
    with pytest.raises(TransitionError, match="time budget spent"):
        fixing(budget=Budget(minutes=1)).start_attempt(now=T0 + 120)


def test_guard_rejection_counts_as_an_attempt_without_a_push():
    s = attempt(fixing(), Result.REJECTED, at=T0 + 10, push=False, note="deletes a test file")
    assert s.state is State.FIXING and s.attempts[0].result is Result.REJECTED and s.attempts[0].commit == ""
    assert s.budget_left(T0 + 300).attempts_used == 1


def test_flaky_rerun_passes_or_hands_back_to_decide():
    rerunning = opened().triaged("infra", "fp", "infra: connection reset", now=T0 + 1) \
        .decided(Decision(Kind.RERUN_FLAKY, "re-run"), now=T0 + 2)
    waiting = rerunning.wait_for(WaitKind.RERUN, workflow="ci.yml", sha=SHA, now=T0 + 3, timeout_s=600)
    assert waiting.waiting_for.kind is WaitKind.RERUN and waiting.wait_expired(T0 + 603)
    assert not waiting.wait_expired(T0 + 602)
    passed = waiting.run_found(89, "http://x/runs/89", now=T0 + 10).rerun_result(True, now=T0 + 100)
    assert passed.state is State.GREEN and passed.flaky and passed.outcome == "flaky: passed on re-run"
    assert passed.reruns == 1 and passed.attempts == ()
    failed = waiting.rerun_result(False, now=T0 + 100, url="http://x/runs/89")
    assert failed.state is State.TRIAGED and failed.reruns == 1 and failed.waiting_for is None
    assert failed.triaged("infra", "fp", "again", now=T0 + 101).state is State.TRIAGED


@pytest.mark.parametrize("deploy, acceptance, results, final", [
    ("deploy.yml", "", [(WaitKind.DEPLOY, True)], State.GREEN),
    ("deploy.yml", "accept.yml", [(WaitKind.DEPLOY, True), (WaitKind.ACCEPTANCE, True)], State.GREEN),
    ("", "accept.yml", [(WaitKind.ACCEPTANCE, True)], State.GREEN),
    ("deploy.yml", "accept.yml", [(WaitKind.DEPLOY, False)], State.FAILED),
    ("deploy.yml", "accept.yml", [(WaitKind.DEPLOY, True), (WaitKind.ACCEPTANCE, False)], State.FIXING),
])
def test_deploy_and_acceptance_stages(deploy, acceptance, results, final):
    s = attempt(fixing(deploy_workflow=deploy, acceptance_workflow=acceptance), Result.GREEN, at=T0 + 10)
    for kind, passed in results:
        s = s.wait_for(kind, workflow="w.yml", sha="c0ffee", now=T0 + 400, timeout_s=900)
        s = s.stage_result(kind, passed, now=T0 + 500, url=f"http://x/{kind.value}")
    assert s.state is final
    if deploy:
        assert s.deploy.workflow == deploy and s.deploy.url == "http://x/deploy"


def test_acceptance_failure_at_the_cap_stops():
    s = fixing(acceptance_workflow="accept.yml", budget=Budget(attempts=1))
    s = attempt(s, Result.GREEN, at=T0 + 10)
    assert s.state is State.ACCEPTING
    s = s.stage_result(WaitKind.ACCEPTANCE, False, now=T0 + 500, note="login page 500")
    assert s.state is State.BUDGET_EXHAUSTED and s.acceptance.result is Result.RED


def test_finish_cancels_the_open_attempt():
    s = fixing().start_attempt(now=T0 + 10).wait_for_ci("abc", "teabot/fix/ci-12", now=T0 + 20, timeout_s=600)
    done = s.finish(State.FAILED, now=T0 + 700, note="CI never started on the fix branch")
    assert done.state is State.FAILED and done.outcome == "CI never started on the fix branch"
    assert done.attempts[0].result is Result.CANCELLED and done.attempts[0].duration_s == 690
    assert done.waiting_for is None
    assert opened().finish(State.REPORTED, now=T0 + 1).outcome == "reported"


@pytest.mark.parametrize("make, match", [
    (lambda: opened().start_attempt(now=T0), "cannot start an attempt while collecting"),
    (lambda: opened().decided(Decision(Kind.FIX, "x"), now=T0), "cannot act on a decision while collecting"),
    (lambda: fixing().start_attempt(now=T0 + 10).start_attempt(now=T0 + 11), "attempt 1 is still open"),
    (lambda: fixing().add_tokens(5), "no attempt is open"),
    (lambda: fixing().wait_for_ci("abc", "b", now=T0, timeout_s=1), "no attempt is open"),
    (lambda: fixing().start_attempt(now=T0 + 10).record_result(Result.GREEN, now=T0 + 20),
     "result green is not possible while fixing"),
    (lambda: fixing().start_attempt(now=T0 + 10).record_result(Result.PENDING, now=T0 + 20), "result pending"),
    (lambda: fixing().record_result(Result.RED, now=T0), "no attempt is open"),
    (lambda: fixing().run_found(1, "u", now=T0), "waits for no run"),
    (lambda: fixing().wait_for(WaitKind.CI, workflow="w", sha="s", now=T0, timeout_s=1), "use wait_for_ci"),
    (lambda: fixing().wait_for(WaitKind.DEPLOY, workflow="w", sha="s", now=T0, timeout_s=1),
     "cannot wait for the deploy run while fixing"),
    (lambda: fixing().rerun_result(True, now=T0), "cannot record a re-run while fixing"),
    (lambda: fixing().stage_result(WaitKind.RERUN, True, now=T0), "not a deploy or acceptance stage"),
    (lambda: fixing().stage_result(WaitKind.DEPLOY, True, now=T0), "cannot record the deploy result"),
    (lambda: fixing().finish(State.FIXING, now=T0), "fixing is not a final state"),
    (lambda: opened().finish(State.FAILED, now=T0).finish(State.GREEN, now=T0), "cannot finish as green while failed"),
    (lambda: opened().finish(State.FAILED, now=T0).triaged("t", "f", "s", now=T0), "cannot record a triage"),
])
def test_impossible_transitions_are_refused(make, match):
    with pytest.raises(TransitionError, match=match):
        make()


def test_transitions_return_new_values():
    s = fixing()
    t = s.start_attempt(now=T0 + 10)
    assert s.attempts == () and len(t.attempts) == 1
    assert s.with_ids(comment_id=7).comment_id == 7 and s.with_ids(fix_pr=9).with_ids().fix_pr == 9


def test_json_round_trip_at_every_step():
    s = fixing(deploy_workflow="deploy.yml")
    steps = [opened(), s, s.start_attempt(now=T0 + 10),
             s.start_attempt(now=T0 + 10).wait_for_ci("abc", "teabot/fix/ci-12", now=T0 + 20, timeout_s=600),
             attempt(s, Result.GREEN, at=T0 + 10).wait_for(WaitKind.DEPLOY, workflow="deploy.yml", sha="abc",
                                                           now=T0 + 400, timeout_s=60)
             .stage_result(WaitKind.DEPLOY, True, now=T0 + 420, url="http://x")]
    for step in steps:
        data = step.to_json()
        assert json.loads(json.dumps(data)) == data
        assert Session.from_json(data) == step
        assert Session.from_json(json.dumps(data)) == step
    assert Session.from_json({**steps[1].to_json(), "unknown_future_key": 1}) == steps[1]


@pytest.mark.parametrize("data, match", [
    ({"version": 99}, "not a version-1 debug session"),
    ("[1, 2]", "not a version-1 debug session"),
    ({"version": 1, "key": "k"}, "debug session: "),
    ({**opened().to_json(), "state": "dancing"}, "'dancing' is not a valid State"),
    ({**opened().to_json(), "attempts": [{"n": 1}]}, "Attempt: "),
    ({**opened().to_json(), "attempts": ["x"]}, "Attempt: expected an object, got str"),
])
def test_from_json_refuses_what_does_not_fit(data, match):
    with pytest.raises(ValueError, match=match):
        Session.from_json(data)


def test_history_is_capped():
    s = fixing()
    for i in range(120):
        s = s.start_attempt(now=T0).record_result(Result.NO_FIX, now=T0) if i == 0 else \
            s.triaged("test", "fp", f"again {i}", now=T0)
    assert len(s.events) == 100 and s.events[-1].note == "triaged: test"


def test_a_green_fix_that_touched_tests_waits_for_the_verification_run():
    s = fixing().start_attempt(now=T0 + 10).add_tokens(100)
    s = s.wait_for_ci("c0ffee1".ljust(40, "0"), "teabot/fix/ci-12", now=T0 + 20, timeout_s=600)
    s = s.wait_for_verification("beef".ljust(40, "0"), "teabot/verify/ci-12-1", now=T0 + 30, timeout_s=600)
    assert s.state is State.WAITING_CI and s.waiting_for.kind is WaitKind.VERIFY and s.waiting_for.sha.startswith("beef")
    assert s.bot_commits == (s.attempts[0].commit, "beef".ljust(40, "0")) and s.fix_commits == (s.attempts[0].commit,)
    assert Session.from_json(json.dumps(s.to_json())) == s
    red = s.record_result(Result.RED, now=T0 + 40, note="the original tests still fail")
    assert red.state is State.FIXING and red.attempts[0].verify_commit.startswith("beef")
    green = s.run_found(7, "http://gitea.test/runs/7", now=T0 + 35).record_result(Result.GREEN, now=T0 + 40)
    assert green.state is State.GREEN and green.attempts[0].ci_url.endswith("/runs/7")


def test_verification_waits_only_after_the_fixs_ci():
    with pytest.raises(TransitionError):
        fixing().start_attempt(now=T0 + 10).wait_for_verification("b" * 40, "teabot/verify/x", now=T0, timeout_s=60)
    with pytest.raises(TransitionError, match="wait_for_verification"):
        opened().wait_for(WaitKind.VERIFY, workflow="ci.yml", sha="b" * 40, now=T0, timeout_s=60)

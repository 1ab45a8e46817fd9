"""The decision before fixing, as a table."""

from __future__ import annotations

import pytest

from bot.debug.core.decide import Facts, Kind, PastFailure, Rerun, decide, effective_category, same_failure

FLAKY = PastFailure("green", "passed on re-run", flaky=True)
FIXED = PastFailure("fixed", "fixed by PR #9", fix="https://gitea.example/o/r/pulls/9")
FIXED_OLD = PastFailure("fixed", "", fix="abc1234")


@pytest.mark.parametrize("facts, kind, rerun, reason", [
    # the base branch already fails the same way: report, whatever else holds
    (Facts("test", "fp", base_branch="develop", base_broken=True, has_model=True, rerun=Rerun.API),
     Kind.BASE_BROKEN, Rerun.NONE, "already broken on develop"),
    (Facts("infra", "fp", base_broken=True), Kind.BASE_BROKEN, Rerun.NONE, "already broken on main"),
    # infrastructure, timeouts, resources: re-run once when the forge can
    (Facts("infra", "fp", rerun=Rerun.API), Kind.RERUN_FLAKY, Rerun.API, "re-running once via rerun API"),
    (Facts("timeout", "fp", rerun=Rerun.DISPATCH, has_model=True), Kind.RERUN_FLAKY, Rerun.DISPATCH,
     "via workflow dispatch"),
    (Facts("resource", "fp", rerun=Rerun.API), Kind.RERUN_FLAKY, Rerun.API, "an infrastructure failure"),
    (Facts("infra", "fp", rerun=Rerun.NONE, has_model=True), Kind.REPORT_ONLY, Rerun.NONE, "cannot re-run it"),
    (Facts("infra", "fp", rerun=Rerun.API, is_rerun=True, has_model=True), Kind.REPORT_ONLY, Rerun.NONE,
     "failed again after one re-run"),
    # a fingerprint known as flaky: re-run once, then treat it as code
    (Facts("test", "fp", history=(FLAKY,), rerun=Rerun.API), Kind.RERUN_FLAKY, Rerun.API, "known to be flaky"),
    (Facts("test", "fp", history=(FLAKY,), rerun=Rerun.API, is_rerun=True, has_model=True), Kind.FIX, Rerun.NONE,
     "proposing a fix"),
    (Facts("test", "fp", history=(FLAKY,), rerun=Rerun.NONE, has_model=False), Kind.REPORT_ONLY, Rerun.NONE,
     "no model is configured"),
    # untrusted code: a report only, before a re-run (it would run the code as the bot) or a fix
    (Facts("test", "fp", has_model=True, untrusted="bob has read access"), Kind.REPORT_ONLY, Rerun.NONE,
     "nothing was branched, pushed or re-run: bob has read access"),
    (Facts("infra", "fp", rerun=Rerun.API, untrusted="the change comes from the fork bob/widget"), Kind.REPORT_ONLY,
     Rerun.NONE, "fork bob/widget"),
    (Facts("test", "fp", base_broken=True, untrusted="x"), Kind.REPORT_ONLY, Rerun.NONE, "report only"),
    # code failures
    (Facts("test", "fp", has_model=True), Kind.FIX, Rerun.NONE, "a test failure in the code"),
    (Facts("compile", "fp", has_model=True, rerun=Rerun.API), Kind.FIX, Rerun.NONE, "a compile failure"),
    (Facts("test", "fp", has_model=False), Kind.REPORT_ONLY, Rerun.NONE, "no model is configured: triage report only"),
    (Facts("test", "fp", history=(FIXED, FIXED_OLD), has_model=True), Kind.CITE_KNOWN_FIX, Rerun.NONE,
     "fixed by https://gitea.example/o/r/pulls/9"),
    (Facts("test", "fp", history=(FIXED_OLD,), has_model=False), Kind.REPORT_ONLY, Rerun.NONE,
     "it was fixed before by abc1234"),
])
def test_decide(facts, kind, rerun, reason):
    decision = decide(facts)
    assert (decision.kind, decision.rerun) == (kind, rerun)
    assert reason in decision.reason
    assert "\n" not in decision.reason


def test_known_fix_is_carried_on_the_decision():
    assert decide(Facts("test", "fp", history=(FIXED,), has_model=True)).known_fix == FIXED.fix
    assert decide(Facts("test", "fp", has_model=True)).known_fix == ""


@pytest.mark.parametrize("a, b, same", [
    (("fp1", ["x", "y"]), ("fp1", []), True),
    (("fp1", ["assert", "add", "calc"]), ("fp2", ["assert", "add", "calc"]), True),
    (("fp1", ["assert", "add", "calc"]), ("fp2", ["timeout", "npm"]), False),
    (("", []), ("", []), False),
])
def test_same_failure(a, b, same):
    assert same_failure(a[0], a[1], b[0], b[1]) is same


@pytest.mark.parametrize(
    ("category", "summary", "expected"),
    [
        ("test", "E TimeoutError: price feed at 10.20.0.7:8443 did not answer within 5.0s", "infra"),
        ("test", "requests.exceptions.ConnectionError: connection refused", "infra"),
        ("test", "E AssertionError: assert 1 == 2", "test"),
        ("compile", "error: request timed out while linking", "compile"),
    ],
)
def test_network_failures_inside_tests_count_as_infra(category: str, summary: str, expected: str) -> None:
    assert effective_category(category, summary) == expected

"""Budgets that bound the whole session, daily caps, and the fenced external log fetch."""

from __future__ import annotations

import httpx
import pytest

from bot.forge.models import Status
from bot.debug.core.external import LogUnavailable, refusal
from bot.debug.external_logs import ExternalLogs
from bot.config.budget import Budget
from bot.llm.usage import DailyCaps, day_keys

BUDGET = Budget(tokens=1000, attempts=3, minutes=30)


@pytest.mark.parametrize("used, attempts, minutes, needed, why", [
    (0, 1, 0, 0, ""), (999, 3, 29.9, 0, ""), (1000, 1, 0, 0, "token budget of 1000 is spent"),
    (900, 1, 0, 200, "token budget"), (0, 4, 0, 0, "3 attempts are used"), (0, 1, 30, 0, "30 minutes are over"),
])
def test_session_budget_is_checked_before_every_call(used, attempts, minutes, needed, why):
    found = BUDGET.refusal(tokens_used=used, attempts_started=attempts, minutes_elapsed=minutes, needed=needed)
    assert (why in found) if why else found == ""


@pytest.mark.parametrize("repo_calls, user_calls, caps, why", [
    (0, 0, DailyCaps(10, 2), ""), (10, 0, DailyCaps(10, 2), "o/r has used its 10 model calls"),
    (3, 2, DailyCaps(10, 2), "has used their 2 model calls"), (99, 99, DailyCaps(0, 0), ""),
])
def test_daily_caps(repo_calls, user_calls, caps, why):
    found = caps.refusal(repo="o/r", user="bob", repo_calls=repo_calls, user_calls=user_calls)
    assert (why in found) if why else found == ""
    assert "@bob" not in found  # the message never pings


def test_day_keys():
    assert day_keys("O/R", "Bob", "2026-01-02") == ("teabot:calls:2026-01-02:o/r", "teabot:calls:2026-01-02:o/r:bob")


@pytest.mark.parametrize("url, hosts, why", [
    ("http://ci.example/x", ["ci.example"], None),
    ("https://ci.example/x", ["ci.example"], None),
    ("http://ci.example:6379/x", ["ci.example"], "ci.example:6379 is not in"),
    ("http://ci.example:8080/x", ["ci.example:8080"], None),
    ("http://ci.example/x", ["ci.example:8080"], "ci.example:80 is not in"),
    ("http://ci.example:8080:80/x", ["ci.example"], "no valid port"),
    ("http://ci.example:99999/x", ["ci.example"], "no valid port"),
    ("http://u:p@ci.example/x", ["ci.example"], "credentials"),
    ("file:///etc/passwd", ["ci.example"], "not an http(s) URL"),
])
def test_host_port_allow_list(url, hosts, why):
    found = refusal(url, hosts)
    assert found is None if why is None else why in (found or "")


def test_a_bad_port_is_a_reason_not_a_crash():
    logs = ExternalLogs(("ci.example",), transport=httpx.MockTransport(lambda r: httpx.Response(200, text="x")))
    with pytest.raises(LogUnavailable, match="not read: its address has no valid port"):
        logs.fetch(Status.from_api({"target_url": "http://ci.example:8080:80/job/1"}))


def test_a_slow_drip_server_is_cut_at_the_total_deadline():
    now = [0.0]

    def clock() -> float:
        return now[0]

    def drip():
        for _ in range(100):
            now[0] += 1.0  # each chunk takes a second of the worker's time
            yield b"x\n"

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=drip()))
    logs = ExternalLogs(("ci.example",), deadline=10, clock=clock, transport=transport)
    with pytest.raises(LogUnavailable, match="longer than 10 s in total"):
        logs.fetch(Status.from_api({"target_url": "http://ci.example/job/1"}))
    assert now[0] <= 12

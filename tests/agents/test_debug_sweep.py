"""The sweep is complete: every failed run since its last complete pass gets a session, once.

Gitea never re-sends a lost webhook delivery, so while the receiver is down failed runs pile up;
the sweep pages through the runs list back to its last complete pass and skips known runs before
its cap on new sessions, so whatever a pass leaves, the next one picks up.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.config.repo import RepoConfig
from bot.debug import agent as debugger
from bot.debug.store import MemorySessionStore
from bot.forge.client import GiteaClient
from harness.fake_gitea import FakeGitea, ci
from harness.fake_gitea.state import now as fake_now
from tests.agents.conftest import BOT

REPO = "acme/widget"
LOG = "+ python -m pytest -q\nE       assert 2 == 1\nFAILED tests/test_widget.py::test_x - AssertionError\n1 failed\n"
RUNS = f"/repos/{REPO}/actions/runs"
LISTS_RUNS = pytest.mark.parametrize("gitea_version", ["1.26"])  # 1.25 lets only the owner list runs


def sweep_pages(fake: FakeGitea) -> list[str]:
    """The pages of the failed-runs list the sweep read (starting a session lists runs too, filtered)."""
    return [c.query["page"] for c in fake.calls("GET", RUNS) if c.query.get("status") == "failure"
            and not c.query.get("branch") and not c.query.get("head_sha")]


def deps_for(forge: GiteaClient, store: MemorySessionStore, **debug: object) -> debugger.Deps:
    config = RepoConfig().debug.model_copy(update=debug)
    return debugger.Deps(forge=forge, llm=None, store=store, config=config, schedule=lambda step, delay, **kw: None,
                         clock=time.time, bot_login=BOT)


def fail_runs(fake: FakeGitea, count: int, *, first: int = 0) -> list[int]:
    """`count` failed runs, each of its own workflow, so each is a session of its own."""
    return [fake.add_run(REPO, workflow=f"ci-{n}.yml", conclusion="failure", jobs=[{"name": "test", "log": LOG}],
                         actor="alice") for n in range(first, first + count)]


def fail_runs_ago(fake: FakeGitea, monkeypatch: pytest.MonkeyPatch, count: int, age: timedelta, *,
                  first: int = 1000) -> list[int]:
    """Failed runs that began and ended `age` ago."""
    with monkeypatch.context() as patch:
        then = fake_now() - age
        patch.setattr(ci, "now", lambda: then)
        return fail_runs(fake, count, first=first)


@LISTS_RUNS
def test_thirty_missed_runs_all_get_a_session_and_a_second_sweep_finds_nothing(fake, forge) -> None:
    fail_runs(fake, 30)
    store = MemorySessionStore()
    assert len(debugger.sweep(deps_for(forge, store), REPO)) == 30
    assert len(store.keys(REPO)) == 30
    assert debugger.sweep(deps_for(forge, store), REPO) == []


@LISTS_RUNS
def test_the_sweep_pages_past_the_first_page(fake, forge) -> None:
    fail_runs(fake, 55)  # the client asks for 50 a page
    store = MemorySessionStore()
    assert len(debugger.sweep(deps_for(forge, store), REPO, limit=100)) == 55
    assert sweep_pages(fake) == ["1", "2"]
    assert debugger.sweep(deps_for(forge, store), REPO, limit=100) == []


@LISTS_RUNS
def test_the_cap_leaves_the_rest_to_the_next_pass(fake, forge, caplog) -> None:
    fail_runs(fake, 30)
    store = MemorySessionStore()
    with caplog.at_level("INFO", logger="bot.debug.agent"):
        first = debugger.sweep(deps_for(forge, store), REPO, limit=20)
    assert len(first) == 20 and store.last_sweep(REPO) is None  # not complete: nothing recorded
    assert "10 left for the next pass" in caplog.text
    second = debugger.sweep(deps_for(forge, store), REPO, limit=20)
    assert len(second) == 10 and not set(first) & set(second) and store.last_sweep(REPO) is not None
    assert debugger.sweep(deps_for(forge, store), REPO, limit=20) == []


@LISTS_RUNS
def test_runs_that_ended_before_the_last_pass_are_not_revisited(fake, forge, monkeypatch) -> None:
    old = fail_runs_ago(fake, monkeypatch, 55, timedelta(days=1))  # more than a page, all long before the last pass
    fresh = fail_runs(fake, 1)
    store = MemorySessionStore()
    store.mark_swept(REPO, time.time() - 3600)
    started = debugger.sweep(deps_for(forge, store), REPO)
    assert len(started) == 1 and started[0].endswith(":ci-0")
    assert sweep_pages(fake) == ["1"]  # stops at the first run that began well before the pass
    assert fake.calls("GET", f"{RUNS}/{fresh[0]}") and not fake.calls("GET", f"{RUNS}/{old[0]}")


@LISTS_RUNS
def test_without_a_pass_the_sweep_looks_back_over_the_configured_window(fake, forge, monkeypatch) -> None:
    fail_runs_ago(fake, monkeypatch, 2, timedelta(days=8))
    fail_runs_ago(fake, monkeypatch, 1, timedelta(days=2), first=2000)
    assert len(debugger.sweep(deps_for(forge, MemorySessionStore()), REPO)) == 1  # the 7-day default
    assert len(debugger.sweep(deps_for(forge, MemorySessionStore(), sweep_window_days=10), REPO)) == 3


@pytest.mark.parametrize("gitea_version", ["1.25"])
def test_on_gitea_1_25_the_sweep_skips_actions_runs_and_records_no_pass(fake, forge, caplog) -> None:
    fail_runs(fake, 2)
    store = MemorySessionStore()
    with caplog.at_level("WARNING", logger="bot.debug.agent"):
        assert debugger.sweep(deps_for(forge, store), REPO) == []
    assert "skips Actions runs" in caplog.text and store.last_sweep(REPO) is None

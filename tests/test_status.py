"""`teabot status` and the /status page: sessions with budgets, queue, failures, recurring and flaky, a chart."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
import subprocess
from pathlib import Path

import pytest
import redis as redis_lib
from click.testing import CliRunner
from rq import Queue

from bot.cli import main
from bot.config.settings import Settings
from bot.debug.core.records import State
from bot.debug.core.session import new_session
from bot.debug.ledger import FailureRecord, Ledger
from bot.debug.store import RedisSessionStore
from bot.receiver.app import create_app
from bot.receiver.overview import Overview, gather
from bot.receiver.status_page import chart_svg, render
from bot.worker.queues import RQQueue

WEEK = 7 * 86400
T0 = 1_760_000_000.0  # a Thursday in October 2025
TOKEN = "status-token-1"


def failing_job() -> None:
    raise RuntimeError("Gitea answered 500")


def seed_sessions_and_ledger(store, make_ledger, now: float = T0) -> tuple[object, list[str]]:
    """Two sessions (one live, one done) and five ledger entries over three weeks, in any backend."""
    opened = new_session("acme/app", "ci.yml", run_id=88, run_number=5, branch="main", base_branch="main",
                         sha="a" * 40, now=now - 600)
    live = dataclasses.replace(opened, state=State.FIXING).start_attempt(now=now - 300)
    done = new_session("acme/app", "lint.yml", run_id=77, run_number=4, branch="main", base_branch="main",
                       sha="b" * 40, now=now - 9000).finish(State.REPORTED, now=now - 8000)
    for session in (live, done):
        store.save(session.key, json.dumps(session.to_json()), repo=session.repo)
    clock = iter([now - 2 * WEEK, now - WEEK, now - WEEK + 60, now - 30, now - 20]).__next__
    ledger = make_ledger(clock)
    entries = [("fp-flaky", "test", "test_pay timed out once"), ("fp-flaky", "test", "test_pay timed out once"),
               ("fp-dep", "dependency", "no matching distribution for widgetlib"),
               ("fp-dep", "dependency", "no matching distribution for widgetlib"), ("fp-lint", "lint", "E501")]
    ids = [ledger.record(FailureRecord("acme/app", run_id=i, fingerprint=fp, category=cat, summary=text, commit="c"))
           for i, (fp, cat, text) in enumerate(entries)]
    return ledger, ids


def seed(conn: redis_lib.Redis, now: float = T0) -> None:
    """Two sessions (one live, one done), a failed job, and ledger entries over three weeks."""
    ledger, ids = seed_sessions_and_ledger(RedisSessionStore(conn), lambda clock: Ledger(conn, clock=clock), now)
    ledger.set_outcome(ids[1], "flaky")
    queue = Queue("teabot", connection=conn, is_async=False)
    job = queue.enqueue(failing_job, job_id="plan-issue-7")  # run at once; rq files it as failed
    assert job.get_status() == "failed"


def test_gather_reads_sessions_budgets_queue_and_the_ledger(redis: redis_lib.Redis) -> None:
    seed(redis)
    view = gather(redis, "teabot", now=T0)
    [live] = view.in_flight
    assert (live.repo, live.run_id, live.state, live.attempts, live.minutes) == ("acme/app", 88, "fixing", "1/3", "10/30")
    assert len(view.sessions) == 2 and view.queue["failed"] == 1 and view.workers == 0
    [failed] = view.failed_jobs
    assert failed.job == "failing_job" and "Gitea answered 500" in failed.error
    assert [(r.category, r.count) for r in view.recurring] == [("dependency", 2), ("test", 2)]
    [flaky] = view.flaky
    assert flaky.summary == "test_pay timed out once" and flaky.last_outcome == "flaky"
    assert sum(sum(c.values()) for c in view.weekly.values()) == 5 and len(view.weekly) == 3


def test_the_status_command_prints_the_overview(redis_url: str, redis: redis_lib.Redis) -> None:
    seed(redis, now=time.time())
    result = CliRunner().invoke(main, ["status"], env={"REDIS_URL": redis_url})
    assert result.exit_code == 0, result.output
    assert "sessions in flight: 1" in result.output
    assert re.search(r"acme/app ci.yml run 88: fixing, attempts 1/3, tokens 0/200000, minutes 1\d/30", result.output)
    assert "failing_job plan-issue-7: RuntimeError: Gitea answered 500" in result.output
    assert "recurring failures: 2" in result.output and "flaky: 1" in result.output
    as_json = CliRunner().invoke(main, ["status", "--json"], env={"REDIS_URL": redis_url})
    assert '"run_id": 88' in as_json.output
    without = CliRunner().invoke(main, ["status"], env={"TEABOT_DATA_DIR": "/nonexistent/teabot"}).output
    assert "no data directory /nonexistent/teabot" in without  # without Redis it reads the data directory


def test_chart_stacks_categories_per_week() -> None:
    svg = chart_svg({"2025-W40": {"test": 2, "lint": 1}, "2025-W41": {"dependency": 3}})
    bars = re.findall(r'data-week="([^"]+)" data-category="([^"]+)" data-count="(\d+)"', svg)
    assert sorted(bars) == [("2025-W40", "lint", "1"), ("2025-W40", "test", "2"), ("2025-W41", "dependency", "3")]
    assert "No failures recorded yet" in chart_svg({})


def test_the_page_escapes_what_it_shows() -> None:
    page = render(Overview(queue={"queued": 1}), note="<script>alert(1)</script>")
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.fixture
def status_client(tmp_path: Path, redis: redis_lib.Redis):
    settings = Settings(webhook_secret="s", data_dir=tmp_path, status_token=TOKEN)
    return create_app(settings, queue=RQQueue(redis)).test_client()


def test_the_page_is_behind_the_token(status_client, tmp_path: Path, redis: redis_lib.Redis) -> None:
    assert status_client.get("/status").status_code == 401
    assert status_client.get("/status?token=wrong").status_code == 401
    page = status_client.get("/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    off = create_app(Settings(webhook_secret="s", data_dir=tmp_path), queue=RQQueue(redis)).test_client()
    assert "set TEABOT_STATUS_TOKEN" in off.get("/status").get_json()["message"]


def test_the_index_points_to_the_next_steps(status_client) -> None:
    body = status_client.get("/").get_json()
    assert body["service"] == "teabot" and "teabot check" in body["next"]


# --- in a real browser --------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_page_renders_in_headless_chromium(status_client, redis: redis_lib.Redis, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium): the page is not checked in a browser")
    seed(redis, now=time.time())
    html = status_client.get(f"/status?token={TOKEN}").get_data(as_text=True)
    page_file = tmp_path / "status.html"
    page_file.write_text(html)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                              page_file.as_uri()], capture_output=True, text=True, timeout=60).stdout
        assert 'id="failures-chart"' in dom and "acme/app" in dom
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri())
        bars = page.locator("#failures-chart rect.bar")
        assert bars.count() == 5  # 3 weeks: test | test + dependency | dependency + lint
        heights = [bars.nth(i).bounding_box()["height"] for i in range(bars.count())]
        assert all(h > 0 for h in heights)
        assert page.locator("#sessions tr").count() == 2  # header + the session in flight
        assert "fixing" in page.locator("#sessions").inner_text()
        assert page.locator("#recurring tr").count() == 3 and page.locator("#flaky tr").count() == 2
        page.screenshot(path=str(tmp_path / "status.png"), full_page=True)
        browser.close()
    assert errors == []


def test_sessions_and_their_attempts_are_exported_as_metrics(status_client, redis: redis_lib.Redis) -> None:
    seed(redis)
    text = status_client.get("/metrics").get_data(as_text=True)
    assert 'teabot_sessions{phase="active",state="fixing"} 1.0' in text
    assert 'teabot_sessions{phase="done",state="reported"} 1.0' in text
    assert 'teabot_session_attempts{phase="active",state="fixing"} 1.0' in text

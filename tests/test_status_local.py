"""`teabot status`, /status and /metrics without Redis: read from state.sqlite3 and jobs.sqlite3 in TEABOT_DATA_DIR."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import Settings
from bot.debug.ledger_db import SqliteLedger
from bot.debug.store import SqliteSessionStore
from bot.receiver.app import create_app
from bot.receiver.overview import gather
from bot.receiver.overview_local import LocalStatus
from bot.worker.embedded import EmbeddedQueue
from bot.worker.journal import Journal
from bot.worker.queues import JobRequest, make_queue
from bot.worker.state import StateDB
from tests.test_status import seed_sessions_and_ledger

WEEK = 7 * 86400
T0 = 1_760_000_000.0
TOKEN = "status-token-2"


def failing_job() -> None:
    """A job that fails for good."""
    raise RuntimeError("Gitea answered 500")


def seed(data_dir: Path, now: float = T0) -> None:
    """What an embedded `teabot serve` leaves in its data directory: sessions, ledger entries, jobs."""
    db = StateDB.under(data_dir)
    ledger, ids = seed_sessions_and_ledger(SqliteSessionStore(db, clock=lambda: now),
                                           lambda clock: SqliteLedger(db, clock=clock), now)
    ledger.clock = lambda: now
    ledger.set_outcome(ids[1], "flaky")
    db.close()
    journal = Journal(data_dir / "jobs.sqlite3", clock=lambda: now)
    journal.accept("debug-run-acme-app-90", {"job": "bot.debug.jobs.debug_run"}, dedupe_ttl=60)
    journal.schedule("debug-poll-88", {"job": "bot.debug.jobs.debug_poll"}, due=now + 120)
    journal.accept("plan-issue-7", {"job": "bot.plan.jobs.plan_issue"}, dedupe_ttl=60)
    journal.fail("plan-issue-7", "bot.plan.jobs.plan_issue", "RuntimeError: Gitea answered 500")
    journal.close()


def test_gather_reads_the_data_directory_of_an_embedded_server(tmp_path: Path) -> None:
    seed(tmp_path)
    source = LocalStatus(tmp_path, clock=lambda: T0)
    view = gather(source, now=T0)
    source.close()
    [live] = view.in_flight
    assert (live.repo, live.run_id, live.state, live.attempts, live.minutes) == ("acme/app", 88, "fixing", "1/3", "10/30")
    assert len(view.sessions) == 2
    assert view.queue == {"pending": 2, "scheduled": 1, "failed": 1} and view.workers is None
    [failed] = view.failed_jobs
    assert (failed.job, failed.job_id, failed.error) == ("plan_issue", "plan-issue-7", "RuntimeError: Gitea answered 500")
    assert [(r.category, r.count) for r in view.recurring] == [("dependency", 2), ("test", 2)]
    [flaky] = view.flaky
    assert flaky.summary == "test_pay timed out once" and flaky.last_outcome == "flaky"
    assert sum(sum(c.values()) for c in view.weekly.values()) == 5 and len(view.weekly) == 3


def test_an_empty_data_directory_reads_as_nothing_and_stays_empty(tmp_path: Path) -> None:
    view = gather(LocalStatus(tmp_path))
    assert view.sessions == [] and view.failed_jobs == [] and view.recurring == [] and view.weekly == {}
    assert list(tmp_path.iterdir()) == []  # reading creates no file


def test_the_status_command_reads_the_data_directory_without_redis(tmp_path: Path) -> None:
    seed(tmp_path, now=time.time())
    env = {"TEABOT_DATA_DIR": str(tmp_path)}
    as_json = CliRunner().invoke(main, ["status", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    view = json.loads(as_json.output)
    [live] = [s for s in view["sessions"] if not s["done"]]
    assert (live["repo"], live["run_id"], live["state"], live["attempts"]) == ("acme/app", 88, "fixing", "1/3")
    assert view["queue"] == {"pending": 2, "scheduled": 1, "failed": 1} and view["workers"] is None
    assert [f["job_id"] for f in view["failed_jobs"]] == ["plan-issue-7"]
    assert [r["category"] for r in view["recurring"]] == ["dependency", "test"] and len(view["flaky"]) == 1
    text = CliRunner().invoke(main, ["status"], env=env)
    assert text.exit_code == 0, text.output
    assert "queue: pending 2, scheduled 1, failed 1; live workers: unknown" in text.output
    assert re.search(r"acme/app ci.yml run 88: fixing, attempts 1/3, tokens 0/200000, minutes \d+/30", text.output)
    assert "plan_issue plan-issue-7: RuntimeError: Gitea answered 500" in text.output


def test_the_status_command_names_a_missing_data_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["status"], env={"TEABOT_DATA_DIR": str(tmp_path / "elsewhere")})
    assert result.exit_code == 1
    assert "no data directory" in result.output and "TEABOT_DATA_DIR of `teabot serve`" in result.output


def test_the_embedded_queue_remembers_a_job_that_failed_for_good(tmp_path: Path) -> None:
    queue = EmbeddedQueue(journal=Journal(tmp_path / "jobs.sqlite3"))
    assert queue.submit(JobRequest(f"{__name__}.failing_job", "k1", {}, 30, ()))
    assert queue.join(10)
    [failed] = Journal(tmp_path / "jobs.sqlite3").failures()  # another process reads it
    assert failed.job == f"{__name__}.failing_job" and failed.error == "RuntimeError: Gitea answered 500"
    assert queue.journal.pending() == []


@pytest.fixture
def embedded_client(tmp_path: Path):
    settings = Settings(webhook_secret="s", data_dir=tmp_path, status_token=TOKEN)
    return create_app(settings, queue=make_queue(settings)).test_client()


def test_the_page_shows_an_embedded_server(embedded_client, tmp_path: Path) -> None:
    seed(tmp_path, now=time.time())
    page = embedded_client.get("/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Without Redis" not in html and "Queue: pending 2, scheduled 1, failed 1 · live workers: unknown" in html
    sessions = html.split('id="sessions"')[1].split("</table>")[0]
    assert "acme/app" in sessions and "fixing" in sessions and "reported" not in sessions
    assert "plan-issue-7" in html.split('id="failed-jobs"')[1].split("</table>")[0]
    assert len(re.findall(r'<rect class="bar"', html)) == 5
    assert html.split('id="recurring"')[1].split("</table>")[0].count("<tr>") == 3
    assert html.split('id="flaky"')[1].split("</table>")[0].count("<tr>") == 2


def test_the_page_of_a_fresh_embedded_server_is_empty_not_an_error(embedded_client) -> None:
    page = embedded_client.get(f"/status?token={TOKEN}")
    assert page.status_code == 200 and "No session in flight." in page.get_data(as_text=True)


def test_sessions_of_an_embedded_server_are_exported_as_metrics(embedded_client, tmp_path: Path) -> None:
    seed(tmp_path, now=time.time())
    text = embedded_client.get("/metrics").get_data(as_text=True)
    assert 'teabot_sessions{phase="active",state="fixing"} 1.0' in text
    assert 'teabot_sessions{phase="done",state="reported"} 1.0' in text
    assert 'teabot_session_attempts{phase="active",state="fixing"} 1.0' in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_embedded_page_renders_in_headless_chromium(embedded_client, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium): the page is not checked in a browser")
    seed(tmp_path, now=time.time())
    page_file = tmp_path / "status.html"
    page_file.write_text(embedded_client.get(f"/status?token={TOKEN}").get_data(as_text=True))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page_file.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    assert 'id="failures-chart"' in dom and "acme/app" in dom and "plan-issue-7" in dom

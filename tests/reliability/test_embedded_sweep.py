"""Without Redis the sweep's memory is the state file: a second sweep (another process) starts nothing twice.

Gitea never re-sends a lost delivery, so `teabot sweep` runs from cron; without Redis each run is a
new process. The sessions it starts, and the mark of its last complete pass, are in
TEABOT_DATA_DIR/state.sqlite3, so the next run (or `teabot serve` beside it) knows them.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bot.config.settings import Settings
from bot.debug.jobs import debug_sweep
from bot.debug.store import SqliteSessionStore
from bot.worker.embedded import EmbeddedQueue
from bot.worker.runtime import Runtime
from bot.worker.state import StateDB
from harness import cast
from harness.cast import BOT, BOT_TOKEN
from harness.fake_gitea import FakeGitea
from tests.agents.test_debug_sweep import REPO, fail_runs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
RUNS = 30
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> FakeGitea:
    fake = cast.seed(FakeGitea("1.26"))  # 1.25 lets only the owner list runs
    yield fake
    fake.stop()


def runtime(fake: FakeGitea, data_dir: Path) -> Runtime:
    """What `teabot sweep` builds in a process of its own, without REDIS_URL, talking to the fake in-process."""
    settings = Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0, bot_login=BOT,
                        data_dir=data_dir)
    built = Runtime.from_settings(settings, queue=EmbeddedQueue())
    return dataclasses.replace(built, gitea_transport=httpx.WSGITransport(app=fake.app))


def reports(fake: FakeGitea) -> tuple[Counter[str], int]:
    """The issues the bot opened (by title: one per failure) and the comments it posted."""
    opened = Counter(c.json["title"] for c in fake.calls("POST", f"/repos/{REPO}/issues") if c.status == 201)
    comments = [c for c in fake.calls("POST") if c.path.endswith("/comments") and c.status == 201]
    return opened, len(comments)


def test_two_sweeps_in_two_runtimes_over_one_data_dir_start_each_session_once(fake: FakeGitea, tmp_path: Path) -> None:
    fail_runs(fake, RUNS)
    first, second = runtime(fake, tmp_path / "data"), runtime(fake, tmp_path / "data")
    debug_sweep.__wrapped__(first, repo=REPO)
    opened, comments = reports(fake)
    debug_sweep.__wrapped__(second, repo=REPO)
    again, comments_again = reports(fake)
    store = SqliteSessionStore(StateDB.under(tmp_path / "data"))
    print(f"\nFIGURE sweep twice without Redis (two runtimes): {RUNS} failed runs -> {len(store.keys(REPO))} sessions, "
          f"{len(opened)} issues, {comments} comments; second pass {sum(again.values()) - sum(opened.values())} issues, "
          f"{comments_again - comments} comments")
    assert len(store.keys(REPO)) == RUNS and store.last_sweep(REPO) is not None
    assert len(opened) == RUNS and max(opened.values()) == 1 and comments == RUNS
    assert again == opened and comments_again == comments


def test_teabot_sweep_run_twice_as_processes_opens_no_duplicate(fake: FakeGitea, tmp_path: Path) -> None:
    fail_runs(fake, RUNS)
    url = fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEABOT_", "OPENAI_", "REDIS_URL"))}
    env.update(TEABOT_GITEA_URL=url, TEABOT_GITEA_TOKEN=BOT_TOKEN, TEABOT_BOT_LOGIN=BOT, TEABOT_GITEA_RETRIES="0",
               TEABOT_DATA_DIR=str(tmp_path / "data"), TEABOT_WEBHOOK_SECRET="s")
    counts = []
    for _ in range(2):
        began = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "bot", "sweep", "--repo", REPO], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        counts.append((reports(fake), time.monotonic() - began))
    ((opened, comments), took), ((again, comments_again), took_again) = counts
    sessions = SqliteSessionStore(StateDB.under(tmp_path / "data")).keys(REPO)
    print(f"\nFIGURE `teabot sweep` twice without Redis (two processes): {RUNS} failed runs -> {len(sessions)} sessions, "
          f"{len(opened)} issues, {comments} comments in {took:.1f} s; second run "
          f"{sum(again.values()) - sum(opened.values())} issues, {comments_again - comments} comments in {took_again:.1f} s")
    assert len(sessions) == RUNS and len(opened) == RUNS and max(opened.values()) == 1 and comments == RUNS
    assert again == opened and comments_again == comments

"""`teabot check` tells the truth: reading commenters' permission, token scopes, Redis persistence, workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_lib
from rq import Queue, Worker

from bot.cli.checks import Level, failed, run_checks
from bot.cli.checks_services import check_persistence, check_workers
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.auth import Token

APP = "acme/app"


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    fake = FakeGitea("1.25.4")
    fake.add_user("teabot", "bot-token")
    fake.add_user("acme", "acme-token")
    fake.add_repo(APP)
    yield fake
    fake.stop()


def check(fake: FakeGitea, tmp_path: Path, token: str = "bot-token", **extra: str) -> list[str]:
    env = {"TEABOT_GITEA_URL": "http://gitea.test", "TEABOT_GITEA_TOKEN": token, "TEABOT_WEBHOOK_SECRET": "s",
           "TEABOT_DATA_DIR": str(tmp_path), **extra}
    found = run_checks(env, [APP], None, transport=httpx.WSGITransport(app=fake.app))
    return [f.line() for f in found]


def test_write_access_is_not_enough_to_check_who_asked(fake: FakeGitea, tmp_path: Path) -> None:
    fake.set_permission(APP, "teabot", "write")  # what the fake's own seed gives the bot
    lines = check(fake, tmp_path)
    assert any(line.startswith(f"ok    {APP}: teabot has write access") for line in lines)
    [reading] = [line for line in lines if "permission, which every command" in line]
    assert reading.startswith("error") and "Admin" in reading


@pytest.mark.parametrize(("level", "site_admin"), [("admin", False), ("write", True)])
def test_admins_and_site_admins_can_check_who_asked(fake: FakeGitea, tmp_path: Path, level: str,
                                                    site_admin: bool) -> None:
    fake.set_permission(APP, "teabot", level)
    fake.state.users["teabot"].admin = site_admin
    lines = check(fake, tmp_path)
    assert any("can read commenters' permission" in line and line.startswith("ok") for line in lines)


def test_a_token_without_write_issue_is_named(fake: FakeGitea, tmp_path: Path) -> None:
    fake.set_permission(APP, "teabot", "admin")
    scoped = Token(99, "ci", scopes=("read:issue", "write:repository", "read:user"))
    fake.state.users["teabot"].tokens.append(scoped)
    lines = check(fake, tmp_path, token=scoped.sha)
    [scopes] = [line for line in lines if "lacks the scope" in line]
    assert scopes.startswith("error") and "write:issue" in scopes and "read:issue" not in scopes.split("—")[0]
    assert [c for c in fake.requests if c.method == "POST" and c.status < 400] == []  # nothing was written


def test_a_full_token_passes_the_scope_probe_without_writing(fake: FakeGitea, tmp_path: Path) -> None:
    fake.set_permission(APP, "teabot", "admin")
    lines = check(fake, tmp_path)
    assert any("the token has the scopes teabot uses" in line for line in lines)
    assert all(c.status >= 400 for c in fake.requests if c.method == "POST")


def test_redis_persistence_is_judged_from_its_config(redis: redis_lib.Redis, test_redis) -> None:
    if not test_redis.owned:
        pytest.skip("changes Redis's configuration: runs only on the suite's own redis-server")
    before = {**redis.config_get("appendonly"), **redis.config_get("save")}
    try:
        redis.config_set("appendonly", "no")
        redis.config_set("save", "")
        assert check_persistence(redis).level is Level.ERROR
        redis.config_set("save", "3600 1")
        assert check_persistence(redis).level is Level.WARN
        redis.config_set("appendonly", "yes")
        assert check_persistence(redis).level is Level.OK
    finally:
        redis.config_set("appendonly", before["appendonly"])
        redis.config_set("save", before["save"])


def test_workers_are_counted_from_their_heartbeats(redis: redis_lib.Redis) -> None:
    missing = check_workers(redis, "teabot")
    assert missing.level is Level.ERROR and "no `teabot worker`" in missing.what
    worker = Worker([Queue("teabot", connection=redis)], connection=redis, name="w-1")
    worker.register_birth()
    worker.heartbeat()
    try:
        found = check_workers(redis, "teabot")
        assert found.level is Level.OK and "1 worker(s)" in found.what
        assert check_workers(redis, "other").level is Level.ERROR
    finally:
        worker.register_death()


def test_check_with_redis_reports_workers(fake: FakeGitea, tmp_path: Path, redis_url: str) -> None:
    fake.set_permission(APP, "teabot", "admin")
    lines = check(fake, tmp_path, REDIS_URL=redis_url)
    assert any("no `teabot worker` serves the queue 'teabot'" in line for line in lines)
    assert failed([]) is False


def test_a_token_without_write_repository_is_named_and_nothing_is_deleted(fake: FakeGitea, tmp_path: Path) -> None:
    fake.set_permission(APP, "teabot", "admin")
    hooks = dict(fake.state.repos[APP].hooks)
    scoped = Token(98, "ci", scopes=("write:issue", "read:repository", "read:user"))
    fake.state.users["teabot"].tokens.append(scoped)
    lines = check(fake, tmp_path, token=scoped.sha)
    [scopes] = [line for line in lines if "lacks the scope" in line]
    assert "write:repository" in scopes.split("—")[0] and "write:issue" not in scopes.split("—")[0]
    assert fake.state.repos[APP].hooks == hooks
    assert [c for c in fake.requests if c.method == "DELETE" and c.status < 400] == []

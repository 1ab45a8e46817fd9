"""`teabot check` and /healthz say whether Redis persists what the bot accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.checks import Level
from bot.cli.checks_services import check_persistence
from bot.config.settings import Settings
from bot.receiver.app import create_app
from bot.worker.queues import RQQueue, connect
from harness.rig import SECRET
from harness.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _health(server: RedisServer, tmp_path: Path) -> dict:
    settings = Settings(webhook_secret=SECRET, data_dir=tmp_path, redis_url=server.url)
    return create_app(settings, queue=RQQueue(connect(server.url))).test_client().get("/healthz").get_json()


def test_a_redis_without_persistence_is_an_error_and_healthz_says_so(own_redis: RedisServer, tmp_path: Path) -> None:
    finding = check_persistence(own_redis.client())
    assert finding.level is Level.ERROR and "does not persist" in finding.what and "--appendonly yes" in finding.fix
    health = _health(own_redis, tmp_path)
    assert health["redis_persistence"] == "none" and health["redis_durable"] is False and health["jobs_journaled"] == 0


def test_a_redis_with_aof_is_ok(durable_redis: RedisServer, tmp_path: Path) -> None:
    finding = check_persistence(durable_redis.client())
    assert finding.level is Level.OK and "appendonly yes" in finding.what
    health = _health(durable_redis, tmp_path)
    assert health["redis_persistence"].startswith("aof") and health["redis_durable"] is True

"""Model calls end at their deadline whatever the endpoint does, and rq's job timeout is never swallowed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

from bot.config.settings import ModelSettings
from bot.llm.client import OpenAIChat
from bot.llm.errors import LLMUnavailable
from harness.rig import BOT, Rig, wait_for
from harness.redis_server import RedisServer
from tests.reliability.misbehaving import Endpoint, elapsed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("mode", ["silent", "trickle"])
def test_a_call_ends_at_its_deadline(mode: str) -> None:
    with Endpoint(mode) as endpoint:  # type: ignore[arg-type]
        chat = OpenAIChat(ModelSettings(base_url=endpoint.base_url, api_key="k", timeout=2.0, max_retries=0))
        start = time.monotonic()
        with pytest.raises(LLMUnavailable, match="timed out"):
            chat.complete(MESSAGES)
        took = elapsed(start)
    print(f"\nFIGURE deadline {mode}: timeout 2.0 s, the call ended after {took:.2f} s, {endpoint.requests} request")
    assert 2.0 <= took < 3.5 and endpoint.requests == 1


def test_our_retries_each_have_the_deadline() -> None:
    with Endpoint("trickle") as endpoint:
        chat = OpenAIChat(ModelSettings(base_url=endpoint.base_url, api_key="k", timeout=1.0, max_retries=1), sleep=lambda s: None)
        start = time.monotonic()
        with pytest.raises(LLMUnavailable):
            chat.complete(MESSAGES)
        assert elapsed(start) < 3.5 and endpoint.requests == 2


@pytest.mark.parametrize("mode", ["silent", "trickle"])
def test_the_job_timeout_reaches_rq_as_itself(mode: str) -> None:
    with Endpoint(mode) as endpoint:  # type: ignore[arg-type]
        chat = OpenAIChat(ModelSettings(base_url=endpoint.base_url, api_key="k", timeout=30.0, max_retries=3))
        start = time.monotonic()
        with pytest.raises(JobTimeoutException), UnixSignalDeathPenalty(2, JobTimeoutException, job_id="j"):
            chat.complete(MESSAGES)
        took = elapsed(start)
    print(f"\nFIGURE job timeout {mode}: rq's 2 s timeout ended the job after {took:.2f} s")
    assert took < 3.0 and endpoint.requests == 1  # no SDK retry swallowed it


@pytest.mark.parametrize("mode", ["silent", "trickle"])
def test_a_failing_model_ends_in_one_comment_after_the_last_try(tmp_path: Path, own_redis: RedisServer, mode: str) -> None:
    with Endpoint(mode) as endpoint:  # type: ignore[arg-type]
        rig = Rig(tmp_path / "rig", redis_url=own_redis.url, model_url=endpoint.base_url,
                  extra_env={"TEABOT_MODEL_TIMEOUT": "2", "TEABOT_RETRY_INTERVALS": "1,1"})
        rig.seed()
        with rig:
            rig.start(workers=1)
            number = rig.fake.add_issue("acme/widget", "Summarize me", "A thread.", author="alice")
            start = time.monotonic()
            rig.fake.add_comment("acme/widget", number, "/summarize", author="alice")

            def errors() -> list[dict]:
                return [c for c in rig.fake.list_comments("acme/widget", number)
                        if c["user"]["login"] == BOT and ":error -->" in c["body"]]

            wait_for(errors, 60, interval=0.2, what=f"the failure comment\n{rig.logs()}")
            took = elapsed(start)
            wait_for(lambda: endpoint.requests >= 3, 10, what="three tries")
            [error] = errors()
            assert "could not finish" in error["body"] and "timed out" in error["body"]
            assert endpoint.requests == 3
    print(f"\nFIGURE failing model {mode}: 3 tries of 2 s (retries after 1 s), one failure comment {took:.1f} s "
          f"after the command")

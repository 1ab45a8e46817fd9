"""The assist handlers decide and enqueue: `/help`, and `/summarize` / `/classify` on issues only."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.assist import handler
from bot.config.settings import Settings
from bot.events import Event
from bot.receiver.routes import router as receiver_router
from bot.routing import Context
from tests.conftest import comment_case, signed


class Recorder:
    """An enqueue that records what it was asked to queue."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, job: str, *, key: str, timeout: int = 0, **kwargs: Any) -> bool:
        self.jobs.append((job, {"timeout": timeout, **kwargs}))
        return True


def dispatch(text: str, *, pull: bool = False, router=handler.router) -> list[tuple[str, dict[str, Any]]]:
    headers, body = signed(comment_case(text, pull=pull), "s")
    event = Event.from_http(headers, body, "s")
    enqueue = Recorder()
    router.dispatch(event, Context(Settings(), logging.LoggerAdapter(logging.getLogger("test"), {}), enqueue))
    return enqueue.jobs


@pytest.mark.parametrize("command", ["summarize", "classify"])
def test_thread_commands_queue_the_assist_job(command: str) -> None:
    [(job, kwargs)] = dispatch(f"/{command}")
    assert job == "bot.assist.jobs.answer_discussion"
    assert kwargs["command"] == command and kwargs["login"] == "alice" and kwargs["timeout"] > 300


def test_thread_commands_on_a_pull_request_are_left_alone() -> None:
    assert dispatch("/summarize", pull=True) == []


def test_help_is_answered_on_pull_requests_too() -> None:
    assert [job for job, _ in dispatch("/help", pull=True)] == ["bot.assist.jobs.reply_help"]


def test_the_receiver_sends_each_command_to_one_feature() -> None:
    assert [job for job, _ in dispatch("/summarize", router=receiver_router)] == ["bot.assist.jobs.answer_discussion"]
    assert [job for job, _ in dispatch("/plan", router=receiver_router)] == ["bot.plan.jobs.plan_command"]
    assert dispatch("thanks!", router=receiver_router) == []

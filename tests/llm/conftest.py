"""Fixtures for the model client tests: the scripted model harness over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.config.settings import ModelSettings
from harness.fake_model import FakeModelServer
from bot.llm.client import OpenAIChat
from bot.llm.usage import TokenMeter


@pytest.fixture
def model_server() -> Iterator[FakeModelServer]:
    """A running scripted model with an empty script; tests call `set_script`."""
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def chat(model_server: FakeModelServer) -> Callable[..., OpenAIChat]:
    """Build an OpenAIChat pointed at the harness: chat(script, budget=None, **model_settings)."""

    def build(script: Any = None, *, budget: TokenMeter | None = None, **overrides: Any) -> OpenAIChat:
        if script is not None:
            model_server.set_script(script)
        options = {"base_url": model_server.base_url, "api_key": "test-key", "max_retries": 0, "timeout": 10.0}
        return OpenAIChat(ModelSettings(**{**options, **overrides}), budget=budget)

    return build

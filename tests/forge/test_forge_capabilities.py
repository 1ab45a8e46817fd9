"""Server version parsing and the feature flags derived from it."""

from __future__ import annotations

import pytest

from bot.forge.capabilities import Capabilities, parse_version


@pytest.mark.parametrize(("text", "parsed"), [
    ("1.25.4", (1, 25, 4)), ("1.26.0+dev-12-gabc", (1, 26, 0)), ("1.27.1-rc1", (1, 27, 1)),
    ("v1.24", (1, 24, 0)), (" 1.23.8 ", (1, 23, 8)), ("7.0.0+gitea-1.22.0", (1, 22, 0)),
    ("development", None), ("", None),
])
def test_parse_version(text: str, parsed: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == parsed


@pytest.mark.parametrize(("version", "job_logs", "runs_api", "rerun"), [
    ("1.23.8", False, False, False),
    ("1.24.0", True, False, False),
    ("1.25.4", True, True, False),
    ("1.26.0+dev-12-gabc", True, True, True),
    ("1.27.1-rc1", True, True, True),
    ("2.0.0", True, True, True),
    ("garbage", False, False, False),
])
def test_capabilities_per_version(version: str, job_logs: bool, runs_api: bool, rerun: bool) -> None:
    caps = Capabilities.from_version(version)
    assert caps == Capabilities(version, job_logs=job_logs, workflow_job=job_logs, runs_api=runs_api,
                                workflow_run=runs_api, rerun=rerun)


def test_capabilities_are_frozen() -> None:
    caps = Capabilities.from_version("1.25.4")
    with pytest.raises(AttributeError):
        caps.rerun = True  # type: ignore[misc]

"""Server version parsing and the feature flags derived from it."""

from __future__ import annotations

import pytest

from bot.forge.capabilities import MIN_VERSION, Capabilities, parse_version


@pytest.mark.parametrize(("text", "parsed"), [
    ("1.25.4", (1, 25, 4)), ("1.26.0+dev-12-gabc", (1, 26, 0)), ("1.27.1-rc1", (1, 27, 1)),
    ("v1.24", (1, 24, 0)), (" 1.23.8 ", (1, 23, 8)), ("7.0.0+gitea-1.22.0", (1, 22, 0)),
    ("development", None), ("", None),
])
def test_parse_version(text: str, parsed: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == parsed


@pytest.mark.parametrize(("version", "on"), [
    ("1.23.8", set()),
    ("1.24.0", {"job_logs", "workflow_job", "dispatch"}),
    ("1.25.4", {"job_logs", "workflow_job", "dispatch", "runs_api", "workflow_run"}),
    ("1.26.0+dev-12-gabc", {"job_logs", "workflow_job", "dispatch", "runs_api", "workflow_run", "rerun",
                            "runs_list_for_readers", "dependency_list_headers"}),
    ("1.27.1-rc1", set(MIN_VERSION)),
    ("2.0.0", set(MIN_VERSION)),
    ("garbage", set()),
])
def test_capabilities_per_version(version: str, on: set[str]) -> None:
    caps = Capabilities.from_version(version)
    assert {flag for flag in MIN_VERSION if getattr(caps, flag)} == on


@pytest.mark.parametrize(("version", "needs_owner", "keeps_id"), [
    ("1.24.7", False, False), ("1.25.4", True, False), ("1.26.0", False, True), ("1.27.1", False, True)])
def test_derived_flags(version: str, needs_owner: bool, keeps_id: bool) -> None:
    caps = Capabilities.from_version(version)
    assert (caps.runs_list_needs_owner, caps.rerun_keeps_run_id) == (needs_owner, keeps_id)


def test_capabilities_are_frozen() -> None:
    caps = Capabilities.from_version("1.25.4")
    with pytest.raises(AttributeError):
        caps.rerun = True  # type: ignore[misc]

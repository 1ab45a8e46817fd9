"""The auto-debug workflow drives the session: its budgets, options and steps, with .gitea/teabot.yaml on top."""

from __future__ import annotations

import pytest

from bot.config.settings import ConfigError
from bot.debug.core.commits import fix_branch
from bot.debug.core.decide import Facts, Kind, Rerun, decide
from bot.debug.core.settings import Phases, effective_debug
from bot.config.repo import parse_repo_config
from bot.config.playbooks import bundled_dir, effective_playbook

BUNDLED = (bundled_dir() / "auto_debug.yaml").read_text()


def settings(override: str = "", repo: str = ""):
    flow = effective_playbook(BUNDLED, override, file="workflows/auto_debug.yaml",
                              override_file=".gitea/teabot/workflows/auto_debug.yaml")
    return effective_debug(parse_repo_config(repo).debug, flow)


def test_the_bundled_workflow_and_the_built_in_defaults_agree() -> None:
    config, phases = settings()
    assert config == parse_repo_config("").debug and phases == Phases()


def test_the_workflow_sets_defaults_and_the_repo_config_wins() -> None:
    override = ("budgets: {attempts: 5, minutes: 45}\noptions: {poll_interval_seconds: 20, timeout_minutes: 3, "
                "docs_folder: spec}\nphases: {deploy: deploy.yml}\n")
    config, _ = settings(override)
    assert (config.budget.attempts, config.budget.minutes, config.budget.tokens) == (5, 45, 200000)
    assert (config.poll_interval_seconds, config.wait_timeout_seconds, config.docs_folder) == (20, 180, "spec")
    assert config.deploy.workflow == "deploy.yml" and config.acceptance is None
    config, _ = settings(override, "debug:\n  budget: {attempts: 2}\n  poll_interval_seconds: 60\n  deploy: {workflow: ship.yml}\n")
    assert (config.budget.attempts, config.budget.minutes) == (2, 45)  # the repo's key wins, the rest still comes from the workflow
    assert config.poll_interval_seconds == 60 and config.deploy.workflow == "ship.yml"


def test_phases_decide_what_a_session_may_do() -> None:
    config, phases = settings("phases: {fix: false, acceptance: accept.yml}\n")
    assert config.deploy is None and config.acceptance.workflow == "accept.yml" and not phases.fix
    facts = Facts(category="test", fingerprint="f", has_model=True, can_fix=phases.fix)
    decision = decide(facts)
    assert decision.kind is Kind.REPORT_ONLY and "phases.fix: false" in decision.reason
    config, _ = settings("phases: {deploy: deploy.yml}\n", "debug:\n  deploy: {workflow: ship.yml}\n")
    assert config.deploy.workflow == "ship.yml"  # .gitea/teabot.yaml wins over the playbook


def test_rerun_flaky_false_reports_instead_of_rerunning() -> None:
    _, phases = settings("phases: {rerun_flaky: false}\n")
    assert not phases.rerun_flaky
    decision = decide(Facts(category="infra", fingerprint="f", has_model=True, rerun=Rerun.OFF))
    assert decision.kind is Kind.REPORT_ONLY and "phases.rerun_flaky: false" in decision.reason


def test_the_branch_prefix_names_fix_branches_but_stays_under_teabot() -> None:
    _, phases = settings("options: {branch_prefix: teabot/auto/}\n")
    assert fix_branch("ci.yml", 7, phases.branch_prefix) == "teabot/auto/ci-7"
    for bad in ("main/", "teabot/fix", "teabot/../main/"):
        with pytest.raises(ConfigError, match="options.branch_prefix.*must start with 'teabot/'"):
            settings(f"options: {{branch_prefix: '{bad}'}}\n")


def test_a_workflow_budget_the_repo_config_would_refuse_is_named() -> None:
    with pytest.raises(ConfigError, match="workflows/auto_debug.yaml: budgets"):
        settings("budgets: {attempts: 50}\n")

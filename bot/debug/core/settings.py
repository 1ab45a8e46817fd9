"""What drives a debug session: `workflows/auto_debug.yaml` (with a repo's override) and `.gitea/teabot.yaml`.  PURE.

The workflow's budgets and options are the defaults; a `debug.*` key the repository sets in
`.gitea/teabot.yaml` wins over them. The workflow's steps say which phases run: without a `fix`
step (uses `loop` around `debug.propose`) sessions only report; without a `deploy` or `acceptance`
step those workflows are never dispatched; `rerun_flaky_once: false` reports flaky and
infrastructure failures instead of re-running them; `branch_prefix` names fix branches (it must
stay under `teabot/`, the only branches the bot writes).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from bot.config.settings import ConfigError, Settings
from bot.debug.core.commits import BOT_PREFIX, FIX_PREFIX
from bot.config.repo import Budget, Debug, WorkflowRef
from bot.config.playbooks import Workflow, all_steps
from bot.llm.limits import max_call_seconds


@dataclass(frozen=True)
class Phases:
    """Which parts of the loop the workflow lets a session run."""

    fix: bool = True
    rerun_flaky: bool = True
    branch_prefix: str = FIX_PREFIX


def effective_debug(config: Debug, workflow: Workflow) -> tuple[Debug, Phases]:
    """The session's settings: repo keys that were set, else the workflow's budgets and options."""
    chosen, options, uses = config.model_fields_set, workflow.options, {s.uses for s in all_steps(workflow.steps)}
    try:
        budget = Budget(**{**_budget_defaults(workflow), **config.budget.model_dump(include=config.budget.model_fields_set)})
    except ValidationError as exc:
        raise ConfigError(f"{workflow.file or 'workflows/auto_debug.yaml'}: budgets: {exc.errors()[0]['msg']}") from None
    update: dict = {"budget": budget}
    for key, option in (("deploy", "deploy_workflow"), ("acceptance", "acceptance_workflow")):
        if key not in chosen and options.get(option):
            update[key] = WorkflowRef(workflow=str(options[option]))
        if f"debug.{key}" not in uses:
            update[key] = None  # the workflow has no such step: never dispatched
    if "poll_interval_seconds" not in chosen and options.get("poll_interval_seconds"):
        update["poll_interval_seconds"] = max(5, int(options["poll_interval_seconds"]))
    if "wait_timeout_seconds" not in chosen and options.get("timeout_minutes"):
        update["wait_timeout_seconds"] = max(30, 60 * int(options["timeout_minutes"]))
    if "docs_folder" not in chosen and options.get("docs_folder"):
        update["docs_folder"] = str(options["docs_folder"])
    prefix = str(options.get("branch_prefix") or FIX_PREFIX)
    if not prefix.startswith(BOT_PREFIX) or not prefix.endswith("/") or ".." in prefix:
        raise ConfigError(f"{workflow.file or 'workflows/auto_debug.yaml'}: options.branch_prefix: {prefix!r} must start "
                          f"with {BOT_PREFIX!r} and end with '/' (the bot writes only to teabot/ branches)")
    phases = Phases(fix="debug.propose" in uses, rerun_flaky=bool(options.get("rerun_flaky_once", True)),
                    branch_prefix=prefix)
    return config.model_copy(update=update), phases


def _budget_defaults(workflow: Workflow) -> dict:
    b = workflow.budgets
    return {k: int(v) for k, v in (("attempts", b.attempts), ("tokens", b.tokens), ("minutes", b.minutes)) if v is not None}


def job_timeout(settings: Settings) -> int:
    """Job timeout of a debug step: several model turns plus Gitea calls."""
    return int(8 * max_call_seconds(settings.model)) + 600

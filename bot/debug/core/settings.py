"""What drives a debug session: the `auto_debug` playbook (with a repo's override) and `.gitea/teabot.yaml`.  PURE.

The playbook's budgets, options and phases are the defaults; a `debug.*` key the repository sets in
`.gitea/teabot.yaml` wins over them. Its phases say what a session may do: `fix: false` makes
sessions report only; `rerun_flaky: false` reports flaky and infrastructure failures instead of
re-running them; `deploy` / `acceptance` name the Actions workflows dispatched after a green fix
(null: never). `options.branch_prefix` names fix branches (it must stay under `teabot/`, the only
branches the bot writes).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from bot.config.settings import ConfigError, Settings
from bot.debug.core.commits import BOT_PREFIX, FIX_PREFIX
from bot.config.repo import BudgetSettings, Debug, WorkflowRef
from bot.config.playbooks import Playbook
from bot.llm.limits import max_call_seconds


@dataclass(frozen=True)
class Phases:
    """Which parts of the loop the playbook lets a session run."""

    fix: bool = True
    rerun_flaky: bool = True
    branch_prefix: str = FIX_PREFIX


def effective_debug(config: Debug, playbook: Playbook) -> tuple[Debug, Phases]:
    """The session's settings: repo keys that were set, else the playbook's budgets, options and phases."""
    chosen, options, phases = config.model_fields_set, playbook.options, playbook.phases
    try:
        budget = BudgetSettings(**{**_budget_defaults(playbook), **config.budget.model_dump(include=config.budget.model_fields_set)})
    except ValidationError as exc:
        raise ConfigError(f"{playbook.file or 'workflows/auto_debug.yaml'}: budgets: {exc.errors()[0]['msg']}") from None
    update: dict = {"budget": budget}
    for key in ("deploy", "acceptance"):
        if key not in chosen:
            update[key] = WorkflowRef(workflow=str(phases[key])) if phases.get(key) else None
    if "poll_interval_seconds" not in chosen and options.get("poll_interval_seconds"):
        update["poll_interval_seconds"] = max(5, int(options["poll_interval_seconds"]))
    if "wait_timeout_seconds" not in chosen and options.get("timeout_minutes"):
        update["wait_timeout_seconds"] = max(30, 60 * int(options["timeout_minutes"]))
    if "docs_folder" not in chosen and options.get("docs_folder"):
        update["docs_folder"] = str(options["docs_folder"])
    prefix = str(options.get("branch_prefix") or FIX_PREFIX)
    if not prefix.startswith(BOT_PREFIX) or not prefix.endswith("/") or ".." in prefix:
        raise ConfigError(f"{playbook.file or 'workflows/auto_debug.yaml'}: options.branch_prefix: {prefix!r} must start "
                          f"with {BOT_PREFIX!r} and end with '/' (the bot writes only to teabot/ branches)")
    return config.model_copy(update=update), Phases(fix=bool(phases.get("fix", True)),
                                                    rerun_flaky=bool(phases.get("rerun_flaky", True)), branch_prefix=prefix)


def _budget_defaults(playbook: Playbook) -> dict:
    b = playbook.budgets
    return {k: int(v) for k, v in (("attempts", b.attempts), ("tokens", b.tokens), ("minutes", b.minutes)) if v is not None}


def watched(config: Debug, context: str) -> bool:
    """Does the repo want sessions for failures of this external context ("": of any)?"""
    ext = config.external_ci
    return config.enabled and ext.enabled and (not context or not ext.contexts or context in ext.contexts)


def left_out(config: Debug, workflow: str | None, *, external: bool, trigger: str) -> str:
    """Why the repository's `debug` settings open no session for a failure of `workflow` (an external status's
    context when `external`; None when not known yet) that `trigger` reported; "" when they do.

    `debug.enabled: false` turns the automatic sessions off, not `/debug`; an external status opens one
    only for the contexts `debug.external_ci` watches.
    """
    if external:
        if trigger == "status" and not watched(config, workflow or ""):
            return "debug.external_ci in .gitea/teabot.yaml leaves this check out"
        return ""
    if not config.enabled and trigger != "/debug":
        return "auto-debug is off here (debug.enabled in .gitea/teabot.yaml)"
    if config.workflows and workflow is not None and workflow not in config.workflows:
        return "debug.workflows in .gitea/teabot.yaml leaves this workflow out"
    return ""


def job_timeout(settings: Settings) -> int:
    """Job timeout of a debug step: several model turns plus Gitea calls."""
    return int(8 * max_call_seconds(settings.model)) + 600

"""The planning agent: `/plan`, `/plan <feedback>`, `/plan approve`.

Logic only: the Gitea client and the model (or None, for model-free mode) arrive as arguments.
The steps of `workflows/plan.yaml` run in order; each `uses:` names one function here
(`STEPS`), and the step's `on_error` says what a failure means: `report` (tell the epic and
stop), `continue` (note it on the board and go on) or `retry`/`fail` (raise, so the job is
retried on transient errors; reconciliation makes the re-run safe).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.plan import epic as epic_io
from bot.plan import sync as tickets
from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.redact import redact
from bot.llm.client import LLM
from bot.llm.errors import LLMError
from bot.plan.core import prompts
from bot.plan.core.diff import diff_plans
from bot.plan.core.embed import embed, latest_plan
from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.render import render_blueprint
from bot.plan.core.stories import Story, split_into_stories
from bot.config.playbooks import Step, Playbook
from bot.security.output import escape_model_text
from bot.security.trust import is_own

log = logging.getLogger(__name__)
PLAN_COMMENT = f"{BOT_MARKER}:plan-comment -->"


class StopRun(Exception):
    """The run ends here; the message has been (or will be) told to the humans."""


@dataclass(frozen=True)
class PlanRequest:
    """A planning command as the job hands it over."""

    repo: str
    number: int
    login: str
    command: str  # plan (the job carries the command name)
    args: str = ""

    @property
    def mode(self) -> str:
        """approve, revise or draft (the playbook's modes)."""
        if self.args.strip().lower() == "approve":
            return "approve"
        return "revise" if self.args.strip() else "draft"


@dataclass
class PlanRun:
    """The state of one command's run, passed from step to step."""

    request: PlanRequest
    forge: GiteaClient
    llm: LLM | None
    bot_login: str
    skills: dict[str, str]
    playbook: Playbook
    plan_key: bytes | None = None  # signs the plan blocks the bot writes; only blocks signed with it are read
    signed_since: str | None = None  # unsigned blocks of the bot's comments created before this time still count
    epic: epic_io.Epic | None = None
    current: tuple[Plan, int] | None = None
    plan: Plan | None = None
    hints: list[str] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def model_free(self) -> bool:
        return self.llm is None

    def say(self, text: str) -> None:
        """Post a comment on the epic."""
        self.forge.create_comment(self.request.repo, self.request.number, f"{BOT_MARKER}:plan-note -->\n{redact(text)}")

    def ask_model(self, messages: list[dict[str, Any]], parse: Callable[[str], tuple[Any, list[str]]], task: str) -> tuple[Any, list[str]]:
        """Ask the model for JSON; one repair round with the validation errors."""
        assert self.llm is not None
        return ask_json(self.llm, messages, parse, task)


def ask_json(llm: LLM, messages: list[dict[str, Any]], parse: Callable[[str], tuple[Any, list[str]]],
             task: str) -> tuple[Any, list[str]]:
    """The model's JSON reply through `parse` (the plan rules); one repair round with the validation errors."""
    reply = llm.complete(messages, task=task, json_mode=True)
    value, errors = parse(reply.text)
    if errors:
        log.info("model reply invalid (%d errors); asking for a repair", len(errors))
        repair = prompts.repair_messages(reply.text, errors, base=messages)
        value, errors = parse(llm.complete(repair, task=task, json_mode=True).text)
    return value, errors


def plan(request: PlanRequest, *, forge: GiteaClient, llm: LLM | None, bot_login: str, playbook: Playbook,
         skills: dict[str, str], plan_key: str | None = None, signed_since: str | None = None) -> dict[str, Any]:
    """Carry out one planning command on an epic; returns what was done (for logs and tests)."""
    run = PlanRun(request, forge, llm, bot_login, skills, playbook, plan_key.encode() if plan_key else None,
                  signed_since)
    for step in playbook.steps_for(request.mode):
        if not playbook.enabled(step):
            continue
        try:
            STEPS[step.uses](run)
        except StopRun:
            break
        except Exception as exc:
            if not _handled(run, step, exc):
                raise
            if step.on_error == "report":
                break
    return run.result


def _handled(run: PlanRun, step: Step, exc: Exception) -> bool:
    if step.on_error == "continue":
        run.problems.append(f"{step.id}: {exc}")
        return True
    if step.on_error == "report" and not getattr(exc, "transient", False):
        run.say(f":warning: The {step.id} step failed: {exc}\n\nNothing further was done. Fix the cause and comment the command again.")
        run.result["failed"] = step.id
        return True
    return False


# --- steps of the draft and revise modes --------------------------------------------------------


def gather(run: PlanRun) -> None:
    """Read the epic, its discussion, attachments and the current plan."""
    options = run.playbook.options
    run.epic = epic_io.read_epic(run.forge, run.request.repo, run.request.number, bot_login=run.bot_login,
                                 attachment_types=tuple(options.get("attachment_types", ("md", "txt", "pdf"))),
                                 max_attachment_kb=int(options.get("max_attachment_kb", 512)))
    run.current = _latest(run)


def draft(run: PlanRun) -> None:
    """A first plan: from the model, or from the epic's structure."""
    epic = _epic(run)
    if run.model_free:
        run.plan, run.hints = outline_plan(epic.title, epic.body, [c.body for c in epic.discussion])
        return
    messages = prompts.draft_messages(_skill(run, "pi_planning"), epic.as_text(), run.request.args)
    _model_plan(run, messages)


def revise(run: PlanRun) -> None:
    """A new version of the current plan with the feedback applied."""
    if run.current is None:  # feedback before any plan: treat it as instructions for a first draft
        draft(run)
        return
    epic = _epic(run)
    if run.model_free:
        run.plan, run.hints = outline_plan(epic.title, epic.body, [c.body for c in epic.discussion])
        run.notes.append("Model-free mode cannot apply free-text feedback: it re-read the epic. "
                         "Edit the epic's sections and checklists, then comment `/plan` again.")
        return
    current_json = json.dumps(run.current[0].to_dict(), indent=1)
    messages = prompts.revise_messages(_skill(run, "pi_planning"), current_json, run.request.args, epic.as_text())
    _model_plan(run, messages)


def validate(run: PlanRun) -> None:
    """Stop with a clear comment when no valid plan came out."""
    if run.plan is None:
        errors = run.result.get("errors") or ["no plan was produced"]
        listed = "\n".join(f"- `{e}`" for e in errors[:20])
        run.say(f":x: The plan could not be validated, so nothing was posted or created:\n\n{listed}\n\n"
                "Comment `/plan <what to change>` to try again.")
        raise StopRun


def render(run: PlanRun) -> None:
    """The blueprint with what changed and the hidden, versioned plan block."""
    assert run.plan is not None
    version = run.current[1] + 1 if run.current else 1
    changes = diff_plans(run.current[0], run.plan) if run.current else None
    text = render_blueprint(run.plan, version=version, model_free=run.model_free, changes=changes, hints=run.hints)
    notes = "".join(f"\n> {note}\n" for note in run.notes)
    # The visible part is model (or epic) text: escaped, so the signed block below is the comment's only block.
    block = embed(run.plan, version, secret=run.plan_key)
    run.result.update(version=version, comment=f"{PLAN_COMMENT}\n{escape_model_text(text)}{notes}\n{block}\n")


def post(run: PlanRun) -> None:
    """Post the plan comment."""
    comment = run.forge.create_comment(run.request.repo, run.request.number, run.result["comment"])
    run.result["comment_id"] = comment.get("id")


# --- steps of the approve mode --------------------------------------------------------------------


def stories(run: PlanRun) -> None:
    """The stories of the current plan: the model's, validated, or the deterministic split."""
    run.epic = run.epic or epic_io.read_epic(run.forge, run.request.repo, run.request.number, bot_login=run.bot_login)
    run.current = run.current or _latest(run)
    if run.current is None:
        run.say("There is no plan on this issue yet: comment `/plan` first, then `/plan approve`.")
        raise StopRun
    run.plan = run.current[0]
    if not run.model_free:
        try:
            found, errors = run.ask_model(prompts.stories_messages(_skill(run, "pi_planning"), run.plan),
                                          lambda text: prompts.parse_stories_reply(text, run.plan), "plan")
        except LLMError as exc:
            found, errors = None, [str(exc)]
        if found:
            run.stories = list(found)
            return
        run.problems.append("the model's stories were invalid (" + "; ".join(errors[:3]) + "); used the deterministic split")
    run.stories = split_into_stories(run.plan)


def ticket_step(run: PlanRun) -> None:
    """Labels, then create or update each ticket by its marker."""
    assert run.plan is not None
    outcome = tickets.sync_tickets(run.forge, run.request.repo, run.request.number, run.stories, bot_login=run.bot_login)
    run.problems.extend(outcome.problems)
    run.result.update(tickets=outcome.tickets, changes=outcome.changes, created=outcome.created, dropped=outcome.dropped)


def links(run: PlanRun) -> None:
    """Gitea dependencies that mirror the stories' dependencies."""
    run.result["links"], problems = tickets.sync_links(run.forge, run.request.repo, run.stories, run.result["tickets"],
                                                       run.result.get("created", ()), run.result.get("dropped", ()))
    run.problems.extend(problems)


def board(run: PlanRun) -> None:
    """The board on the epic: posted or updated on approval; after a new plan version, its draft-vs-created view."""
    assert run.plan is not None and run.epic is not None
    if run.request.mode != "approve":
        run.result["board"] = tickets.update_draft_board(run.forge, run.request.repo, run.request.number, run.plan,
                                                         run.result["version"], comments=run.epic.comment_ids,
                                                         bot_login=run.bot_login)
        return
    tickets.post_board(run.forge, run.request.repo, run.request.number, run.plan, run.stories, run.result["tickets"],
                       run.result["changes"], run.problems, comments=run.epic.comment_ids, bot_login=run.bot_login)


STEPS: dict[str, Callable[[PlanRun], None]] = {
    "plan.gather": gather, "plan.draft": draft, "plan.revise": revise, "plan.validate": validate,
    "plan.render": render, "plan.post": post, "plan.stories": stories, "plan.tickets": ticket_step,
    "plan.links": links, "plan.board": board,
}


# --- helpers ----------------------------------------------------------------------------------------


def _model_plan(run: PlanRun, messages: list[dict[str, Any]]) -> None:
    plan_value, errors = run.ask_model(messages, prompts.parse_plan_reply, "plan")
    run.plan = plan_value if not errors else None
    run.result["errors"] = errors


def _latest(run: PlanRun) -> tuple[Plan, int] | None:
    """The newest plan in a comment the bot wrote, signed with the plan key when there is one (or, unsigned, in
    a comment created before the server began signing)."""
    assert run.epic is not None
    own = [(run.bot_login, body, created) for login, body, created in run.epic.bot_comments if is_own(login, run.bot_login)]
    return latest_plan(own, author=run.bot_login, secret=run.plan_key, signed_since=run.signed_since)


def _epic(run: PlanRun) -> epic_io.Epic:
    assert run.epic is not None, "the gather step runs first"
    return run.epic


def _skill(run: PlanRun, name: str) -> str:
    return run.skills.get(name, "")

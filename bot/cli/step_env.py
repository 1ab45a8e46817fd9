"""teabot as a Gitea Actions step: what the job's environment and event file ask for.  PURE.

Inside a job, Gitea sets GitHub-compatible variables (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
`GITHUB_RUN_ID`, `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, `GITHUB_SHA`, `GITHUB_REF_NAME`,
`GITHUB_JOB`, ...); the `GITEA_*` spellings are read too. The token is `TEABOT_GITEA_TOKEN` (a bot
user's token) when set, else the job's own `GITEA_TOKEN` / `GITHUB_TOKEN`, which acts on this
repository only and whose pushes and comments never trigger workflows.

A job's own log is not complete while the job runs (the runner uploads it in pieces, and the
lines of the step that is running are still to come), so `--this-run` triage never reads a job
that has not finished; it says which jobs it left out and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config.settings import ConfigError, Settings
from bot.events import BOT_MARKER, Event, dig
from bot.triage.result import Triage

TRIAGE_MARKER = f"{BOT_MARKER}:triage -->"
STATUS_CONTEXT = "teabot/triage"
STATUS_WIDTH = 140
Json = dict[str, Any]


class StepError(ConfigError):
    """The job's environment or event file lacks what a step command needs; the message says what."""


def _var(environ: Mapping[str, str], name: str) -> str:
    """`GITHUB_<name>`, else `GITEA_<name>`, stripped ("" when unset)."""
    for prefix in ("GITHUB_", "GITEA_"):
        value = (environ.get(prefix + name) or "").strip()
        if value:
            return value
    return ""


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class ActionsEnv:
    """The parts of a Gitea Actions job's environment that teabot uses."""

    server_url: str = ""
    repository: str = ""
    run_id: int | None = None
    run_number: int | None = None
    event_name: str = ""
    event_path: str = ""
    sha: str = ""
    ref_name: str = ""
    head_ref: str = ""
    job: str = ""
    token: str | None = None
    token_source: str = ""  # the variable the token came from

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ActionsEnv:
        """Read the job's variables from an environment mapping."""
        source = next((n for n in ("TEABOT_GITEA_TOKEN", "GITEA_TOKEN", "GITHUB_TOKEN") if (environ.get(n) or "").strip()), "")
        return cls(
            server_url=_var(environ, "SERVER_URL").rstrip("/"), repository=_var(environ, "REPOSITORY"),
            run_id=_number(_var(environ, "RUN_ID")), run_number=_number(_var(environ, "RUN_NUMBER")),
            event_name=_var(environ, "EVENT_NAME"), event_path=_var(environ, "EVENT_PATH"), sha=_var(environ, "SHA"),
            ref_name=_var(environ, "REF_NAME"), head_ref=_var(environ, "HEAD_REF"), job=_var(environ, "JOB"),
            token=environ[source].strip() if source else None, token_source=source,
        )

    def require(self, *fields: str) -> None:
        """Raise StepError naming every variable among `fields` that the job did not set."""
        missing = [f"GITHUB_{f.upper()}" for f in fields if getattr(self, f) in ("", None)]
        if missing:
            raise StepError(f"{', '.join(missing)} not set: run this command as a step of a Gitea Actions job "
                            "(or set the variables by hand to try it locally)")


def step_settings(environ: Mapping[str, str]) -> tuple[ActionsEnv, Settings]:
    """The job's variables, and server settings with the Actions server URL and token filled in.

    An explicit TEABOT_GITEA_URL wins over GITHUB_SERVER_URL (a runner may reach Gitea by another
    name); logs default to text, which reads better in the job's log.
    """
    actions = ActionsEnv.from_env(environ)
    settings = Settings.from_env(environ)
    url = settings.gitea_url if (environ.get("TEABOT_GITEA_URL") or "").strip() else actions.server_url or settings.gitea_url
    log_format = settings.log_format if (environ.get("TEABOT_LOG_FORMAT") or "").strip() else "text"
    return actions, settings.replace(gitea_url=url, gitea_token=actions.token, log_format=log_format)


def parse_event(text: str, path: str) -> Json:
    """The event file's payload; StepError when it is not a JSON object."""
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise StepError(f"{path}: the event file is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise StepError(f"{path}: the event file is not a JSON object")
    return payload


def comment_event(actions: ActionsEnv, payload: Mapping[str, Any]) -> Event:
    """The job's `issue_comment` event as the webhook receiver would have seen it."""
    if actions.event_name != "issue_comment":
        raise StepError(f"GITHUB_EVENT_NAME is {actions.event_name or 'unset'!r}: `teabot plan --from-event` "
                        "runs in a workflow triggered `on: issue_comment`")
    kind = "pull_request_comment" if payload.get("is_pull") or dig(payload, "issue", "pull_request") else "issue_comment"
    return Event("issue_comment", kind, f"actions-run-{actions.run_id or 0}", payload)


# --- triage of this run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JobReport:
    """One failed job of the run and what its log says (or why it could not be read)."""

    name: str
    url: str
    triage: Triage | None = None
    error: str = ""


def run_to_triage(actions: ActionsEnv, payload: Mapping[str, Any]) -> int:
    """The run to triage: the run a `workflow_run` event is about, else the job's own run."""
    if actions.event_name == "workflow_run":
        run_id = dig(payload, "workflow_run", "id")
        if not isinstance(run_id, int):
            raise StepError("the workflow_run event file has no workflow_run.id")
        return run_id
    actions.require("run_id")
    assert actions.run_id is not None
    return actions.run_id


def split_jobs(jobs: Sequence[Mapping[str, Any]], own_job: str) -> tuple[list[Json], list[str]]:
    """The finished failed jobs, and the names of unfinished ones (their logs are incomplete)."""
    failed = [dict(j) for j in jobs if j.get("status") == "completed" and j.get("conclusion") == "failure"]
    unfinished = [_job_label(j, own_job) for j in jobs if j.get("status") not in ("completed", "")]
    return failed, unfinished


def _job_label(job: Mapping[str, Any], own_job: str) -> str:
    name = str(job.get("name") or job.get("id"))
    return f"`{name}` (this job)" if own_job and name == own_job else f"`{name}`"


def event_number(payload: Mapping[str, Any]) -> int | None:
    """The pull request or issue the event is about, if any."""
    for keys in (("pull_request", "number"), ("issue", "number")):
        number = dig(payload, *keys)
        if isinstance(number, int):
            return number
    return None


def pull_branch(actions: ActionsEnv, run: Mapping[str, Any]) -> str:
    """The branch whose open pull request should hear about the run."""
    return actions.head_ref or str(run.get("head_branch") or "") or actions.ref_name


def triage_comment(run: Mapping[str, Any], reports: Sequence[JobReport], unfinished: Sequence[str]) -> str:
    """The comment: per failed job its category, fingerprint, summary and excerpt."""
    title = f"run #{run.get('run_number', '?')}" + (f" ({run['display_title']})" if run.get("display_title") else "")
    out = [TRIAGE_MARKER, f"### :mag: teabot triage of [{title}]({run.get('html_url', '')})", ""]
    if not reports:
        out.append("No finished job of this run failed, so there was no log to triage.")
    for report in reports:
        out.extend(_job_section(report))
    if unfinished:
        out += [""] if out[-1] else []
        out += [f"Not triaged, not finished yet: {', '.join(unfinished)}. A job's log is complete only when the "
                "job has finished; run `teabot` in a separate job that `needs:` the jobs to check."]
    return "\n".join(out).rstrip() + "\n"


def _job_section(report: JobReport) -> list[str]:
    head = f"**[{report.name}]({report.url})**" if report.url else f"**{report.name}**"
    result = report.triage
    if result is None:
        return [f"{head}: the log could not be read ({report.error}).", ""]
    return [f"{head}: {result.summary}", "",
            f"category `{result.category.value}` · fingerprint `{result.fingerprint}`", "",
            "```text", result.excerpt.replace("```", "`\u200b``"), "```", ""]


def status_description(reports: Sequence[JobReport]) -> str:
    """A commit status line: the first failed job's summary, clipped to fit."""
    first = next((r for r in reports if r.triage is not None), None)
    text = f"{first.name}: {first.triage.summary}" if first and first.triage else "no finished failed job to triage"
    return text if len(text) <= STATUS_WIDTH else text[:STATUS_WIDTH - 1] + "…"


# --- handing a failed run to a teabot server -----------------------------------------------------------


def failed_run(event_name: str, payload: Mapping[str, Any]) -> tuple[int | None, str]:
    """The id of the failed run a `workflow_run` event reports, or None and the reason to do nothing."""
    if event_name != "workflow_run":
        raise StepError(f"GITHUB_EVENT_NAME is {event_name or 'unset'!r}: `teabot debug --from-event` runs in a "
                        "workflow triggered `on: workflow_run` with `types: [completed]`")
    run = payload.get("workflow_run")
    if not isinstance(run, Mapping) or not isinstance(run.get("id"), int):
        raise StepError("the workflow_run event file has no workflow_run.id")
    if payload.get("action") != "completed" or run.get("conclusion") != "failure":
        return None, f"run {run['id']} is {run.get('status') or payload.get('action')}/{run.get('conclusion') or '-'}, not a failure"
    return run["id"], ""


def handover_url(server_url: str) -> str:
    """The hand-over endpoint of a teabot server given by its base URL (or by its /webhook or /handover URL)."""
    base = server_url.rstrip("/")
    if base.endswith("/handover"):
        return base
    return base.removesuffix("/webhook") + "/handover"


def handover_headers(token: str, delivery: str) -> dict[str, str]:
    """The headers of a hand-over: the repository's credential as a bearer token, the event's name."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-Gitea-Event": "workflow_run",
            "X-Gitea-Event-Type": "workflow_run", "X-Gitea-Delivery": delivery}

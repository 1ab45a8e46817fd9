"""The one status comment of a debug session, re-rendered and edited in place after every step.

It starts with a hidden marker (`<!-- teabot:debug session=<key> -->`) so the orchestrator finds its
own comment again. Everything that came from a log or the model passes through `redact` first.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from bot.debug.core.records import Attempt, BudgetUse, Result, Stage, State, WaitKind
from bot.debug.core.session import Session
from bot.redact import redact

MARKER = "<!-- teabot:debug session={key} -->"
STATUS_CONTEXT = "teabot/debug"  # the commit status that tells, on the failed commit, where the session stands
ACK_DESCRIPTION = "teabot is looking into this failure"  # the web process's acknowledgement, before any session
STATUS_WIDTH = 140
_MARKER = re.compile(r"\A<!-- teabot:debug session=(\S+) -->")
EXCERPT_LINES = 40
EXCERPT_CHARS = 4000
NOTE_CHARS = 300

_HEADLINES = {
    State.COLLECTING: "⏳ collecting the failed run's logs", State.TRIAGED: "🔎 triaged",
    State.RERUNNING: "🔁 re-running once (suspected flaky)", State.DEPLOYING: "🚀 deploying the fix",
    State.ACCEPTING: "🧪 running the acceptance tests", State.REPORTED: "📋 report only", State.FAILED: "❌ failed",
}
_RESULTS = {Result.PENDING: "⏳ running", Result.GREEN: "✅ green", Result.RED: "❌ red",
            Result.REJECTED: "🚫 rejected by guard", Result.NO_FIX: "➖ no fix", Result.TIMEOUT: "⌛ timed out",
            Result.ERROR: "⚠️ error", Result.CANCELLED: "✖ cancelled"}


def render_status(session: Session, *, now: float) -> str:
    """The whole Markdown body of the session's status comment at time `now`."""
    parts = [MARKER.format(key=session.key), f"## teabot auto-debug: {headline(session)}", _intro(session),
             _triage(session)]
    if session.attempts:
        parts.append(_table(session, now))
    parts.append(_budget(session.budget_left(now)))
    parts.extend(_stage(label, session, stage, workflow) for label, stage, workflow in (
        ("Deploy", session.deploy, session.deploy_workflow),
        ("Acceptance", session.acceptance, session.acceptance_workflow)) if workflow)
    parts.append(f"**Outcome:** {outcome(session)}")
    return "\n\n".join(part for part in parts if part) + "\n"


def session_key_of(body: str) -> str | None:
    """The session key in a comment this module rendered, or None for any other comment."""
    match = _MARKER.match(body or "")
    return match.group(1) if match else None


def headline(session: Session) -> str:
    """One line saying where the session stands."""
    n, cap = len(session.attempts), session.budget.attempts
    if session.state is State.GREEN:
        return "✅ flaky: passed on re-run" if session.flaky else f"✅ fixed in {_attempts(n)}"
    if session.state is State.FIXING:
        return f"🛠️ fixing: attempt {max(n, 1)}/{cap}"
    if session.state is State.WAITING_CI and session.waiting_for and session.waiting_for.kind is WaitKind.VERIFY:
        return f"⏳ waiting for CI with the original tests on attempt {n}/{cap}"
    if session.state is State.WAITING_CI:
        return f"⏳ waiting for CI on attempt {n}/{cap}"
    if session.state is State.BUDGET_EXHAUSTED:
        return f"🛑 stopped: {session.outcome}"
    if session.state is State.BASE_BROKEN:
        return f"⚠️ already broken on {session.base_branch}"
    return _HEADLINES[session.state]


def commit_status(session: Session) -> tuple[str, str]:
    """The `teabot/debug` status of the failed commit for where the session stands: (state, description).

    Pending while it works; at the end success when fixed (or flaky), failure when it gave up, and
    warning when it only reported (untrusted code, infrastructure, already broken on the base branch).
    """
    state = "pending"
    if session.state is State.GREEN:
        state = "success"
    elif session.state in (State.FAILED, State.BUDGET_EXHAUSTED):
        state = "failure"
    elif session.done:
        state = "warning"
    text = "teabot: " + re.sub(r"^\W+\s*", "", headline(session))  # no emoji: Gitea shows its own state icon
    return state, text if len(text) <= STATUS_WIDTH else text[:STATUS_WIDTH - 1] + "…"


def outcome(session: Session) -> str:
    """The final outcome with next steps, or a note that the session is still going."""
    state = session.state
    if state is State.GREEN and session.flaky:
        return "flaky: passed on re-run. No code was changed; the failure is recorded as flaky."
    if state is State.GREEN:
        where = f"review and merge PR #{session.fix_pr}" if session.fix_pr else \
            f"review branch `{session.fix_branch}` and open a pull request"
        return f"fixed in {_attempts(len(session.attempts))}: {where}."
    if state is State.BUDGET_EXHAUSTED:
        return f"stopped: {session.outcome} — see the debug log above; nothing more will be pushed."
    if state is State.BASE_BROKEN:
        return (f"already broken on {session.base_branch}: the same failure is on its latest run, so it is not "
                "this change's fault. Fix it there; nothing was pushed.")
    if state is State.REPORTED:
        return f"report only: {_clean(session.outcome)}."
    if state is State.FAILED:
        return f"failed: {_clean(session.outcome)}. Re-run it with `/debug` once the cause is fixed."
    return "in progress; this comment is updated as the session goes on."


def _intro(s: Session) -> str:
    mention = f"@{re.sub(r'[^A-Za-z0-9_.-]', '', s.author)} " if s.author else ""
    pr = f" (PR #{s.pr_number})" if s.pr_number else ""
    if s.external:
        build = f" ([build]({s.run_url}))" if s.run_url else ""
        return (f"{mention}the external check `{_cell(s.workflow)}` failed on `{_cell(s.branch)}`{pr} at "
                f"`{s.sha[:7]}`{build}.")
    run = f"[run #{s.run_number}]({s.run_url})" if s.run_url else f"run #{s.run_number}"
    return (f"{mention}the `{_cell(s.workflow)}` workflow failed on `{_cell(s.branch)}`{pr} at "
            f"`{s.sha[:7]}` ({run}).")


def _triage(s: Session) -> str:
    if not s.category:
        return f"**Triage:** {_clean(s.reason)}" if s.reason else ""
    summary = s.summary.removeprefix(f"{s.category}: ")
    lines = [f"**Triage** ({s.category}): {_clean(summary)}"]
    if s.known_fix:
        lines.append(f"**Seen before:** fixed by {_clean(s.known_fix)}")
    if s.reason:
        lines.append(f"**Decision:** {_clean(s.reason)}")
    text = "  \n".join(lines)
    if s.excerpt.strip():
        text += "\n\n" + _excerpt(s.excerpt)
    return text


def _excerpt(excerpt: str) -> str:
    lines = redact(excerpt).strip("\n").splitlines()[-EXCERPT_LINES:]
    body = "\n".join(lines)[-EXCERPT_CHARS:]
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    return f"<details><summary>Log excerpt</summary>\n\n{fence}text\n{body}\n{fence}\n\n</details>"


def _table(s: Session, now: float) -> str:
    rows = ["| attempt | time | branch | commit | CI | result | duration | tokens |",
            "|---|---|---|---|---|---|---|---|"]
    rows.extend(_row(a, s.budget.attempts, now, "build" if s.external else "run") for a in s.attempts)
    notes = [f"- attempt {a.n}: {_cell(_clean(a.note))[:NOTE_CHARS]}" for a in s.attempts if a.note.strip()]
    return "### Debug log\n\n" + "\n".join(rows) + ("\n\n" + "\n".join(notes) if notes else "")


def _row(a: Attempt, cap: int, now: float, link: str) -> str:
    duration = a.duration_s if a.duration_s is not None else max(0.0, now - a.started_at)
    cells = [f"{a.n}/{cap}", _time(a.started_at), f"`{_cell(a.branch)}`" if a.branch else "—",
             f"`{a.commit[:7]}`" if a.commit else "—", f"[{link}]({a.ci_url})" if a.ci_url else "—",
             _RESULTS[a.result], _duration(duration), f"{a.tokens:,}"]
    return "| " + " | ".join(cells) + " |"


def _budget(left: BudgetUse) -> str:
    b = left.budget
    return (f"**Budget:** attempts {left.attempts_used}/{b.attempts} · tokens {left.tokens_used:,}/{b.tokens:,} · "
            f"minutes {int(left.minutes_used)}/{b.minutes}")


def _stage(label: str, s: Session, stage: Stage | None, workflow: str) -> str:
    if stage is None:
        waiting = s.waiting_for is not None and s.waiting_for.workflow == workflow
        return f"**{label}:** `{_cell(workflow)}` {'⏳ running' if waiting else 'not run yet'}"
    link = f" ([run]({stage.url}))" if stage.url else ""
    note = f": {_clean(stage.note)}" if stage.note else ""
    return f"**{label}:** `{_cell(workflow)}` {_RESULTS[stage.result]}{link}{note}"


def _clean(text: str) -> str:
    """Model or log text fit for one Markdown line: secrets redacted, hidden comments dropped."""
    return " ".join(re.sub(r"<!--.*?(?:-->|\Z)", "", redact(text), flags=re.S).split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    total = int(round(seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m {total % 60:02d}s"
    return f"{total // 3600}h {total % 3600 // 60:02d}m"


def _attempts(n: int) -> str:
    return f"{n} attempt" + ("" if n == 1 else "s")

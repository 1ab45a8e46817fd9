"""The fix loop's round: ask the model (through bounded tools), check its edits, push them, wait for CI.

Also what follows a CI result: the next round on red; the deploy and acceptance workflows on green.
Works on the debugger's `Deps` (passed in, so this module does not import the debugger).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.debug import gitea
from bot.debug.core.commits import coerce_message, fix_branch, is_bot_branch
from bot.debug.core.edits import apply_edits, touched_paths
from bot.debug.core.external import LogUnavailable
from bot.debug.core.paths import workflow_stem
from bot.debug.core.guard import check_edits, render_violations
from bot.debug.core.prompts import (
    FINAL_TOOL, TOOLS, Final, assistant_message, check_call, feedback_message, fix_messages, parse_final, tool_result,
)
from bot.debug.core.records import Result, State, WaitKind
from bot.debug.core.session import Session
from bot.debug.core.stack import files_from_stack, resolve_refs
from bot.llm.errors import LLMBudgetExceeded, LLMError
from bot.triage import Category, Triage

log = logging.getLogger(__name__)
MAX_TURNS = 8  # model turns (tool calls included) in one attempt
MAX_CONTEXT_FILES = 4


def run_attempt(deps: Any, session: Session) -> Session:
    """Fill the open attempt: a fix pushed and CI awaited, or the attempt closed with why it failed."""
    pushed = [a.commit for a in session.attempts if a.commit]
    ref = pushed[-1] if pushed else session.sha  # build on the earlier attempts' changes (a sha: the trees API wants one)
    tools = gitea.Tools(deps.forge, session.repo, ref, session.excerpt,
                        gitea.requirement_docs(deps.forge, session.repo, deps.config.docs_folder, session.sha))
    try:
        final, session = _ask(deps, session, tools)
    except LLMBudgetExceeded as exc:
        return session.finish(State.BUDGET_EXHAUSTED, now=deps.clock(), note=str(exc))
    except LLMError as exc:
        return _close(deps, session, Result.ERROR, f"the model failed: {exc}")
    if final is None or not final.edits:
        return _close(deps, session, Result.NO_FIX, final.diagnosis if final else "the model proposed no fix")
    old = {path: tools.read(path) for path in touched_paths(final.edits)}
    new, errors = apply_edits(old, final.edits)
    if errors:
        return _close(deps, session, Result.NO_FIX, "the edits did not apply: " + "; ".join(errors[:3]))
    violations = check_edits(old, new, allow_ci_edits=deps.config.allow_ci_edits)
    if violations:
        return _close(deps, session, Result.REJECTED, render_violations(violations))
    return _push(deps, session, final, old, new)


def _ask(deps: Any, session: Session, tools: gitea.Tools) -> tuple[Final | None, Session]:
    triage = Triage((), session.excerpt, Category(session.category or "unknown"), session.fingerprint, session.summary)
    refs = resolve_refs(files_from_stack(session.excerpt), tools.tree())
    context = {ref.path: text for ref in refs[:MAX_CONTEXT_FILES] if (text := tools.read(ref.path))}
    messages = fix_messages(deps.skill, session, triage, context, tools.docs, session.attempts[:-1])
    for _ in range(MAX_TURNS):
        reply = deps.llm.complete(messages, task="debug", tools=TOOLS)
        session = session.add_tokens(reply.usage.prompt_tokens + reply.usage.completion_tokens)
        calls = [c for c in reply.tool_calls if c.name != FINAL_TOOL]
        if calls:
            messages.append(assistant_message(reply))
            messages += [tool_result(c, check_call(c) or tools.run(c)) for c in calls]
            continue
        final, errors = parse_final(reply)
        if final is not None:
            return final, session
        messages += [assistant_message(reply), feedback_message("; ".join(errors))]
    return None, session


def _push(deps: Any, session: Session, final: Final, old: dict, new: dict) -> Session:
    branch = session.fix_branch or fix_branch(session.workflow, session.run_number, deps.phases.branch_prefix)
    if not is_bot_branch(branch):  # never write outside teabot/ branches
        return session.finish(State.FAILED, now=deps.clock(), note=f"refusing to push to {branch}")
    pushed = [a.commit for a in session.attempts if a.commit]
    if session.fix_branch:
        head = str(deps.forge.get_branch(session.repo, branch)["commit"]["id"])
        if pushed and head != pushed[-1]:
            return session.finish(State.FAILED, now=deps.clock(),
                                  note=f"someone else pushed to {branch} ({head[:7]}): stopping so as not to overwrite it")
    else:
        deps.forge.create_branch(session.repo, branch, session.sha)
    message = coerce_message(final.commit_message, scope=workflow_stem(session.workflow),
                             fallback=f"repair {session.category or 'failing'} failure in {session.workflow}")
    shas = gitea.blob_shas(deps.forge, session.repo, branch, [p for p in new if old.get(p) is not None])
    files = [_operation(path, old.get(path), text, shas.get(path)) for path, text in new.items() if text != old.get(path)]
    commit = deps.forge.change_files(session.repo, branch=branch, message=message, files=files)
    sha = str((commit.get("commit") or {}).get("sha") or deps.forge.get_branch(session.repo, branch)["commit"]["id"])
    session = _ensure_pull(deps, session, branch, message, final)
    session = session.wait_for_ci(sha, branch, now=deps.clock(), timeout_s=deps.config.wait_timeout_seconds)
    deps.schedule("poll", deps.config.poll_interval_seconds, key=session.key, round_no=1)
    return session


def _operation(path: str, before: str | None, after: str | None, sha: str | None) -> dict[str, Any]:
    if after is None:
        return {"operation": "delete", "path": path, "sha": sha}
    return {"operation": "update" if before is not None else "create", "path": path, "content": after, "sha": sha}


def _ensure_pull(deps: Any, session: Session, branch: str, message: str, final: Final) -> Session:
    if session.fix_pr:
        return session
    pull = deps.forge.find_pull(session.repo, head=branch)
    if pull is None:
        body = (f"teabot's fix for the failed run {session.run_url or session.run_id} of `{session.workflow}` on "
                f"`{session.branch}`.\n\n**Triage:** {session.summary}\n\n**Diagnosis:** {final.diagnosis}")
        pull = deps.forge.create_pull(session.repo, head=branch, base=session.branch, title=message.split("\n")[0], body=body)
    return session.with_ids(fix_pr=int(pull["number"]))


def _close(deps: Any, session: Session, result: Result, note: str) -> Session:
    session = session.record_result(result, now=deps.clock(), note=note[:600])
    return session


def after_ci(deps: Any, session: Session, run: dict, passed: bool) -> Session:
    """The fix's CI ended: on green go on to deploy/acceptance; on red triage it and go round again."""
    now = deps.clock()
    if passed:
        return next_stage(deps, session.record_result(Result.GREEN, now=now, ci_url=str(run.get("html_url") or "")))
    try:
        found, note = deps.failed_run(session.repo, run), "CI failed"
    except LogUnavailable as exc:
        found, note = None, f"CI failed; triage skipped: {exc}"
    note = found.triage.summary if found else note
    session = session.record_result(Result.RED, now=now, note=note, ci_url=str(run.get("html_url") or ""))
    if found is not None and session.state is State.FIXING:
        t = found.triage
        session = session.triaged(t.category.value, t.fingerprint, t.summary, t.excerpt, now=now)
    return next_stage(deps, session)


def next_stage(deps: Any, session: Session) -> Session:
    """Dispatch and await the deploy or acceptance workflow, or queue the next round."""
    if session.state is State.FIXING:
        deps.schedule("attempt", 0, key=session.key)
        return session
    stage = {State.DEPLOYING: (WaitKind.DEPLOY, deps.config.deploy), State.ACCEPTING: (WaitKind.ACCEPTANCE, deps.config.acceptance)}
    if session.state not in stage:
        return session
    kind, ref = stage[session.state]
    target = ref.ref or session.fix_branch or session.branch
    deps.forge.dispatch_workflow(session.repo, ref.workflow, target, ref.inputs)
    head = session.attempts[-1].commit if session.attempts else session.sha
    session = session.wait_for(kind, workflow=ref.workflow, sha=head, now=deps.clock(),
                               timeout_s=deps.config.wait_timeout_seconds, branch=target)
    deps.schedule("poll", deps.config.poll_interval_seconds, key=session.key, round_no=1)
    return session

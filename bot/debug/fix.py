"""The fix loop's round: ask the model (through bounded tools), check its edits, push them, wait for CI.

What follows the round (another round, a poll for the fix's CI) is the driver's to decide.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.debug import gitea, verify
from bot.debug.core.commits import attempt_trailer, coerce_message, fix_branch, is_bot_branch
from bot.debug.core.edits import apply_edits, touched_paths
from bot.debug.core.paths import workflow_stem
from bot.debug.core.guard import GuardPolicy, check_edits, render_violations
from bot.debug.core.prompts import (
    FINAL_TOOL, TOOLS, Final, assistant_message, check_call, feedback_message, fix_messages, parse_final, tool_result,
)
from bot.debug.core.records import Result, State
from bot.debug.core.session import Session
from bot.debug.core.stack import files_from_stack, resolve_refs
from bot.debug.deps import Deps
from bot.debug.trust import untrusted
from bot.forge.errors import NotFound
from bot.forge.models import Branch, Pull, commit_sha
from bot.llm.client import LLM
from bot.llm.errors import LLMBudgetExceeded, LLMError
from bot.redact import redact
from bot.security.output import escape_model_text
from bot.triage import Category, Triage

log = logging.getLogger(__name__)
MAX_TURNS = 8  # model turns (tool calls included) in one attempt
MAX_CONTEXT_FILES = 4


class SessionBudgetSpent(Exception):
    """The session's tokens, attempts or minutes do not allow another model call; carries the session so far."""

    def __init__(self, why: str, session: Session) -> None:
        super().__init__(why)
        self.session = session


def run_attempt(deps: Deps, session: Session) -> Session:
    """Fill the open attempt: a fix pushed and CI awaited, or the attempt closed with why it failed."""
    pushed = [a.commit for a in session.attempts if a.commit]
    ref = pushed[-1] if pushed else session.sha  # build on the earlier attempts' changes (a sha: the trees API wants one)
    tools = gitea.Tools(deps.forge, session.repo, ref, session.excerpt,
                        gitea.requirement_docs(deps.forge, session.repo, deps.config.docs_folder, session.sha))
    if deps.llm is None:  # decide() only fixes with a model; the repo config may have changed since
        return _close(deps, session, Result.ERROR, "no model is configured")
    try:
        final, session = _ask(deps, deps.llm, session, tools)
    except SessionBudgetSpent as exc:
        return exc.session.finish(State.BUDGET_EXHAUSTED, now=deps.clock(), note=str(exc))
    except LLMBudgetExceeded as exc:
        return session.finish(State.BUDGET_EXHAUSTED, now=deps.clock(), note=str(exc))
    except LLMError as exc:
        return _close(deps, session, Result.ERROR, f"the model failed: {exc}")
    if final is not None:  # model text goes into comments, the PR and the commit: no markers, mentions or secrets
        final = replace(final, diagnosis=escape_model_text(final.diagnosis),
                        commit_message=escape_model_text(final.commit_message or ""))
    if final is None or not final.edits:
        return _close(deps, session, Result.NO_FIX, final.diagnosis if final else "the model proposed no fix")
    old = {path: tools.read(path) for path in touched_paths(final.edits)}
    new, errors = apply_edits(old, final.edits)
    if errors:
        return _close(deps, session, Result.NO_FIX, "the edits did not apply: " + "; ".join(errors[:3]))
    policy = GuardPolicy(allow=deps.config.guard.allow, allow_ci_edits=deps.config.allow_ci_edits,
                         protected=verify.ci_scripts(deps, session.repo, session.sha, tools.tree()))
    violations = check_edits(old, new, policy=policy)
    if violations:
        return _close(deps, session, Result.REJECTED, render_violations(violations))
    return _push(deps, session, final, old, new)


def _ask(deps: Deps, llm: LLM, session: Session, tools: gitea.Tools) -> tuple[Final | None, Session]:
    triage = Triage((), session.excerpt, Category(session.category or "unknown"), session.fingerprint, session.summary)
    refs = resolve_refs(files_from_stack(session.excerpt), tools.tree())
    context = {ref.path: text for ref in refs[:MAX_CONTEXT_FILES] if (text := tools.read(ref.path))}
    messages = fix_messages(deps.skill, session, triage, context, tools.docs, session.attempts[:-1])
    for _ in range(MAX_TURNS):
        spent = session.budget.refusal(tokens_used=session.tokens_used, attempts_started=len(session.attempts),
                               minutes_elapsed=max(0.0, deps.clock() - session.created_at) / 60)
        if spent:  # checked before every call: the session's total carries across attempts and jobs
            raise SessionBudgetSpent(spent, session)
        reply = llm.complete(messages, task="debug", tools=TOOLS)
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


def _push(deps: Deps, session: Session, final: Final, old: dict[str, str | None], new: dict[str, str | None]) -> Session:
    branch = session.fix_branch or fix_branch(session.workflow, session.run_number, deps.phases.branch_prefix)
    if not is_bot_branch(branch):  # never write outside teabot/ branches
        return session.finish(State.FAILED, now=deps.clock(), note=f"refusing to push to {branch}")
    pushed = [a.commit for a in session.attempts if a.commit]
    if session.fix_branch:
        head = Branch.from_api(deps.forge.get_branch(session.repo, branch)).sha
        if pushed and head != pushed[-1]:
            return session.finish(State.FAILED, now=deps.clock(),
                                  note=f"someone else pushed to {branch} ({head[:7]}): stopping so as not to overwrite it")
    else:
        why = untrusted(deps, session)  # checked again right before the first write, whatever decided the fix
        if why:
            return session.finish(State.REPORTED, now=deps.clock(), note=f"nothing was branched or pushed: {why}")
        deps.forge.create_branch(session.repo, branch, session.sha)
    message = redact(coerce_message(final.commit_message, scope=workflow_stem(session.workflow),
                                    fallback=f"repair {session.category or 'failing'} failure in {session.workflow}"))
    attempt = session.current
    message += f"\n\n{attempt_trailer(session.key, attempt.n if attempt else len(session.attempts))}"
    shas = gitea.blob_shas(deps.forge, session.repo, branch, [p for p in new if old.get(p) is not None])
    files = [_operation(path, old.get(path), text, shas.get(path)) for path, text in new.items() if text != old.get(path)]
    commit = deps.forge.change_files(session.repo, branch=branch, message=message, files=files)
    sha = commit_sha(commit) or Branch.from_api(deps.forge.get_branch(session.repo, branch)).sha
    session = _ensure_pull(deps, session, branch, message, final.diagnosis)
    return session.wait_for_ci(sha, branch, now=deps.clock(), timeout_s=deps.config.wait_timeout_seconds)


def pushed_before(deps: Deps, session: Session) -> Session | None:
    """The open attempt waiting for its CI, when an earlier run of this round pushed the fix and died before saving.

    The fix branch's head carries the attempt's trailer then; None when it does not (nothing was pushed)."""
    attempt = session.current
    branch = session.fix_branch or fix_branch(session.workflow, session.run_number, deps.phases.branch_prefix)
    if attempt is None or not is_bot_branch(branch):
        return None
    try:
        head = deps.forge.get_branch(session.repo, branch)
    except NotFound:
        return None
    commit = head.get("commit") or {}
    message, sha = str(commit.get("message") or ""), str(commit.get("id") or "")
    if not sha or attempt_trailer(session.key, attempt.n) not in message:
        return None
    log.info("%s: attempt %d was pushed as %s before its round stopped: waiting for its CI", session.key, attempt.n,
             sha[:7], extra={"repo": session.repo})
    session = _ensure_pull(deps, session, branch, message, "(written by a round that stopped before saving it; "
                                                          "see the commit)")
    return session.wait_for_ci(sha, branch, now=deps.clock(), timeout_s=deps.config.wait_timeout_seconds)


def _operation(path: str, before: str | None, after: str | None, sha: str | None) -> dict[str, str | None]:
    """One file change for the contents API (ChangeFileOperation)."""
    if after is None:
        return {"operation": "delete", "path": path, "sha": sha}
    return {"operation": "update" if before is not None else "create", "path": path, "content": after, "sha": sha}


def _ensure_pull(deps: Deps, session: Session, branch: str, message: str, diagnosis: str) -> Session:
    if session.fix_pr:
        return session
    pull = deps.forge.find_pull(session.repo, head=branch)
    if pull is None:
        body = (f"teabot's fix for the failed run {session.run_url or session.run_id} of `{session.workflow}` on "
                f"`{session.branch}`.\n\n**Triage:** {session.summary}\n\n**Diagnosis:** {diagnosis}")
        pull = deps.forge.create_pull(session.repo, head=branch, base=session.branch, title=message.split("\n")[0],
                                      body=redact(body))
    return session.with_ids(fix_pr=Pull.from_api(pull).number)


def _close(deps: Deps, session: Session, result: Result, note: str) -> Session:
    session = session.record_result(result, now=deps.clock(), note=note[:600])
    return session

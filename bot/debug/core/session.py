"""A debug session as a persistent state-machine value, with pure transitions.

    COLLECTING → TRIAGED → (decided) → BASE_BROKEN | REPORTED | RERUNNING | FIXING
    RERUNNING → GREEN (flaky) | TRIAGED (failed again: decide once more, as a re-run)
    FIXING → start_attempt → [record_result: rejected/no fix] → wait_for_ci → WAITING_CI
    WAITING_CI → record_result: green → DEPLOYING | ACCEPTING | GREEN; red → FIXING | BUDGET_EXHAUSTED
    DEPLOYING → ACCEPTING | GREEN | FAILED;  ACCEPTING → GREEN | FIXING | BUDGET_EXHAUSTED
    any open state → finish(outcome)

Every transition returns a new Session and appends to its history; an impossible one raises
TransitionError saying what the session is doing instead. `to_json`/`from_json` round-trip it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from bot.debug.core.decide import Decision, Kind
from bot.debug.core.paths import workflow_stem
from bot.config.budget import Budget
from bot.debug.core.records import (TERMINAL, Attempt, BudgetUse, HistoryEntry, Result, Stage, State, Wait, WaitKind, from_json, to_json)

VERSION = 1
MAX_EVENTS = 100
_AFTER_DECISION = {Kind.BASE_BROKEN: State.BASE_BROKEN, Kind.REPORT_ONLY: State.REPORTED,
                   Kind.RERUN_FLAKY: State.RERUNNING, Kind.FIX: State.FIXING, Kind.CITE_KNOWN_FIX: State.FIXING}
_WAIT_STATE = {WaitKind.CI: State.WAITING_CI, WaitKind.VERIFY: State.WAITING_CI, WaitKind.RERUN: State.RERUNNING, WaitKind.DEPLOY: State.DEPLOYING,
               WaitKind.ACCEPTANCE: State.ACCEPTING}


class TransitionError(ValueError):
    """A transition the session's current state does not allow."""


def session_key(repo: str, sha: str, workflow: str) -> str:
    """The session's id: `<owner>/<repo>:<sha>:<workflow-stem>`, lower case, safe inside an HTML comment."""
    raw = f"{repo.strip().lower()}:{sha.strip().lower()}:{workflow_stem(workflow)}"
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9._/:@-]+", "_", raw))


@dataclass(frozen=True)
class Session:
    """One failing (repo, commit, workflow) and everything the bot did about it."""

    key: str
    repo: str
    workflow: str
    run_id: int
    run_number: int
    branch: str
    base_branch: str
    sha: str
    created_at: float
    author: str = ""
    pr_number: int | None = None
    comment_id: int | None = None
    comment_url: str = ""  # the status comment's page, the `teabot/debug` commit status links to it
    commit_status: str = ""  # the `teabot/debug` status last set on the failed commit, as "state|description"
    run_url: str = ""
    trigger: str = ""
    external: bool = False  # the failure is an external CI's commit status, not a Gitea Actions run
    state: State = State.COLLECTING
    category: str = ""
    fingerprint: str = ""
    summary: str = ""
    excerpt: str = ""
    decision: str = ""
    reason: str = ""
    known_fix: str = ""
    budget: Budget = field(default_factory=Budget)
    attempts: tuple[Attempt, ...] = ()
    fix_branch: str = ""
    fix_pr: int | None = None
    waiting_for: Wait | None = None
    deploy_workflow: str = ""
    acceptance_workflow: str = ""
    deploy: Stage | None = None
    acceptance: Stage | None = None
    flaky: bool = False
    reruns: int = 0
    outcome: str = ""
    finished_at: float | None = None
    events: tuple[HistoryEntry, ...] = ()

    # --- reading -------------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the session reached a final state."""
        return self.state in TERMINAL

    @property
    def current(self) -> Attempt | None:
        """The attempt in progress, if any."""
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and last.result is Result.PENDING else None

    @property
    def fix_commits(self) -> tuple[str, ...]:
        """The commits the bot pushed for this session, oldest first."""
        return tuple(a.commit for a in self.attempts if a.commit)

    @property
    def bot_commits(self) -> tuple[str, ...]:
        """Every commit the bot pushed for this session: its fixes and their verification commits."""
        return self.fix_commits + tuple(a.verify_commit for a in self.attempts if a.verify_commit)

    @property
    def tokens_used(self) -> int:
        """Model tokens spent over all attempts."""
        return sum(a.tokens for a in self.attempts)

    def budget_left(self, now: float) -> BudgetUse:
        """Usage against the budget at `now`."""
        end = self.finished_at if self.finished_at is not None else now
        return BudgetUse(self.budget, len(self.attempts), self.tokens_used, max(0.0, end - self.created_at) / 60)

    def wait_expired(self, now: float) -> bool:
        """True when the session waits and the wait's deadline has passed."""
        return self.waiting_for is not None and now >= self.waiting_for.deadline

    # --- transitions ---------------------------------------------------------------------------------

    def triaged(self, category: str, fingerprint: str, summary: str, excerpt: str = "", *, now: float) -> Session:
        """Record the triage of the (latest) failure; COLLECTING moves on to TRIAGED."""
        self._require(State.COLLECTING, State.TRIAGED, State.FIXING, doing="record a triage")
        state = State.TRIAGED if self.state is State.COLLECTING else self.state
        return self._to(state, now, f"triaged: {category}", category=str(category), fingerprint=fingerprint,
                        summary=summary, excerpt=excerpt)

    def decided(self, decision: Decision, *, now: float) -> Session:
        """Act on the decision: report, re-run or start fixing."""
        self._require(State.TRIAGED, doing="act on a decision")
        state = _AFTER_DECISION[decision.kind]
        base = replace(self, decision=decision.kind.value, reason=decision.reason,
                       known_fix=decision.known_fix or self.known_fix)
        if state in TERMINAL:
            return base._finish(state, now, decision.reason)
        return base._to(state, now, decision.reason)

    def start_attempt(self, *, now: float) -> Session:
        """Open attempt n+1, when the budget allows one."""
        self._require(State.FIXING, doing="start an attempt")
        if self.current is not None:
            raise TransitionError(f"session {self.key}: attempt {self.current.n} is still open")
        exhausted = self.budget_left(now).exhausted
        if exhausted:
            raise TransitionError(f"session {self.key}: cannot start another attempt: {exhausted}")
        attempt = Attempt(n=len(self.attempts) + 1, started_at=now)
        return self._to(State.FIXING, now, f"attempt {attempt.n} started", attempts=(*self.attempts, attempt))

    def add_tokens(self, tokens: int) -> Session:
        """Charge model tokens to the open attempt."""
        attempt = self._open_attempt("charge tokens")
        return self._with_attempt(replace(attempt, tokens=attempt.tokens + max(0, int(tokens))))

    def wait_for_ci(self, commit: str, branch: str, *, now: float, timeout_s: float, workflow: str = "") -> Session:
        """The open attempt's fix is pushed: wait for CI on `commit`."""
        self._require(State.FIXING, doing="wait for CI")
        attempt = replace(self._open_attempt("wait for CI"), commit=commit, branch=branch)
        wait = Wait(WaitKind.CI, workflow or self.workflow, commit, now, now + timeout_s, branch=branch)
        return self._with_attempt(attempt)._to(State.WAITING_CI, now, f"attempt {attempt.n}: pushed {commit[:7]}",
                                               waiting_for=wait, fix_branch=branch)

    def wait_for(self, kind: WaitKind, *, workflow: str, sha: str, now: float, timeout_s: float,
                 branch: str = "") -> Session:
        """Wait for a re-run, the deploy or the acceptance run (the state must match the kind)."""
        if kind in (WaitKind.CI, WaitKind.VERIFY):
            raise TransitionError(f"session {self.key}: use wait_for_ci or wait_for_verification to wait for a fix's run")
        self._require(_WAIT_STATE[kind], doing=f"wait for the {kind.value} run")
        wait = Wait(kind, workflow, sha, now, now + timeout_s, branch=branch)
        return self._to(self.state, now, f"waiting for {kind.value} run of {workflow}", waiting_for=wait)

    def wait_for_verification(self, commit: str, branch: str, *, now: float, timeout_s: float) -> Session:
        """The fix's CI is green but it changed tests or CI: wait for `commit`, the fix with the originals restored."""
        self._require(State.WAITING_CI, doing="wait for the verification run")
        attempt = replace(self._open_attempt("wait for the verification run"), verify_commit=commit)
        wait = Wait(WaitKind.VERIFY, self.workflow, commit, now, now + timeout_s, branch=branch)
        return self._with_attempt(attempt)._to(State.WAITING_CI, now, f"attempt {attempt.n}: verifying on {branch}",
                                               waiting_for=wait)

    def run_found(self, run_id: int, url: str, *, now: float) -> Session:
        """The awaited run was identified (by head SHA, dispatch or rerun)."""
        if self.waiting_for is None:
            raise TransitionError(f"session {self.key} is {self.state.value} and waits for no run")
        wait = replace(self.waiting_for, run_id=run_id, url=url)
        found = self._to(self.state, now, f"run {run_id} started", waiting_for=wait)
        if wait.kind in (WaitKind.CI, WaitKind.VERIFY) and found.current is not None:
            return found._with_attempt(replace(found.current, ci_url=url))
        return found

    def record_result(self, result: Result, *, now: float, note: str = "", ci_url: str = "") -> Session:
        """Close the open attempt and move on: green → deploy/accept/done; else next attempt or stop."""
        self._require(State.FIXING, State.WAITING_CI, doing="record an attempt's result")
        attempt = self._open_attempt("record a result")
        if result is Result.PENDING or (result is Result.GREEN and self.state is not State.WAITING_CI):
            raise TransitionError(f"session {self.key}: result {result.value} is not possible while "
                                  f"{self.state.value}")
        closed = replace(attempt, result=result, finished_at=now, duration_s=max(0.0, now - attempt.started_at),
                         note=note or attempt.note, ci_url=ci_url or attempt.ci_url)
        session = replace(self._with_attempt(closed), waiting_for=None)
        label = f"attempt {closed.n}: {result.value}"
        if result is Result.GREEN:
            return session._after_green(now, label)
        return session._next_round(now, label)

    def rerun_result(self, passed: bool, *, now: float, url: str = "") -> Session:
        """The re-run ended: passed means the failure was flaky; failed means decide again."""
        self._require(State.RERUNNING, doing="record a re-run")
        base = replace(self, waiting_for=None, reruns=self.reruns + 1)
        if passed:
            return base._finish(State.GREEN, now, "flaky: passed on re-run", flaky=True)
        return base._to(State.TRIAGED, now, f"re-run failed again {url}".strip())

    def stage_result(self, kind: WaitKind, passed: bool, *, now: float, url: str = "", note: str = "") -> Session:
        """The deploy or acceptance run ended."""
        if kind not in (WaitKind.DEPLOY, WaitKind.ACCEPTANCE):
            raise TransitionError(f"session {self.key}: {kind.value} is not a deploy or acceptance stage")
        self._require(_WAIT_STATE[kind], doing=f"record the {kind.value} result")
        workflow = self.deploy_workflow if kind is WaitKind.DEPLOY else self.acceptance_workflow
        stage = Stage(workflow, Result.GREEN if passed else Result.RED, now, url=url, note=note)
        base = replace(self, waiting_for=None, **{kind.value: stage})
        label = f"{kind.value} {'passed' if passed else 'failed'}"
        if passed:
            return base._to(State.ACCEPTING, now, label) if kind is WaitKind.DEPLOY and self.acceptance_workflow \
                else base._finish(State.GREEN, now, label)
        if kind is WaitKind.DEPLOY:
            return base._finish(State.FAILED, now, f"the deploy workflow {workflow} failed")
        return base._next_round(now, label)

    def finish(self, outcome: State, *, now: float, note: str = "") -> Session:
        """End the session in a final state, cancelling an open attempt."""
        if outcome not in TERMINAL:
            raise TransitionError(f"session {self.key}: {outcome.value} is not a final state")
        self._require(*(s for s in State if s not in TERMINAL), doing=f"finish as {outcome.value}")
        session = self
        if self.current is not None:
            session = self._with_attempt(replace(self.current, result=Result.CANCELLED, finished_at=now,
                                                 duration_s=max(0.0, now - self.current.started_at)))
        return replace(session, waiting_for=None)._finish(outcome, now, note or outcome.value)

    def with_ids(self, *, comment_id: int | None = None, fix_pr: int | None = None, comment_url: str = "") -> Session:
        """The same session knowing its status comment (and its page) and/or fix PR."""
        return replace(self, comment_id=self.comment_id if comment_id is None else comment_id,
                       fix_pr=self.fix_pr if fix_pr is None else fix_pr, comment_url=comment_url or self.comment_url)

    def with_commit_status(self, posted: str) -> Session:
        """The same session, having set its `teabot/debug` commit status to `posted` ("state|description")."""
        return replace(self, commit_status=posted)

    # --- JSON ----------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The session as plain JSON values (see `from_json`)."""
        data: dict[str, Any] = {"version": VERSION}
        data.update((f.name, _plain(getattr(self, f.name))) for f in fields(self))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> Session:
        """A session from `to_json` output (a dict or its JSON text); ValueError when it does not fit."""
        raw = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError(f"not a version-{VERSION} debug session: {str(raw)[:80]}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        values.update(_typed(values))
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"debug session: {exc}") from None

    # --- helpers -------------------------------------------------------------------------------------

    def _require(self, *states: State, doing: str) -> None:
        if self.state not in states:
            allowed = ", ".join(s.value for s in states)
            raise TransitionError(f"session {self.key} cannot {doing} while {self.state.value} (needs {allowed})")

    def _open_attempt(self, doing: str) -> Attempt:
        if self.current is None:
            raise TransitionError(f"session {self.key} cannot {doing}: no attempt is open (call start_attempt)")
        return self.current

    def _with_attempt(self, attempt: Attempt) -> Session:
        return replace(self, attempts=(*self.attempts[:-1], attempt))

    def _to(self, state: State, now: float, note: str, **changes: Any) -> Session:
        events = (*self.events, HistoryEntry(now, state, note))[-MAX_EVENTS:]
        return replace(self, state=state, events=events, **changes)

    def _finish(self, state: State, now: float, note: str, **changes: Any) -> Session:
        return self._to(state, now, note, outcome=note, finished_at=now, **changes)

    def _after_green(self, now: float, label: str) -> Session:
        if self.deploy_workflow:
            return self._to(State.DEPLOYING, now, label)
        if self.acceptance_workflow:
            return self._to(State.ACCEPTING, now, label)
        return self._finish(State.GREEN, now, label)

    def _next_round(self, now: float, label: str) -> Session:
        exhausted = self.budget_left(now).exhausted
        if exhausted:
            return self._finish(State.BUDGET_EXHAUSTED, now, exhausted)
        return self._to(State.FIXING, now, label)


def new_session(repo: str, workflow: str, *, run_id: int, run_number: int, branch: str, base_branch: str, sha: str,
                now: float, budget: Budget | None = None, **details: Any) -> Session:
    """A session in COLLECTING for a failed run; `details` are other Session fields (author, pr_number …)."""
    return Session(key=session_key(repo, sha, workflow), repo=repo, workflow=workflow, run_id=run_id,
                   run_number=run_number, branch=branch, base_branch=base_branch, sha=sha, created_at=now,
                   budget=budget or Budget(), events=(HistoryEntry(now, State.COLLECTING, "session opened"),), **details)


def _plain(value: Any) -> Any:
    if isinstance(value, State):
        return value.value
    if isinstance(value, tuple) or is_dataclass(value):
        return to_json(value)
    return value


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"state": State(values.get("state", State.COLLECTING.value))}
    for name, cls in (("budget", Budget), ("waiting_for", Wait), ("deploy", Stage), ("acceptance", Stage)):
        if values.get(name) is not None:
            out[name] = from_json(cls, values[name])
    out["attempts"] = tuple(from_json(Attempt, a) for a in values.get("attempts", ()))
    out["events"] = tuple(from_json(HistoryEntry, e) for e in values.get("events", ()))
    return out

"""A pipeline's result as one value: a Gitea Actions run or an external CI's commit status.  PURE.

Both kinds of result open, resume and end debug sessions the same way, so the agent sees one
`PipelineResult`, built by `from_run` or `from_status`; a status is named by its context where a
run is named by its workflow file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import FAILED, PASSED
from bot.debug.core.records import Wait, WaitKind
from bot.forge.models import Run, Status


class Source(str, Enum):
    """Where a result comes from."""

    ACTIONS = "actions"  # a Gitea Actions run
    STATUS = "status"    # an external CI's commit status


@dataclass(frozen=True)
class PipelineResult:
    """One run of a pipeline on one commit, and how it ended ("" while it runs)."""

    repo: str
    sha: str
    branch: str  # "" when unknown (a pull_request run whose pull request was not found)
    workflow: str  # the workflow file, or the external status's context
    run_id: int  # the Actions run id, or the commit status id
    conclusion: str  # "success", "failure", "cancelled" …; "" while running
    url: str
    done: bool = True  # the pipeline has ended
    source: Source = Source.ACTIONS
    own: bool = False  # on the bot's branch, or started by the bot
    author: str = ""  # who triggered the run, or the commit's author
    run_number: int = 0
    attempt: int = 0
    ended: str = ""  # when it completed (ISO 8601), "" when unknown
    description: str = ""

    @classmethod
    def from_run(cls, repo: str, run: Run, *, bot_login: str = "", branch: str = "") -> PipelineResult:
        """An Actions run; `branch` stands in when Gitea omits `head_branch` (pull_request runs)."""
        where = run.head_branch or branch
        by_bot = bool(bot_login) and run.triggered_by.lower() == bot_login.lower()
        return cls(repo, run.head_sha, where, run.workflow, run.id, run.conclusion, run.html_url, done=run.done,
                   own=is_bot_branch(where) or by_bot, author=run.triggered_by, run_number=run.run_number or run.id,
                   attempt=run.run_attempt, ended=run.completed_at)

    @classmethod
    def from_status(cls, repo: str, status: Status, *, branch: str, author: str = "",
                    bot_login: str = "") -> PipelineResult:
        """An external CI's status on the commit at the head of `branch`."""
        conclusion = "failure" if status.state in FAILED else "success" if status.state in PASSED else ""
        by_bot = bool(bot_login) and status.creator.lower() == bot_login.lower()
        return cls(repo, status.sha, branch, status.context, status.id, conclusion, status.target_url,
                   done=bool(conclusion), source=Source.STATUS, own=is_bot_branch(branch) or by_bot,
                   author=author or status.author, run_number=status.id, ended=status.updated_at or status.created_at, description=status.description)

    @property
    def external(self) -> bool:
        """True for an external CI's status."""
        return self.source is Source.STATUS

    @property
    def failed(self) -> bool:
        """True when the pipeline ended with a failure."""
        return self.conclusion == "failure"

    @property
    def passed(self) -> bool:
        """True when the pipeline ended green."""
        return self.conclusion == "success"

    def ended_after(self, since: float) -> bool:
        """True when it ended at or after `since` (a Unix time); a result without a time counts as after."""
        try:
            ended = datetime.fromisoformat(self.ended.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return True
        return ended >= since - 1  # Gitea keeps whole seconds


def is_awaited(wait: Wait, failed_run_id: int, result: PipelineResult) -> bool:
    """Is `result` the one a session waits for? (Never the original failure, however late it is delivered.)"""
    if result.workflow != wait.workflow:
        return False
    if wait.kind in (WaitKind.CI, WaitKind.VERIFY):
        return result.sha == wait.sha
    if wait.kind is WaitKind.RERUN:
        again = result.run_id != failed_run_id or result.attempt > 1
        return result.sha == wait.sha and again
    return result.ended_after(wait.since)  # a deploy or acceptance run dispatched by this session

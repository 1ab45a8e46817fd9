"""What every step of the debug agent works with, built once per job by `bot.debug.jobs`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.config.repo import Debug, Trust
from bot.debug import external_logs as external
from bot.debug import gitea
from bot.debug.core.pipeline import PipelineResult
from bot.debug.core.settings import Phases
from bot.debug.external_logs import ExternalLogs
from bot.debug.ledger import FailureLedger
from bot.debug.store import SessionStore
from bot.forge.client import GiteaClient
from bot.llm.client import LLM
from bot.triage.memory import ShapeStore
from bot.triage.shapes import Learned


class Schedule(Protocol):
    """Queue a session's next job: `schedule("attempt", 0, key=...)` or `schedule("poll", 30, key=..., round_no=2)`."""

    def __call__(self, step: str, delay: float, **kwargs: str | int) -> None: ...


@dataclass
class Deps:
    """Everything a step needs, built by the job."""

    forge: GiteaClient
    llm: LLM | None
    store: SessionStore
    config: Debug
    schedule: Schedule
    clock: Callable[[], float]
    bot_login: str
    skill: str = ""
    ledger: FailureLedger | None = None
    external: ExternalLogs = ExternalLogs()
    phases: Phases = Phases()
    trust: Trust = Trust()  # whose code the agent may branch from, push and re-run
    shapes: Callable[[str], ShapeStore] | None = None  # a repository's learned cause shapes (None: nothing kept)
    again: bool = False  # the job may have run before (a retry, restored after a crash): look before re-running CI

    def failed_run(self, repo: str, result: PipelineResult) -> gitea.FailedRun | None:
        """The triage of a failed run or external status; LogUnavailable when an external log cannot be read."""
        learned = self.learned(repo)
        if result.external:
            return external.failed_status_run(self.external, result, learned)
        return gitea.failed_run(self.forge, repo, result, learned)

    def learned(self, repo: str) -> Learned | None:
        """What `repo`'s users confirmed as cause lines, for triage to rank first (None when nothing is kept)."""
        return self.shapes(repo).load() if self.shapes is not None else None

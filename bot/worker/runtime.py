"""The worker runtime: what every job needs, built once when a worker process (or the embedded queue) starts.

`Runtime` holds the settings, the one Redis connection (or, without Redis, the state file under
TEABOT_DATA_DIR that `teabot serve` and `teabot sweep` share), the queue follow-up jobs go to, and
builds the Gitea and model clients. `install(runtime)` is called once at process
start (`teabot worker`, the receiver's web process, `teabot replay`, an Actions step); job functions
receive it as their first argument through `bot.worker.jobs.job`. A plain `rq worker` started without
teabot's command builds it from the environment on its first job.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import redis

from bot.config.keys import ensure_plan_key
from bot.config.settings import ConfigError, Settings
from bot.worker.queues import JobQueue, connect, make_queue
from bot.worker.state import StateDB

if TYPE_CHECKING:
    from bot.debug.store import MemorySessionStore
    from bot.forge.client import GiteaClient
    from bot.llm.client import LLM


@dataclass
class Runtime:
    """Settings, Redis (or the state file) and the queue of one process; the Gitea and model clients are built from them."""

    settings: Settings
    queue: JobQueue
    redis: redis.Redis | None = None
    state_db: StateDB | None = None  # without Redis: sessions, ledger, learned shapes and call counts (bot.worker.state)
    clock: Callable[[], float] = time.time
    job_id: str | None = None  # set in the copy a job runs with: its comments are posted once per job id
    rerun: bool = False  # the job may have run before: look for its comments before posting them
    gitea_transport: httpx.BaseTransport | None = None  # e.g. bot.worker.telemetry.CountingTransport
    model_transport: httpx.BaseTransport | None = None
    _forge: GiteaClient | None = field(default=None, repr=False)
    _sessions: MemorySessionStore | None = field(default=None, repr=False)
    _shared: dict[str, object] = field(default_factory=dict, repr=False)  # clients, shared with per-job copies

    @classmethod
    def from_settings(cls, settings: Settings, *, queue: JobQueue | None = None) -> Runtime:
        """The runtime for `settings`: Redis from REDIS_URL, else the state file in TEABOT_DATA_DIR; the given queue
        or the configured one."""
        settings = ensure_plan_key(settings)  # once per process: every plan block it writes is signed with it
        connection = connect(settings.redis_url) if settings.redis_url else None
        state = None if connection is not None else StateDB.under(settings.data_dir)
        return cls(settings, queue if queue is not None else make_queue(settings), connection, state)

    def for_job(self, job_id: str, *, rerun: bool) -> Runtime:
        """This runtime as one job sees it: same clients, comments keyed by `job_id` so a re-run posts none twice."""
        return dataclasses.replace(self, job_id=job_id, rerun=rerun)

    def forge(self) -> GiteaClient:
        """The Gitea client acting as the bot user (one per process; httpx pools its connections)."""
        if not self.settings.gitea_token:
            raise ConfigError("TEABOT_GITEA_TOKEN is not set: create a token for the bot user in Gitea and set it")
        if self._forge is None and "forge" not in self._shared:
            from bot.forge import make_forge

            self._shared["forge"] = make_forge(self.settings, transport=self.gitea_transport)
        client = self._forge or self._shared["forge"]
        if self.job_id is None:
            return client  # type: ignore[return-value]
        from bot.worker.effects import OnceForge

        return OnceForge(client, self.job_id, verify=self.rerun)  # type: ignore[return-value]  # a GiteaClient to its callers

    def llm(self, tokens: int) -> LLM | None:
        """A model client with a budget of `tokens`, or None in model-free mode."""
        from bot.llm.client import OpenAIChat, make_llm
        from bot.llm.usage import TokenMeter

        if self.model_transport is None or not self.settings.model.enabled:
            return make_llm(self.settings.model, budget=TokenMeter(tokens))
        # `metered` puts the counting transport outside the deadline one, so a trickling answer is still cut off
        http = httpx.Client(transport=self.model_transport, timeout=self.settings.model.timeout, follow_redirects=True)
        return OpenAIChat(self.settings.model, http_client=http, budget=TokenMeter(tokens))

    def bot_login(self) -> str:
        """The bot's own login (from the settings, else asked from Gitea)."""
        return self.settings.bot_login or str(self.forge().current_user()["login"])

    def counts(self) -> redis.Redis | StateDB | None:
        """Where the day's model calls are counted: Redis, else the state file (None: this process's memory)."""
        return self.redis if self.redis is not None else self.state_db

    def memory_sessions(self) -> MemorySessionStore:
        """The session store of a runtime given neither Redis nor a state file (kept for the life of the process)."""
        if self._sessions is None and "sessions" not in self._shared:
            from bot.debug.store import MemorySessionStore

            self._shared["sessions"] = MemorySessionStore()
        return self._sessions or self._shared["sessions"]  # type: ignore[return-value]


JOB_MODULES = ("bot.plan.jobs", "bot.debug.jobs", "bot.assist.jobs", "bot.worker.failures")


def preload(runtime: Runtime) -> Runtime:
    """Import every job module and load the secret detectors, once, in this process.

    An rq worker forks a work-horse per job, and whatever the horse loads dies with it: without this,
    every job imported the agents and the model SDK (about 0.5 s of a `/help` that takes 10 ms).
    Loaded in the worker before it forks, they are the horses' for free. Clients are still built in
    each horse, so no connection is shared between processes.
    """
    import importlib

    from bot.security.secrets import find

    for module in JOB_MODULES:
        importlib.import_module(module)
    find("")  # loads the secret detectors
    return runtime


_installed: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the one the jobs of this process run with."""
    global _installed
    _installed = runtime
    return runtime


def current() -> Runtime:
    """The installed runtime; a plain `rq worker` builds one from the environment on its first job."""
    if _installed is None:
        return install(Runtime.from_settings(Settings.from_env(os.environ)))
    return _installed

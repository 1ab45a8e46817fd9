"""The test and demo rig: the real bot processes wired to the harnesses on one machine.

A `Rig` starts the fake Gitea (HTTP, with a hook pointing at the receiver), the scripted model
server (optional), the receiver (`teabot serve`, gunicorn) and RQ workers (`teabot worker`) as real
child processes against a real Redis. Tests and `teabot demo` drive it; nothing here is Gitea or a
model, and nothing talks beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.events import signature_of
from harness import cast
from harness.cast import BOT, BOT_TOKEN
from harness.fake_gitea import FakeGitea

T = TypeVar("T")
SECRET = "rig-webhook-secret"
HOOK_EVENTS = ["issues", "issue_comment", "pull_request", "pull_request_comment", "workflow_run", "workflow_job", "status"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], T], timeout: float = 20.0, *, interval: float = 0.05, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; raise TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def session_members(session: int) -> list[int]:
    """Pids of the processes in session `session` (Linux /proc; empty elsewhere)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after "pid (comm)": state, ppid, pgrp, session
            members.append(int(stat.parent.name))
    return members


class Rig:
    """Fake Gitea + (scripted model) + receiver + workers, as real processes."""

    def __init__(self, workdir: Path, *, redis_url: str | None, model_url: str | None = None,
                 fake: FakeGitea | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.redis_url = redis_url
        self.model_url = model_url
        self.fake = fake or FakeGitea()
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.queue_name = f"teabot-rig-{uuid.uuid4().hex[:8]}"  # rigs sharing a Redis never take each other's jobs
        self.receiver: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.gitea_url = ""

    @property
    def url(self) -> str:
        """The receiver's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def seed(self) -> None:
        """The standard cast (harness.cast): the bot (admin), alice (write), bob (read) on acme/widget."""
        cast.seed(self.fake)

    def env(self) -> dict[str, str]:
        """The environment the bot's processes run with."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TEABOT_", "OPENAI_", "REDIS_URL"))}
        env = dict(keep, TEABOT_GITEA_URL=self.gitea_url, TEABOT_GITEA_TOKEN=BOT_TOKEN, TEABOT_WEBHOOK_SECRET=SECRET,
                   TEABOT_DATA_DIR=str(self.workdir / "data"), TEABOT_LOG_LEVEL="INFO", TEABOT_GITEA_RETRIES="2",
                   TEABOT_QUEUE=self.queue_name,
                   PYTHONUNBUFFERED="1")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if self.model_url:
            env.update(TEABOT_MODEL_BASE_URL=self.model_url, TEABOT_MODEL_API_KEY="rig-key", TEABOT_MODEL_MAX_RETRIES="0")
        env.update(self.extra_env)
        return env

    def start(self, *, workers: int = 1) -> Rig:
        """Start everything and wait until the receiver answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.gitea_url = self.fake.start()
        self.fake.add_hook("acme/widget", f"{self.url}/webhook", SECRET, HOOK_EVENTS)
        self.start_receiver()
        for _ in range(workers if self.redis_url else 0):
            self.start_worker()
        return self

    def start_receiver(self) -> None:
        """Run `teabot serve` on the rig's port."""
        self.receiver = self._spawn("receiver", "serve", "--port", str(self.port), "--workers", "1")
        wait_for(self._answers, 30, what=f"the receiver on port {self.port} (log: {self.workdir / 'receiver.log'})")

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Run one more `teabot worker`."""
        worker = self._spawn(f"worker{len(self.workers)}", "worker", "--name", f"rig-{uuid.uuid4().hex[:8]}")
        self.workers.append(worker)
        return worker

    def kill_workers(self, sig: int = signal.SIGKILL) -> None:
        """Stop every worker (SIGKILL by default: a crash, not a shutdown), work-horses included.

        rq's work-horse calls setpgrp(), so it escapes the worker's process group; it stays in the
        worker's session (we start each worker in a new one), which is how we find it."""
        for worker in self.workers:
            if worker.poll() is None:
                for pid in session_members(worker.pid) if sig == signal.SIGKILL else ():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.pid, sig)
                worker.wait(30)
        self.workers = [worker for worker in self.workers if worker.poll() is None]

    def horses(self) -> list[int]:
        """Pids of the workers' running work-horses (each leads a process group of its own in its worker's session)."""
        found = []
        for worker in self.workers:
            for pid in session_members(worker.pid):
                with contextlib.suppress(ProcessLookupError):
                    if pid != worker.pid and os.getpgid(pid) == pid:
                        found.append(pid)
        return found

    def stop(self) -> None:
        """Stop the processes and the fake servers (a worker that will not stop is killed, and the rest still stop)."""
        try:
            self.kill_workers(signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.kill_workers(signal.SIGKILL)
        finally:
            if self.receiver and self.receiver.poll() is None:
                os.killpg(self.receiver.pid, signal.SIGTERM)
                try:
                    self.receiver.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.receiver.pid, signal.SIGKILL)
            self.fake.stop()

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def deliver(self, event: str, payload: dict[str, Any], *, event_type: str | None = None,
                delivery: str | None = None, secret: str = SECRET) -> httpx.Response:
        """POST a delivery to the receiver, signed as Gitea signs it."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Gitea-Event": event, "X-Gitea-Event-Type": event_type or event,
                   "X-Gitea-Delivery": delivery or str(uuid.uuid4()), "X-Gitea-Signature": signature_of(body, secret)}
        return httpx.post(f"{self.url}/webhook", content=body, headers=headers, timeout=10)

    def logs(self) -> str:
        """Everything the bot's processes wrote, for failure messages."""
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-6000:]}" for p in sorted(self.workdir.glob("*.log")))

    def _answers(self) -> bool:
        if self.receiver is not None and self.receiver.poll() is not None:
            raise RuntimeError(f"the receiver exited with {self.receiver.returncode}:\n{self.logs()}")
        try:
            return httpx.get(f"{self.url}/ping", timeout=1).status_code == 204
        except httpx.HTTPError:
            return False

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        return subprocess.Popen([sys.executable, "-m", "bot", *args], env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                cwd=self.workdir, start_new_session=True)

"""What both fake CIs of the test harness share: one background thread that works through queued items in
order, a working directory (their own temporary one, or a given one) with per-repository state, and the
`python` shims their jobs run with.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import queue
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class SerialWorker(ABC, Generic[T]):
    """Runs `_execute(item)` for each submitted item, one at a time, on one daemon thread."""

    def __init__(self, workdir: Path | None, *, job_timeout: float, name: str) -> None:
        self.job_timeout = job_timeout
        self._name = name  # of the thread and the temporary workdir
        self._workdir = Path(workdir) if workdir else None
        self._own_workdir = workdir is None
        self._queue: queue.Queue[T | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def workdir(self) -> Path:
        """Where checkouts, the per-repository state and the `python` shims live."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"{self._name}-"))
        self._workdir.mkdir(parents=True, exist_ok=True)
        return self._workdir

    def state_dir(self, repo: str) -> Path:
        """`CI_STATE_DIR` of a repository: it outlives checkouts (deploy targets, flakiness counters)."""
        path = self.workdir / "state" / repo.replace("/", "__")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until nothing is queued or running."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._name} still busy after {timeout}s: {self._busy()}")

    def close(self) -> None:
        """Drop queued items, let the running one end, stop the thread; remove a workdir of our own."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.job_timeout + 10)
            self._thread = None
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _submit(self, item: T) -> None:
        with self._idle:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
        self._queue.put(item)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if not self._closed:
                    self._execute(item)
            except Exception as exc:  # a broken item must not stop the worker: it ends with the traceback
                log.exception("%s: %r crashed", self._name, item)
                self._crashed(item, exc, traceback.format_exc())
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    @abstractmethod
    def _execute(self, item: T) -> None:
        """Do the work of one item."""

    @abstractmethod
    def _crashed(self, item: T, error: Exception, trace: str) -> None:
        """Let the world know that `item` failed with `error` (formatted as `trace`)."""

    def _busy(self) -> str:
        return f"{self._pending} queued or running"


# What the sample repository's CI runs its tests with.
CI_REQUIREMENTS = ("pytest>=8,<10",)


def python_shims(workdir: Path) -> Path:
    """A directory whose `python` and `python3` are an interpreter that has what CI jobs need (pytest)."""
    shims = workdir / "bin"
    shims.mkdir(exist_ok=True)
    python = ci_python()
    for name in ("python", "python3"):
        path = shims / name
        if not path.exists():
            path.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n', encoding="utf-8")
            path.chmod(0o755)
    return shims


def ci_python() -> str:
    """This interpreter when it has pytest (a test run); otherwise a cached virtualenv with pytest, made once.

    `teabot demo` after a plain `pip install -e .` has no pytest, but the sample repository's CI runs it:
    the harness installs it into its own environment under the user's cache, never into teabot's.
    """
    if importlib.util.find_spec("pytest") is not None:
        return sys.executable
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "teabot-harness" / "ci-python"
    python = cache / "bin" / "python"
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.parent / "ci-python.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two harnesses starting at once build it once
        if not (cache / "ready").exists():
            log.warning("the sample CI needs %s: installing it into %s (once)", ", ".join(CI_REQUIREMENTS), cache)
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(cache)], check=True, capture_output=True)
                subprocess.run([str(python), "-m", "pip", "install", "-q", *CI_REQUIREMENTS], check=True,
                               capture_output=True, timeout=600)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                output = getattr(exc, "stderr", b"") or b""
                raise RuntimeError(f"could not install {', '.join(CI_REQUIREMENTS)} for the sample CI into {cache}: "
                                   f"{output.decode(errors='replace')[-500:]}; install pytest into this environment "
                                   "instead (pip install pytest)") from exc
            (cache / "ready").write_text("ok\n")
    return str(python)

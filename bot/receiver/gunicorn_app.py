"""Serve the receiver with gunicorn from inside `teabot serve` (no separate config file needed)."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from bot.config.settings import Settings


class TeabotApplication(BaseApplication):
    """A gunicorn application whose workers each build the app (and its spool drainer) after forking."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer gunicorns added (control_socket_*) are skipped on older ones
                self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.receiver.app import create_app, start_drainer
        from bot.worker.queues import make_queue
        from bot.worker.runtime import Runtime, install

        queue = make_queue(self.settings)  # built after the fork: the embedded queue's threads live in this worker
        if not self.settings.redis_url:
            from bot.worker.metered import metered
            from bot.worker.telemetry import LocalTelemetry

            # the embedded queue runs jobs here, so their Gitea calls and tokens are counted here
            telemetry = LocalTelemetry(registry=None)
            install(metered(Runtime.from_settings(self.settings, queue=queue), telemetry))
            queue.telemetry = telemetry  # type: ignore[attr-defined]  # and the jobs themselves, by outcome and time
            queue.resume()  # type: ignore[attr-defined]  # what the last process accepted and did not finish
        app = create_app(self.settings, queue=queue)
        start_drainer(app)
        return app


def prepare_metrics_dir() -> Path:
    """Set up prometheus-client's multiprocess mode for this serve: a fresh directory of its own.

    Without it each gunicorn worker keeps its own counters and consecutive scrapes disagree. A given
    PROMETHEUS_MULTIPROC_DIR is emptied first, as prometheus-client requires between runs.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="teabot-metrics-"))
    if not given:  # ours: removed when the gunicorn master exits (forked workers inherit atexit: not by them)
        atexit.register(_remove_if_owner, path, os.getpid())
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    # prometheus-client reads this variable, in the workers gunicorn forks from this process
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    if "prometheus_client.values" in sys.modules:  # imported before: pick the multiprocess value class now
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    return path


def _remove_if_owner(path: Path, owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def _child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay: they are part of the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run_gunicorn(settings: Settings, *, host: str, port: int, workers: int, threads: int,
                 control_socket: str | None = None) -> None:
    """Serve until stopped. One worker in embedded mode: the in-process queue lives in it."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 30,
        "accesslog": None,
        "loglevel": settings.log_level.lower(),
        "logger_class": TeabotLogger,
        "child_exit": _child_exit,
        # gunicorn ≥ 25's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), so two
        # serves collide and a read-only HOME logs an error at each start: off unless a path is given
        "control_socket_disable": control_socket is None,
        **({"control_socket": control_socket} if control_socket else {}),
    }
    TeabotApplication(settings, options).run()


class TeabotLogger(glogging.Logger):
    """gunicorn's logger writing through teabot's handler, so a JSON log stays JSON and secrets stay redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        handlers = list(logging.getLogger().handlers)  # installed by bot.logs.configure_logging
        if handlers:
            for logger in (self.error_log, self.access_log):
                logger.handlers[:] = handlers

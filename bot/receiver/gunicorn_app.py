"""Serve the receiver with gunicorn from inside `teabot serve` (no separate config file needed)."""

from __future__ import annotations

from typing import Any

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
            self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.receiver.app import create_app, start_drainer
        from bot.worker.queues import make_queue
        from bot.worker.runtime import Runtime, install

        queue = make_queue(self.settings)  # built after the fork: the embedded queue's threads live in this worker
        if not self.settings.redis_url:
            install(Runtime.from_settings(self.settings, queue=queue))  # the embedded queue runs jobs here
            queue.resume()  # type: ignore[attr-defined]  # what the last process accepted and did not finish
        app = create_app(self.settings, queue=queue)
        start_drainer(app)
        return app


def run_gunicorn(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
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
    }
    TeabotApplication(settings, options).run()

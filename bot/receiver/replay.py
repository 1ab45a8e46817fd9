"""`teabot replay`: put a saved payload through the receiver's path, in this process or over HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from bot.config.settings import Settings
from bot.events import signature_of


def build_delivery(data: dict[str, Any], event: str, event_type: str | None, secret: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of a delivery as Gitea would send it, signed with `secret`."""
    if set(data) >= {"headers", "body"}:  # a fixture: {"headers": {...}, "body": {...}}
        data = data["body"]
    body = json.dumps(data).encode()
    delivery = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "X-Gitea-Event": event,
        "X-Gitea-Event-Type": event_type or event,
        "X-Gitea-Delivery": delivery,
        "X-Gitea-Signature": signature_of(body, secret),
    }
    return headers, body


def replay_local(settings: Settings, headers: dict[str, str], body: bytes, *, wait: float) -> dict[str, Any]:
    """Handle the delivery with this process's app; wait for in-process jobs to finish."""
    from bot.receiver.app import create_app
    from bot.worker.queues import make_queue
    from bot.worker.runtime import Runtime, install

    queue = make_queue(settings)
    install(Runtime.from_settings(settings, queue=queue))
    app = create_app(settings, queue=queue)
    response = app.test_client().post("/webhook", data=body, headers=headers)
    outcome = response.get_json(silent=True) or {"status": response.status_code, "message": "nothing to do", "jobs": []}
    queue = app.extensions["teabot"].queue
    if outcome.get("jobs") and hasattr(queue, "join"):
        outcome["finished"] = queue.join(wait)
        outcome["results"] = {job: queue.results.get(job, "pending") for job in outcome["jobs"]}
    return outcome


def replay_remote(url: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """POST the delivery to a running receiver and return its answer."""
    response = httpx.post(url, content=body, headers=headers, timeout=10.0)
    if response.status_code == 204:
        return {"status": 204, "message": "not handled", "jobs": []}
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code, "message": response.text[:500], "jobs": []}

"""Signed webhook delivery of the fake Gitea test harness, on a background thread like Gitea's.

Headers and signatures follow Gitea 1.25 (services/webhook/deliver.go): X-Gitea-Signature is the
hex HMAC-SHA256 of the exact body, repeated as X-Gogs-Signature and `sha256=` X-Hub-Signature-256;
the body is indented JSON with <, > and & escaped as Go does. Gitea never retries a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from harness.fake_gitea.profiles import Profile
from harness.fake_gitea.state import Hook, Repo
from harness.fake_gitea.workflow_spec import glob_match, workflow_files

log = logging.getLogger(__name__)

ISSUE_TYPES = ("issues", "issue_assign", "issue_label", "issue_milestone", "issue_comment")
PULL_TYPES = ("pull_request", "pull_request_assign", "pull_request_label", "pull_request_milestone",
              "pull_request_comment", "pull_request_review_approved", "pull_request_review_rejected",
              "pull_request_review_comment", "pull_request_sync", "pull_request_review_request")
# Names accepted in a hook's `events` that stand for several event types (routers/api/v1/utils/hook.go).
FAMILIES = {
    "issues": ISSUE_TYPES, "issues_only": ("issues",), "pull_request": PULL_TYPES,
    "pull_request_only": ("pull_request",),
    "pull_request_review": ("pull_request_review_approved", "pull_request_review_rejected",
                            "pull_request_review_comment"),
}
HEADER_EVENT = {"issue_assign": "issues", "issue_label": "issues", "issue_milestone": "issues",
                "pull_request_assign": "pull_request", "pull_request_label": "pull_request",
                "pull_request_milestone": "pull_request", "pull_request_sync": "pull_request",
                "pull_request_review_request": "pull_request", "pull_request_comment": "issue_comment",
                "pull_request_review_approved": "pull_request_approved",
                "pull_request_review_rejected": "pull_request_rejected",
                "pull_request_review_comment": "pull_request_comment"}


def hook_wants(events: list[str], event_type: str) -> bool:
    """True when a hook subscribed to `events` receives `event_type` (no events means push only)."""
    return any(event_type in FAMILIES.get(name, (name,)) for name in (events or ["push"]))


def sends(profile: Profile, repo: Repo, event_type: str, payload: Any) -> bool:
    """True when this Gitea release sends `event_type` for `payload` at all.

    `workflow_job` exists from 1.24 and `workflow_run` from 1.25 (modules/webhook/type.go).
    services/webhook/notifier.go `WorkflowRunStatusUpdate` (v1.25.4) returns without sending when
    `convert.GetActionWorkflow` cannot find the run's workflow file on the default branch.
    """
    if event_type == "workflow_job":
        return profile.workflow_job_hook
    if event_type != "workflow_run":
        return True
    if not profile.workflow_run_hook:
        return False
    if not profile.workflow_run_needs_default_branch_file:
        return True
    head = repo.resolve(None)
    workflow = str((payload.get("workflow_run") or {}).get("path") or "").split("@", 1)[0]
    return head is not None and workflow in workflow_files(head.files)


def branch_matches(branch_filter: str, event_type: str, payload: Any) -> bool:
    """services/webhook/webhook.go `checkBranchFilter`: only create, delete and push carry a ref."""
    if branch_filter in ("", "*", "**") or event_type not in ("create", "delete", "push"):
        return True
    ref = str(payload.get("ref") or "")
    if event_type != "push":
        ref = f"refs/heads/{ref}" if payload.get("ref_type") == "branch" else f"refs/tags/{ref}"
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    return (branch is not None and glob_match(branch_filter, branch)) or glob_match(branch_filter, ref)


def expand_events(events: list[str]) -> list[str]:
    """The event types a hook created with `events` sends, as Gitea lists them back.

    routers/api/v1/utils/hook.go `updateHookEvents` (v1.25.4): no events means push only; "issues"
    and "pull_request" stand for their whole families; models/webhook `EventsArray` lists the types.
    """
    wanted = events or ["push"]
    known = ("create", "delete", "fork", "push", "repository", "wiki", "release", "package", "status",
             "workflow_run", "workflow_job", *ISSUE_TYPES, *PULL_TYPES)
    return sorted(t for t in known if hook_wants(wanted, t) or (t == "issues" and "issues_only" in wanted)
                  or (t == "pull_request" and "pull_request_only" in wanted))


def encode_body(payload: Any) -> bytes:
    """The payload as Gitea writes it: 2-space indented JSON, <>& escaped, no trailing newline."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def delivery_headers(event_type: str, delivery_id: str, body: bytes, secret: str,
                     target: str = "repository") -> dict[str, str]:
    """Gitea's delivery headers for a JSON body (signatures empty when the hook has no secret).

    services/webhook/deliver.go::addDefaultHeaders @v1.25.4: both signatures cover the JSON payload
    (also for form deliveries); the event is `HookEventType.Event()` (modules/webhook/type.go); the
    target type is "system" for a system hook, "repository" for a repository's, "organization" or
    "user" for an owner's. X-GitHub-* keys are set without canonicalising their case.
    """
    sig256 = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else ""
    sig1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest() if secret else ""
    event = HEADER_EVENT.get(event_type, event_type)
    headers = {"X-Gitea-Delivery": delivery_id, "X-Gitea-Event": event, "X-Gitea-Event-Type": event_type,
               "X-Gitea-Signature": sig256, "X-Gitea-Hook-Installation-Target-Type": target}
    headers |= {"X-Gogs-Delivery": delivery_id, "X-Gogs-Event": event, "X-Gogs-Event-Type": event_type,
                "X-Gogs-Signature": sig256, "X-Hub-Signature": f"sha1={sig1}",
                "X-Hub-Signature-256": f"sha256={sig256}"}
    headers |= {"X-GitHub-Delivery": delivery_id, "X-GitHub-Event": event, "X-GitHub-Event-Type": event_type,
                "X-GitHub-Hook-Installation-Target-Type": target}
    return headers


@dataclass
class Delivery:
    """One webhook delivery and its outcome (`status` None until sent; `error` when it failed)."""

    id: str
    hook_id: int
    url: str
    event: str  # X-Gitea-Event, e.g. "issue_comment"
    event_type: str  # X-Gitea-Event-Type, e.g. "pull_request_comment"
    headers: dict[str, str]
    body: bytes
    payload: Any
    status: int | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class Deliverer:
    """Sends deliveries one by one on a daemon thread; `transport` lets tests skip the network."""

    def __init__(self, transport: httpx.BaseTransport | None = None, timeout: float = 5.0) -> None:
        self.client = httpx.Client(transport=transport, timeout=timeout)  # Gitea's delivery timeout is 5 s
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, hook: Hook, event_type: str, payload: Any) -> Delivery:
        """Queue a signed delivery of `payload` to `hook`."""
        body = encode_body(payload)
        headers = delivery_headers(event_type, str(uuid.uuid4()), body, hook.secret, hook.target)
        if hook.content_type == "form":
            wire, headers["Content-Type"] = urlencode({"payload": body.decode()}).encode(), "application/x-www-form-urlencoded"
        else:
            wire, headers["Content-Type"] = body, "application/json"
        if hook.authorization_header:
            headers["Authorization"] = hook.authorization_header
        delivery = Delivery(headers["X-Gitea-Delivery"], hook.id, hook.url, headers["X-Gitea-Event"], event_type,
                            headers, wire, payload)
        with self._lock:
            self.deliveries.append(delivery)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="fake-gitea-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)
        return delivery

    def wait(self, timeout: float = 5.0) -> list[Delivery]:
        """Wait until every queued delivery was attempted; returns all deliveries so far."""
        deadline = time.monotonic() + timeout
        for delivery in list(self.deliveries):
            if not delivery.done.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"webhook delivery {delivery.id} to {delivery.url} still pending after {timeout}s")
        return list(self.deliveries)

    def close(self) -> None:
        """Stop the delivery thread after the queued deliveries."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        self.client.close()

    def _work(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                response = self.client.post(delivery.url, content=delivery.body, headers=delivery.headers)
                delivery.status = response.status_code
            except httpx.HTTPError as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
                log.warning("webhook delivery %s to %s failed: %s", delivery.id, delivery.url, delivery.error)
            finally:
                delivery.done.set()

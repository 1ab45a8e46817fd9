"""Webhook deliveries from Gitea: signature check, parsing and the `Event` value.  PURE.

Facts (Gitea 1.25 services/webhook/deliver.go): the signature is the lowercase hex HMAC-SHA256 of
the exact JSON payload under `X-Gitea-Signature` (and `X-Hub-Signature-256: sha256=<hex>`); with
the `form` content type the body is `payload=<urlencoded JSON>` and the JSON is what is signed.
`X-Gitea-Event` is the coarse event name, `X-Gitea-Event-Type` the fine one (a PR comment arrives as
`issue_comment` / `pull_request_comment`). Gitea never retries a delivery.

Exceptions::

    DeliveryError
     ├── SignatureError      401: missing or wrong signature, or no secret configured
     └── PayloadError        400: not JSON, not an object, too deep, a number too long, a bad repository
                                  name, unsupported content type, no event header

Bounds: a body is parsed only once its signature matched, and then with at most `MAX_DEPTH` levels of
nesting and `MAX_NUMBER_DIGITS` digits per number (Gitea's payloads nest about 6 deep and carry ids),
so a hostile but validly signed body is a 400, never a RecursionError.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

# Gitea's spellings of actions (not GitHub's).
CREATED, EDITED, DELETED, OPENED, CLOSED, REOPENED = "created", "edited", "deleted", "opened", "closed", "reopened"
SYNCHRONIZED, LABEL_UPDATED, LABEL_CLEARED, REVIEWED = "synchronized", "label_updated", "label_cleared", "reviewed"
COMPLETED, REQUESTED, IN_PROGRESS = "completed", "requested", "in_progress"

MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 40
# Gitea's owner and repository names: alphanumerics, '-', '_' and '.', not "." or ".." (models/user, repo name rules).
REPO_NAME = re.compile(r"(?!\.\.?/)[A-Za-z0-9_.-]{1,100}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}")

# Marker the bot leaves (hidden) in everything it writes, so its own output is recognisable.
BOT_MARKER = "<!-- teabot"


class DeliveryError(Exception):
    """A delivery was refused; `status` is the HTTP status to answer with."""

    status = 400


class SignatureError(DeliveryError):
    """The delivery is not signed with our secret."""

    status = 401


class PayloadError(DeliveryError):
    """The delivery is signed but its body or headers cannot be understood."""

    status = 400


def signature_of(payload: bytes, secret: str) -> str:
    """Gitea's signature of `payload`: lowercase hex HMAC-SHA256."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify_signature(payload: bytes, headers: Mapping[str, str], secret: str | None) -> None:
    """Raise SignatureError unless a signature header matches `payload` (constant-time compare)."""
    if not secret:
        raise SignatureError("no webhook secret is configured: set TEABOT_WEBHOOK_SECRET and the same secret on the Gitea hook")
    given = _header(headers, "X-Gitea-Signature") or _header(headers, "X-Gogs-Signature")
    if not given:
        hub = _header(headers, "X-Hub-Signature-256")
        given = hub[len("sha256="):] if hub.startswith("sha256=") else ""
    if not given:
        raise SignatureError("missing X-Gitea-Signature: give the Gitea webhook a secret equal to TEABOT_WEBHOOK_SECRET")
    if not hmac.compare_digest(given.strip().lower().encode(), signature_of(payload, secret).encode()):
        raise SignatureError("X-Gitea-Signature mismatch: check TEABOT_WEBHOOK_SECRET matches the hook secret in Gitea")


def signed_payload(headers: Mapping[str, str], body: bytes) -> bytes:
    """The bytes Gitea signed: the body for JSON, the `payload` field for form deliveries.

    A form body whose `payload` cannot be found has no signed bytes to check: that is a SignatureError
    (401), so nothing unsigned is ever answered with a parse error."""
    content_type = _header(headers, "Content-Type").split(";")[0].strip().lower()
    if content_type in ("application/json", "", "text/json"):
        return body
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        if len(fields.get("payload", ())) != 1:
            raise SignatureError("form delivery without one signed `payload` field: check the hook's secret, "
                                 "or set its content type to application/json")
        return fields["payload"][0].encode("utf-8")
    raise PayloadError(f"unsupported Content-Type {content_type!r}: set the Gitea hook to POST application/json")


def parse_payload(payload: bytes) -> dict[str, Any]:
    """The JSON object of a verified payload, within the depth and number bounds; PayloadError otherwise."""
    try:
        data = json.loads(payload, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise PayloadError(f"body is nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise PayloadError("body is JSON but not an object")
    if _depth(data) > MAX_DEPTH:
        raise PayloadError(f"body is nested deeper than {MAX_DEPTH} levels")
    repo = dig(data, "repository", "full_name")
    if repo is not None and not (isinstance(repo, str) and REPO_NAME.fullmatch(repo)):
        raise PayloadError(f"repository.full_name {str(repo)[:80]!r} is not an owner/name pair Gitea would send")
    return data


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise PayloadError(f"body has a number of {len(text)} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS * 2:
        raise PayloadError(f"body has a number of {len(text)} characters (at most {MAX_NUMBER_DIGITS * 2})")
    return float(text)


def _no_constant(text: str) -> Any:
    raise PayloadError(f"body has {text}, which is not JSON")


def _depth(data: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


@dataclass(frozen=True)
class Event:
    """One verified webhook delivery."""

    name: str  # X-Gitea-Event (coarse)
    type: str  # X-Gitea-Event-Type (fine); equals name when absent
    delivery_id: str
    payload: Mapping[str, Any]

    @classmethod
    def from_http(cls, headers: Mapping[str, str], body: bytes, secret: str | None) -> Event:
        """Verify the signature of a delivery, then parse it."""
        payload = signed_payload(headers, body)
        verify_signature(payload, headers, secret)
        name = _header(headers, "X-Gitea-Event") or _header(headers, "X-Gogs-Event") or _header(headers, "X-GitHub-Event")
        if not name:
            raise PayloadError("missing X-Gitea-Event header: this does not look like a Gitea webhook delivery")
        data = parse_payload(payload)
        return cls(
            name=name.strip(),
            type=(_header(headers, "X-Gitea-Event-Type") or name).strip(),
            delivery_id=_header(headers, "X-Gitea-Delivery") or _header(headers, "X-GitHub-Delivery") or hashlib.sha256(payload).hexdigest()[:32],
            payload=data,
        )

    def get(self, *keys: str) -> Any:
        """The payload value at a path of keys, or None when any step is missing or not an object."""
        return dig(self.payload, *keys)

    @property
    def action(self) -> str:
        """The payload's `action` ("" for events without one, such as push and status)."""
        action = self.payload.get("action")
        return action if isinstance(action, str) else ""

    @property
    def repo(self) -> str:
        """Full name "owner/name" of the repository the event is about ("" when absent)."""
        return str(dig(self.payload, "repository", "full_name") or "")

    @property
    def sender(self) -> str:
        """Login of the account that caused the event."""
        return str(dig(self.payload, "sender", "login") or dig(self.payload, "sender", "username") or "")

    @property
    def is_pull(self) -> bool:
        """True for events on a pull request (including comments on one)."""
        return bool(self.payload.get("is_pull")) or self.type.startswith("pull_request") or bool(dig(self.payload, "issue", "pull_request"))

    @property
    def content_key(self) -> str:
        """A key that is equal for the same change, whatever the delivery id (manual replays resend the body)."""
        parts = [self.name, self.repo, self.action, *self._identity()]
        return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]

    def _identity(self) -> tuple[object, ...]:
        p = self.payload
        if self.name == "issue_comment":
            return ("comment", dig(p, "comment", "id"), dig(p, "comment", "updated_at"))
        # Gitea 1.26 re-runs keep the run id and leave `run_attempt` at 0 (PR #36768): the time the run or
        # job ended tells a re-run's result from the first one's; a manual replay resends the same time.
        if self.name == "workflow_run":
            run = p.get("workflow_run") or {}
            return ("run", run.get("id"), run.get("run_attempt"), run.get("status"), run.get("conclusion"),
                    run.get("completed_at") or run.get("updated_at"))
        if self.name == "workflow_job":
            job = p.get("workflow_job") or {}
            return ("job", job.get("id"), job.get("run_attempt"), job.get("status"), job.get("conclusion"),
                    job.get("completed_at"))
        if self.name == "status":
            return ("status", p.get("id"), p.get("sha"), p.get("context"), p.get("state"), p.get("updated_at"))
        if self.name == "push":
            return ("push", p.get("ref"), p.get("before"), p.get("after"))
        for key in ("pull_request", "issue"):
            if isinstance(p.get(key), dict):
                return (key, p[key].get("id"), p[key].get("updated_at"), dig(p, "label", "id"))
        return ("body", hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest())


# Results of pipelines: the bot waits for these even when its own push or dispatch started the run.
RESULT_EVENTS = frozenset({"workflow_run", "workflow_job", "status"})


def is_bot_event(event: Event, bot_login: str | None) -> bool:
    """True when the bot's own account caused the event, or it is a comment the bot wrote.

    Pipeline results are never "the bot's own": a run the bot's fix started is what its session
    waits for (the debug handlers ignore failures on the bot's own `teabot/` branches instead).
    """
    if event.name in RESULT_EVENTS:
        return False
    if bot_login and event.sender.lower() == bot_login.lower():
        return True
    comment = event.payload.get("comment")
    if isinstance(comment, dict):
        author = str(dig(comment, "user", "login") or "")
        if bot_login and author.lower() == bot_login.lower():
            return True
        return str(comment.get("body") or "").lstrip().startswith(BOT_MARKER)
    return False


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return value or ""


def dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]…`, or None where a key is missing or a value is not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data

"""The plan lives with the issue: a machine-readable block hidden in the bot's plan comment.

The block is an HTML comment (Gitea does not display it):
`<!-- teabot:plan v=3 schema=2 sum=<16 hex> [sig=<64 hex>] data=<base64 of zlib-compressed JSON> -->`.
`v` is the plan's revision; `schema` the format of `data`. Schema 1 (blocks without `schema=`,
written before the design's contract was followed) read a dependency backwards (`source_id`
depended on `target_id`); such blocks are converted on read, so old plans keep their order.
Edits to the visible part of the comment never touch it. `sum` catches a damaged block; it is
no defence against forgery, since anyone can paste a well-formed block into their own comment.
Trust therefore comes from WHO wrote the comment: callers must only `extract` from comments
authored by the bot account (`latest_plan` does that) and pass the server's plan key
(`Settings.plan_key`, never the webhook secret) as `secret`: then only blocks signed with it
(HMAC-SHA256 over version, schema and data) count. Migration: blocks written before signing
have no `sig`; `latest_plan(..., signed_since=<upgrade time>)` still accepts an unsigned block
from a bot-authored comment created before that time, and no other; the next revision is signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone

from bot.plan.core.model import Plan
from bot.plan.core.validation import validate_plan

SCHEMA = 2
BLOCK = re.compile(
    r"<!--\s*teabot:plan\s+v=(?P<v>\d{1,9})(?:\s+schema=(?P<schema>\d{1,3}))?\s+sum=(?P<sum>[0-9a-f]{16})"
    r"(?:\s+sig=(?P<sig>[0-9a-f]{64}))?\s+data=(?P<data>[A-Za-z0-9+/=\s]+?)\s*-->"
)


def embed(plan: Plan, version: int, *, secret: bytes | None = None) -> str:
    """The hidden block carrying `plan` as version `version` (signed when `secret` is given)."""
    raw = json.dumps(plan.to_dict(), sort_keys=True, separators=(",", ":")).encode()
    data = base64.b64encode(zlib.compress(raw, 9)).decode()
    sig = f" sig={_sign(secret, version, data, SCHEMA)}" if secret else ""
    return f"<!-- teabot:plan v={version} schema={SCHEMA} sum={_sum(data)}{sig} data={data} -->"


def extract(comment_body: str, *, secret: bytes | None = None,
            allow_unsigned: bool = False) -> tuple[Plan, int] | None:
    """The plan and version from the last intact block in a comment, or None.

    A block counts only when its checksum matches, it decodes to a valid plan and, when a
    `secret` is given, its signature verifies. The caller must still check the comment's author.
    """
    for match in reversed(list(BLOCK.finditer(comment_body))):
        found = _decode(match, None if allow_unsigned and not match["sig"] else secret)
        if found is not None:
            return found
    return None


def latest_plan(comments: Iterable[tuple[str, ...]], *, author: str, secret: bytes | None = None,
                signed_since: str | None = None) -> tuple[Plan, int] | None:
    """The highest-version plan among `(author_login, body[, created_at])` comments written by `author`.

    With `secret`, blocks must be signed, except (with `signed_since`, an ISO time) unsigned blocks
    of comments created before it: the plans written before the upgrade. Pass the comment's
    `created_at`, never `updated_at`: an edit must not move a comment to before the upgrade.
    """
    found = []
    for login, body, *rest in comments:
        if login != author:
            continue
        legacy = bool(secret and signed_since and rest and _before(str(rest[0]), signed_since))
        found.append(extract(body, secret=secret, allow_unsigned=legacy))
    return max((f for f in found if f is not None), key=lambda f: f[1], default=None)


def _before(created: str, since: str) -> bool:
    """True when ISO time `created` is earlier than `since` (offsets honoured, none means UTC; unreadable: False)."""
    try:
        moments = [datetime.fromisoformat(text.strip()) for text in (created, since)]
    except ValueError:
        return False
    first, second = (m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments)
    return first < second


def strip_block(comment_body: str) -> str:
    """The comment without its plan block (e.g. to quote or diff the visible part)."""
    return BLOCK.sub("", comment_body).rstrip() + "\n"


def _decode(match: re.Match[str], secret: bytes | None) -> tuple[Plan, int] | None:
    version, data = int(match["v"]), "".join(match["data"].split())
    schema = int(match["schema"] or 1)
    if not hmac.compare_digest(match["sum"], _sum(data)) or schema > SCHEMA:
        return None
    if secret and not (match["sig"] and hmac.compare_digest(match["sig"], _sign(secret, version, data, schema))):
        return None
    try:
        payload = json.loads(zlib.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, zlib.error, ValueError):
        return None
    plan, _ = validate_plan(upgrade(payload, schema))
    return None if plan is None else (plan, version)


def upgrade(payload: object, schema: int) -> object:
    """Plan data of an older schema in today's shape (schema 1: each dependency's ends swapped)."""
    if schema >= SCHEMA or not isinstance(payload, dict) or not isinstance(payload.get("dependencies"), list):
        return payload
    swapped = [{**d, "source_id": d.get("target_id"), "target_id": d.get("source_id")} if isinstance(d, dict) else d
               for d in payload["dependencies"]]
    return {**payload, "dependencies": swapped}


def _sum(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _sign(secret: bytes, version: int, data: str, schema: int) -> str:
    tag = f"teabot:plan v={version} {data}" if schema == 1 else f"teabot:plan v={version} schema={schema} {data}"
    return hmac.new(secret, tag.encode(), hashlib.sha256).hexdigest()

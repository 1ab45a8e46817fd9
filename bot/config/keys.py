"""The server's own keys: from the environment, else generated once into the data directory (mode 0600).

The plan key signs plan blocks (`bot.plan.core.embed`); the hand-over key derives each repository's
Actions hand-over credential (`bot.security.handover`). Neither is ever the webhook secret, which is
shared with Gitea. `plan-signed-since` records when this server began signing plan blocks, so plans
written before the upgrade stay readable.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.config.settings import ConfigError, Settings

SIGNED_SINCE_FILE = "plan-signed-since"


def ensure_plan_key(settings: Settings) -> Settings:
    """Settings with a plan key (TEABOT_PLAN_KEY, else generated) and the time signing began."""
    key = settings.plan_key or _generated_key(settings.plan_key_file, "TEABOT_PLAN_KEY")
    return settings.replace(plan_key=key, plan_signed_since=signing_began(settings))


def signing_began(settings: Settings) -> str:
    """When this server began signing plan blocks (ISO 8601, UTC), recorded once in the data directory.

    The first record is the plan key file's modification time when there is one (a server that
    generated its key before this record existed began signing then), else now.
    """
    path = settings.data_dir / SIGNED_SINCE_FILE
    if path.is_file() and (recorded := path.read_text().strip()):
        return recorded
    key_file = settings.plan_key_file
    began = min(time.time(), key_file.stat().st_mtime) if key_file.is_file() else time.time()
    text = datetime.fromtimestamp(began, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another process recorded it first: its time counts
        return path.read_text().strip() or text
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    return text


def handover_key(settings: Settings) -> bytes:
    """The hand-over key: TEABOT_HANDOVER_KEY, else the one generated into the data directory.

    Read on every use (hand-overs are rare), so `teabot handover rotate-key` takes effect without a restart.
    """
    return (settings.handover_key or _generated_key(settings.handover_key_file, "TEABOT_HANDOVER_KEY")).encode()


def rotate_handover_key(settings: Settings) -> Path:
    """Replace the generated hand-over key with a new one: every repository's credential stops working."""
    if settings.handover_key:
        raise ConfigError("TEABOT_HANDOVER_KEY is set, so the key is yours to change: set a new value, restart the "
                          "server, and re-issue every repository's credential")
    path = settings.handover_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(path.name + ".new")
    spare.unlink(missing_ok=True)
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.replace(spare, path)  # atomic: a reader sees the old key or the new one, never half of one
    return path


def _generated_key(path: Path, variable: str) -> str:
    """The key in `path`, generated there (O_EXCL, mode 0600: never readable by others) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _written_key(path, variable)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def _written_key(path: Path, variable: str, wait_s: float = 5.0) -> str:
    """The key another process generated; it may have created the file and not yet written it."""
    deadline = time.monotonic() + wait_s
    while True:
        key = path.read_text().strip()
        if key or time.monotonic() > deadline:
            if not key:
                raise ConfigError(f"{path} is empty: delete it (teabot generates a new key) or set {variable}")
            return key
        time.sleep(0.05)

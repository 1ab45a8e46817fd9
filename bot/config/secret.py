"""The webhook secret: TEABOT_WEBHOOK_SECRET, or one generated once into the data directory."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config.settings import Settings

SECRET_FILE = "webhook-secret"


@dataclass(frozen=True)
class Secret:
    """A webhook secret and where it came from, in words for the operator."""

    value: str
    source: str
    generated: bool = False


def secret_path(settings: Settings) -> Path:
    """The file a generated secret lives in."""
    return settings.data_dir / SECRET_FILE


def find_secret(settings: Settings) -> Secret | None:
    """The secret every command uses, without creating one (None when there is none yet)."""
    if settings.webhook_secret:
        return Secret(settings.webhook_secret, "TEABOT_WEBHOOK_SECRET")
    path = secret_path(settings)
    if path.is_file():
        return Secret(path.read_text().strip(), str(path))
    return None


def ensure_secret(settings: Settings) -> Secret:
    """The secret every command uses, generating one into the data directory the first time."""
    found = find_secret(settings)
    if found is not None:
        return found
    path = secret_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(24)
    # O_EXCL: two commands starting at once must not each write a different secret
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Secret(path.read_text().strip(), str(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return Secret(value, str(path), generated=True)

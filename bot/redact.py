"""Secret redaction for everything the bot emits: logs, comments, PR bodies, commit messages, the ledger, model messages.

`redact(text)` replaces every secret `bot.security.secrets.find` locates (detect-secrets' plugins,
teabot's own patterns, an entropy check, tokens split across lines) with `[REDACTED]`. It leaves
commit SHAs, digests, UUIDs and prose that merely names a secret variable alone.
"""

from __future__ import annotations

from bot.security.secrets import find

MASK = "[REDACTED]"


def redact(text: str) -> str:
    """Replace every secret found in `text` with [REDACTED]."""
    if not text:
        return text
    parts, last = [], 0
    for start, end in find(text):
        parts += [text[last:start], MASK]
        last = end
    return "".join(parts) + text[last:] if parts else text


def redact_bytes(data: bytes) -> bytes:
    """`redact` for bytes: decoded as UTF-8 (invalid bytes kept as escapes) and encoded back."""
    return redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

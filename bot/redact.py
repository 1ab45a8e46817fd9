"""Secret redaction for everything the bot emits: logs, comments, model messages.

`redact(text)` replaces access tokens, API keys, JWTs, authorization headers, password-style
assignments, PEM private-key blocks and credentials in URLs with `[REDACTED]`. It leaves
commit SHAs, UUIDs and ordinary words alone unless a token/authorization word introduces them.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END \1-----|\Z)", re.DOTALL
)
_URL_CREDENTIALS = re.compile(r"(?<=://)[^\s/@:'\"<>]+:[^\s/@'\"<>]*@|(?<=://)[^\s/@:'\"<>]{20,}@")
_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*[\"']?(?:bearer|token|basic|digest|bot)?\s*)"
    r"(?!(?:bearer|token|basic|digest|bot)\b)[A-Za-z0-9._~+/=\-]{6,}"
)
_KNOWN_TOKENS = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{16,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|sk-(?:proj-|live-|test-|ant-)?[A-Za-z0-9_\-]{20,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{40,})\b"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")
_TOKEN_WORD_HEX = re.compile(
    r"(?i)\b((?:access[_-]?)?token|auth|bearer|api[_-]?key|secret)(\b[\"']?\s*[:=]?\s*[\"']?)([0-9a-f]{40})\b"
)
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w-])([\w.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?)[\w.-]*[\"']?\s*(?:=|:|=>)\s*)"
    r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}\])]+)"
)
_PLACEHOLDER = re.compile(r"^[\"']?(?:\[REDACTED\]?|\$.*|\*+|\[secure\]|<[^>]*>|\$\{?\{?[\w.\s]+\}?\}?|%\w+%|null|none|"
                          r"true|false|)[\"']?$", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace every secret found in `text` with [REDACTED]."""
    if not text:
        return text
    text = _PEM.sub(MASK, text)
    text = _URL_CREDENTIALS.sub(MASK + "@", text)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = _KNOWN_TOKENS.sub(MASK, text)
    text = _JWT.sub(MASK, text)
    text = _TOKEN_WORD_HEX.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _ASSIGNMENT.sub(_mask_value, text)


# Words that follow "NAME:" in prose ("TEABOT_GITEA_TOKEN: must be set"), never a secret's value.
_PROSE = frozenset({"must", "is", "are", "was", "not", "should", "needs", "need", "has", "have", "be", "missing",
                    "required", "invalid", "unset", "empty", "expired", "rejected", "set", "the", "a", "an", "no"})


def _mask_value(match: re.Match[str]) -> str:
    value = match.group(2)
    if _PLACEHOLDER.match(value) or value.lower() in _PROSE:
        return match.group(0)
    quote = value[0] if value[0] in "\"'" and value.endswith(value[0]) and len(value) > 1 else ""
    return match.group(1) + quote + MASK + quote


def redact_bytes(data: bytes) -> bytes:
    """`redact` for bytes: decoded as UTF-8 (invalid bytes kept as escapes) and encoded back."""
    return redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

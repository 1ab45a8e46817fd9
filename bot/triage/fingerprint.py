"""Fingerprints: the same failure gets the same id across runs, timestamps, paths and line numbers."""

from __future__ import annotations

import re

from bot.triage.category import Category
from bot.triage.text import tokens

KEY_LINES = 3
_PATHISH = re.compile(r"(?:[\w.\-~]*/)+")


def key_tokens(texts: list[str]) -> tuple[str, ...]:
    """Normalised tokens of the key lines, directories dropped, in order of appearance."""
    out: list[str] = []
    for text in texts:
        out.extend(tokens(_PATHISH.sub("", text)))
    return tuple(out)


def fingerprint(category: Category, texts: list[str]) -> str:
    """A short stable id for a failure from its category and the text of its key lines."""
    import hashlib  # here, not at the top: loading OpenSSL costs more than a whole short triage

    material = category.value + "\n" + " ".join(key_tokens(texts))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """Jaccard similarity of two token sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)

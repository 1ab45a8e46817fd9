"""The value a triage returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.triage.category import Category


@dataclass(frozen=True)
class Triage:
    """Where and why a job log says it failed.

    `lines` are 1-based numbers in the raw log (pieces split on b"\\n"); a long contiguous report
    can make them more than `max_lines`, while `excerpt` always stays within about `max_lines`.
    `tokens` are the normalised words of the key lines, for similarity searches.
    """

    lines: tuple[int, ...]
    excerpt: str
    category: Category
    fingerprint: str
    summary: str
    tokens: tuple[str, ...] = ()
    n_lines: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form printed by `teabot triage --json`."""
        return {
            "lines": list(self.lines),
            "excerpt": self.excerpt,
            "category": self.category.value,
            "fingerprint": self.fingerprint,
            "summary": self.summary,
        }

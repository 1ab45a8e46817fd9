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
    `tokens` are the normalised words of the key lines, for similarity searches. `learned` are the
    lines that a shape confirmed on an earlier failure of the repository picked.
    """

    lines: tuple[int, ...]
    excerpt: str
    category: Category
    fingerprint: str
    summary: str
    tokens: tuple[str, ...] = ()
    n_lines: int = 0
    learned: tuple[int, ...] = ()

    @property
    def explanation(self) -> str:
        """Why lines were picked beyond the rules: the ones a learned shape ranked first."""
        if not self.learned:
            return ""
        return (f"{len(self.learned)} line(s) ranked first because they are shaped like cause lines confirmed "
                f"on earlier failures of this repository: {', '.join(map(str, self.learned))}")

    def to_json(self) -> dict[str, Any]:
        """The JSON form printed by `teabot triage --json`."""
        reply = {
            "lines": list(self.lines),
            "excerpt": self.excerpt,
            "category": self.category.value,
            "fingerprint": self.fingerprint,
            "summary": self.summary,
        }
        if self.learned:      # only when learned state was used and picked something
            reply["learned"] = list(self.learned)
            reply["explanation"] = self.explanation
        return reply

"""Human-readable pieces of a triage: the numbered excerpt and the one-line summary."""

from __future__ import annotations

from bot.redact import redact
from bot.triage.category import Category

SUMMARY_WIDTH = 200
LINE_WIDTH = 400


def excerpt(numbered: list[tuple[int, str]], max_lines: int) -> str:
    """Numbered, redacted lines; gaps marked with `…`; long excerpts keep their head and tail."""
    if len(numbered) > max_lines:
        tail = max(1, max_lines // 4)
        head = max(1, max_lines - tail)
        skipped = len(numbered) - head - tail
        shown = numbered[:head] + [(0, f"… {skipped} more lines …")] + numbered[-tail:]
    else:
        shown = numbered
    width = len(str(max((n for n, _ in shown), default=1)))
    out, prev = [], None
    for number, text in shown:
        if number == 0:
            out.append(f"{'':>{width}} | {text}")
            prev = None
            continue
        if prev is not None and number != prev + 1:
            out.append(f"{'':>{width}} | …")
        out.append(f"{number:>{width}} | {_clip(text, LINE_WIDTH)}")
        prev = number
    return redact("\n".join(out))


def summary(category: Category, key_text: str | None) -> str:
    """One line: the category and the line that best states the failure."""
    if not key_text:
        return f"{category.value}: no failure found in the log"
    return redact(f"{category.value}: {_clip(' '.join(key_text.split()), SUMMARY_WIDTH)}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"

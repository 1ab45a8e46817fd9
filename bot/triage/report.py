"""Human-readable pieces of a triage: the numbered excerpt and the one-line summary."""

from __future__ import annotations

from bot.redact import redact
from bot.triage.category import Category

SUMMARY_WIDTH = 200
LINE_WIDTH = 400


LEARNED_MARK = "*"
LEARNED_NOTE = "(* = shaped like a cause line confirmed on an earlier failure of this repository)"
AFTER_KEY = 2           # lines shown after each key line when an excerpt is cut
KEY_WINDOWS = 3         # key lines rescued from the cut at most


def excerpt(numbered: list[tuple[int, str]], max_lines: int, keep: tuple[int, ...] = (),
            learned: frozenset[int] = frozenset()) -> str:
    """Numbered, redacted lines; gaps marked with `…`; a long excerpt keeps its head, its tail and the
    `keep` lines (the strongest first, each with the lines after it); `learned` lines carry a mark."""
    shown = _shown(numbered, max_lines, keep) if len(numbered) > max_lines else numbered
    width = len(str(max((n for n, _ in shown), default=1)))
    out, prev = [], None
    for number, text in shown:
        if number == 0:
            out.append(f"{'':>{width}} | {text}")
            prev = None
            continue
        if prev is not None and number != prev + 1:
            out.append(f"{'':>{width}} | …")
        bar = LEARNED_MARK if number in learned else "|"
        out.append(f"{number:>{width}} {bar} {_clip(text, LINE_WIDTH)}")
        prev = number
    if learned & {n for n, _ in shown}:
        out.append(LEARNED_NOTE)
    return redact("\n".join(out))


def _shown(numbered: list[tuple[int, str]], max_lines: int, keep: tuple[int, ...]) -> list[tuple[int, str]]:
    """About `max_lines` rows: the head, the tail, and each `keep` line that would fall into the cut
    (with the lines after it), "… N more lines …" marking each cut."""
    tail = max(1, max_lines // 4)
    head = max(1, max_lines - tail)
    position = {n: i for i, (n, _) in enumerate(numbered)}
    windows: list[range] = []
    for number in keep[:KEY_WINDOWS]:
        at = position.get(number)
        cost = AFTER_KEY + 2                # the window and the marker before it
        if at is None or head - cost < max_lines // 4 or not head - cost <= at < len(numbered) - tail:
            continue
        if any(at in w for w in windows):
            continue
        windows.append(range(at, min(at + 1 + AFTER_KEY, len(numbered) - tail)))
        head -= cost
    picked = sorted({*range(head), *(i for w in windows for i in w), *range(len(numbered) - tail, len(numbered))})
    out: list[tuple[int, str]] = []
    prev = -1
    for i in picked:
        if i > prev + 1:
            out.append((0, f"… {i - prev - 1} more lines …"))
        out.append(numbered[i])
        prev = i
    return out


def summary(category: Category, key_text: str | None) -> str:
    """One line: the category and the line that best states the failure."""
    if not key_text:
        return f"{category.value}: no failure found in the log"
    return redact(f"{category.value}: {_clip(' '.join(key_text.split()), SUMMARY_WIDTH)}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"

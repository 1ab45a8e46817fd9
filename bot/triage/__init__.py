"""Model-free CI log triage: the lines that say why a job failed, a category, a fingerprint.

    result = triage(open("job.log", "rb"), baseline=open("last-green.log", "rb"))
    result.lines, result.excerpt, result.category, result.fingerprint, result.summary

Pure: reads only the streams it is given, in bounded memory (see `reading`).
"""

from __future__ import annotations

from typing import BinaryIO

from bot.triage.category import Category, decide
from bot.triage.fingerprint import fingerprint, jaccard, key_tokens
from bot.triage.reading import LogView, read_view
from bot.triage.report import excerpt, summary
from bot.triage.result import Triage
from bot.triage.scoring import Line, StepEnd, analyse
from bot.triage.selection import ANCHOR, blocks, choose, fallback, with_lead_in
from bot.triage.text import clean, normalise

__all__ = ["Category", "Triage", "triage", "baseline_keys", "jaccard", "key_tokens"]

Source = BinaryIO | bytes | bytearray


def triage(source: Source, baseline: Source | None = None, *, max_lines: int = 40) -> Triage:
    """Find the lines of a CI log that state why the job failed, and describe the failure."""
    view = read_view(source)
    keys = baseline_keys(baseline) if baseline is not None else frozenset()
    lines, ends = analyse(view, keys)
    chosen = _chosen_lines(lines, ends, max(1, max_lines))
    return _result(view, chosen, max(1, max_lines))


def baseline_keys(source: Source) -> frozenset[str]:
    """Normalised text of the kept lines of a passing log, for demoting lines seen there too."""
    view = read_view(source)
    return frozenset(key for key in (normalise(clean(raw)) for raw in view.lines.values()) if key)


def _chosen_lines(lines: list[Line], ends: list[StepEnd], budget: int) -> list[Line]:
    """The lines of the chosen blocks with their lead-in lines, and the failed step's closing line."""
    picked = choose(blocks(lines), budget)
    if not picked:
        return fallback(lines)
    chosen = sorted({ln.number: ln for block in picked for ln in with_lead_in(lines, block).lines}.values(),
                    key=lambda ln: ln.number)
    last = chosen[-1].number
    closing = next((e for e in ends if e.failed and last < e.number <= last + 30), None)
    if closing is not None:
        chosen.extend(ln for ln in lines if ln.number == closing.number)
    return chosen


def _result(view: LogView, chosen: list[Line], max_lines: int) -> Triage:
    """Category, fingerprint, summary and excerpt of the chosen lines."""
    strong = sorted((ln for ln in chosen if ln.score >= ANCHOR), key=lambda ln: (-ln.score, ln.number))
    key = sorted(strong[:3] or chosen[-1:], key=lambda ln: ln.number)
    category = decide((ln.category, ln.score ** 2) for ln in (strong or chosen))
    texts = [ln.text for ln in key]
    numbered = [(ln.number, ln.text) for ln in chosen]
    return Triage(
        lines=tuple(ln.number for ln in chosen),
        excerpt=excerpt(numbered, max_lines),
        category=category,
        fingerprint=fingerprint(category, texts),
        summary=summary(category, strong[0].text if strong else (texts[0] if texts else None)),
        tokens=key_tokens(texts),
        n_lines=view.n_lines,
    )


"""Model-free CI log triage: the lines that say why a job failed, a category, a fingerprint.

    result = triage(open("job.log", "rb"), baseline=open("last-green.log", "rb"))
    result.lines, result.excerpt, result.category, result.fingerprint, result.summary

Pure: reads only the streams it is given, in bounded memory (see `reading`).
"""

from __future__ import annotations

from typing import BinaryIO

from bot.triage.budget import FAR, RESERVE, bridge, exit_line, fill, last_words
from bot.triage.category import Category, decide
from bot.triage.families import FAMILIES, Family
from bot.triage.fingerprint import fingerprint, jaccard, key_tokens
from bot.triage.reading import LogView, read_view
from bot.triage.report import excerpt, summary
from bot.triage.result import Triage
from bot.triage.scoring import Line, StepEnd, analyse
from bot.triage.selection import ANCHOR, blocks, choose, fallback, with_lead_in
from bot.triage.shapes import Learned
from bot.triage.text import clean, normalise

__all__ = ["Category", "Learned", "Triage", "triage", "baseline_keys", "jaccard", "key_tokens"]

Source = BinaryIO | bytes | bytearray | LogView  # a stream or bytes, or a log already read (`reading.merge`)


def triage(source: Source, baseline: Source | None = None, *, max_lines: int = 40, learned: Learned | None = None,
           families: tuple[Family, ...] = FAMILIES) -> Triage:
    """Find the lines of a CI log that state why the job failed, and describe the failure.

    `learned`: shapes of cause lines the repository's users confirmed before (see `memory`); lines
    shaped like them rank first. `families`: the shape families used (all, unless a benchmark
    leaves one out).
    """
    view = source if isinstance(source, LogView) else read_view(source)
    keys = baseline_keys(baseline) if baseline is not None else frozenset()
    lines, ends = analyse(view, keys, learned, families)
    chosen = _chosen_lines(lines, ends, max(1, max_lines))
    return _result(view, chosen, max(1, max_lines))


def baseline_keys(source: Source) -> frozenset[str]:
    """Normalised text of the kept lines of a passing log, for demoting lines seen there too."""
    view = source if isinstance(source, LogView) else read_view(source)
    return frozenset(key for key in (normalise(clean(raw)) for raw in view.lines.values()) if key)


def _chosen_lines(lines: list[Line], ends: list[StepEnd], budget: int) -> list[Line]:
    """The chosen blocks with their lead-in lines, the failing step's exit line, and as many of the
    lines leading up to that exit as the budget leaves room for.

    A single block may be longer than the budget when it is one unit (a test report section, a
    trace): it is bounded by `selection.MAX_BLOCK` lines and by what the reader keeps around hits.
    """
    picked = choose(blocks(lines), budget)
    chosen = {ln.number: ln for block in picked for ln in with_lead_in(lines, block).lines}
    best = max(picked, key=lambda b: b.score).last if picked else None
    closing = exit_line(lines, ends, best)
    if closing is not None:
        chosen[closing.number] = closing
    bridge(lines, chosen, budget)
    anchor = closing.number if closing is not None else last_words(lines)
    far = best is None or anchor - best > FAR
    fill(lines, chosen, anchor, budget, at_least=budget // RESERVE if far else 0)
    if not chosen:
        return fallback(lines)
    return [chosen[n] for n in sorted(chosen)]


def _result(view: LogView, chosen: list[Line], max_lines: int) -> Triage:
    """Category, fingerprint, summary and excerpt of the chosen lines."""
    strong = sorted((ln for ln in chosen if ln.score >= ANCHOR), key=lambda ln: (-ln.score, ln.number))
    key = sorted(strong[:3] or chosen[-1:], key=lambda ln: ln.number)
    category = decide((ln.category, ln.score ** 2) for ln in (strong or chosen))
    texts = [ln.text for ln in key]
    numbered = [(ln.number, ln.text) for ln in chosen]
    learned = tuple(ln.number for ln in chosen if ln.learned)
    return Triage(
        lines=tuple(ln.number for ln in chosen),
        excerpt=excerpt(numbered, max_lines, keep=tuple(ln.number for ln in strong), learned=frozenset(learned)),
        category=category,
        fingerprint=fingerprint(category, texts),
        summary=summary(category, strong[0].text if strong else (texts[0] if texts else None)),
        tokens=key_tokens(texts),
        n_lines=view.n_lines,
        learned=learned,
    )


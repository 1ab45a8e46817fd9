"""Per-line scores in context: rule weights, step outcomes, the passing run and repeats."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from bot.triage import rules
from bot.triage.category import Category
from bot.triage.families import Family, family_score, joins, recovers
from bot.triage.shapes import BODY, HEAD, KIN, Learned
from bot.triage.reading import AFTER, BEFORE, TAIL, LogView
from bot.triage.text import clean, normalise

# Lines that end a step and say how it ended: (pattern, group holding the exit code or None = failed).
_STEP_ENDS = (
    re.compile(r"\" exited with (\d+)\.$"),
    re.compile(r"Process completed with exit code (\d+)"),
    re.compile(r"^ERROR: Job failed: exit (?:code|status) (\d+)"),
    re.compile(r"script returned exit code (\d+)"),
    re.compile(r"Build step .* marked build as (failure)"),
    re.compile(r"^Job (succeeded)$|^ERROR: Job (failed)\b"),
    re.compile(r"^Finished: (SUCCESS|FAILURE|UNSTABLE|ABORTED)$"),          # Jenkins
)
# Lines that carry no information however close they are to the end of a failing step.
_FILLER = re.compile(
    r"^\s*$|^travis_|^##\[(?:end)?group\]|^::(?:end)?group::|^Done in [\d.]+s\.?$|^Done\.?$|^\s*[-=_*#~.]{3,}\s*$"
    r"|^store build cache|^\[Pipeline\]|^Post job cleanup|^Cleaning up|^Archiving artifacts|^Finished: "
    r"|^Sending e-?mails|^info Visit |^npm ERR! A complete log|^npm ERR!\s*$|^Your build exited"
    r"|^Done\. Your build exited|^Uploading|^Saving cache|^Stopping|^Runtime"
)
BASELINE_FACTOR = 0.25
REPEAT_FACTOR = 0.85
PASSED_STEP_FACTOR = 0.45
AFTER_FAILURE_FACTOR = 0.75
FAILED_STEP_BONUS = 1.25
RECOVERY_FACTOR = 0.4      # an error the job recovered from ("falling back", "retrying") is not the cause
RECOVERY_REACH = 6         # lines after an error where a recovery counts
LEARNED_HEAD = 12.0        # a line shaped like the first line of a confirmed cause outranks every rule
LEARNED_BODY = 4.5         # one shaped like the rest of a confirmed cause extends a block, opens none
LEARNED_KIN = 7.0          # an error line whose first words match a confirmed first line is a strong line


@dataclass(frozen=True)
class Line:
    """One kept line with its cleaned text, its raw rule score, its final score and category."""

    number: int
    text: str
    base: float
    score: float
    category: Category
    joins: bool = False      # a shape family says it continues the block before it
    learned: int = 0         # shapes.HEAD / BODY / KIN: what a learned shape says of it (0: nothing)
    known: bool = False      # the passing run printed it too


@dataclass(frozen=True)
class StepEnd:
    """A line that ends a step, and whether the step failed."""

    number: int
    failed: bool


def step_end(text: str) -> bool | None:
    """True/False when the line ends a failed/passed step, None when it ends none."""
    if "xit" not in text and "ail" not in text and "succeeded" not in text and not text.startswith("Finished: "):
        return None
    for pattern in _STEP_ENDS:
        match = pattern.search(text)
        if match:
            value = next(g for g in match.groups() if g is not None)
            return value not in ("0", "succeeded", "SUCCESS")
    return None


def is_filler(text: str) -> bool:
    """True for blank lines and CI bookkeeping that never states a cause."""
    return bool(_FILLER.search(text))


def analyse(view: LogView, baseline: frozenset[str] = frozenset(), learned: Learned | None = None,
            families: tuple[Family, ...] = ()) -> tuple[list[Line], list[StepEnd]]:
    """Score the kept lines that matter, in line order, and list the step ends found.

    Only the tail and the neighbourhood of hits that score (or end a failed step) are analysed:
    windows kept around harmless hits ("0 errors") would only cost time.
    """
    extra = partial(family_score, families) if families else None
    texts = {n: clean(raw) for n, raw in _live(view, extra).items()}
    rated = {n: rules.score(t, extra) for n, t in texts.items()}
    ends = [StepEnd(n, failed) for n, t in texts.items() if (failed := step_end(t)) is not None]
    factor = _step_factors(ends, {n for n, (base, _) in rated.items() if base > 0})
    recovered = _recovered(texts, families)
    seen: set[str] = set()
    out = []
    for number, text in texts.items():
        base, category = rated[number]
        value = max(base, 0.0) * factor(number)
        key = normalise(text) if base > 0 or baseline else ""
        if base > 0:
            if key in baseline:
                value *= BASELINE_FACTOR
            if key in seen:
                value *= REPEAT_FACTOR
            if number in recovered:
                value *= RECOVERY_FACTOR
            seen.add(key)
        match = learned.match(text) if learned and not (key and key in baseline) else 0
        if match == KIN and base <= 0:
            match = 0                # first words alone are too weak a sign on a line no rule flags
        if match:
            value = max(value, {HEAD: LEARNED_HEAD, BODY: LEARNED_BODY, KIN: LEARNED_KIN}[match])
        out.append(Line(number, text, base, value, category, bool(families) and joins(families, text), match,
                        bool(key) and key in baseline))
    _lift_last_words(out, ends)
    return out, ends


def _recovered(texts: dict[int, str], families: tuple[Family, ...]) -> set[int]:
    """Lines followed within RECOVERY_REACH lines by one that says the job recovered."""
    if not any(f.recovers is not None for f in families):
        return set()
    marks = [n for n, t in texts.items() if recovers(families, t)]
    return {n for m in marks for n in range(m - RECOVERY_REACH, m) if n in texts}


def _live(view: LogView, extra: Callable[[str], tuple[float, Category]] | None = None) -> dict[int, bytes]:
    """The kept lines near a hit that scores or ends a failed step, plus the tail."""
    first_tail = view.n_lines - TAIL + 1
    marks = []
    for number in view.hits:
        if number >= first_tail:
            continue
        text = clean(view.lines[number])
        if rules.score(text, extra)[0] > 0 or step_end(text) or rules.section_end(text):
            marks.append(number)
    ranges = [(max(1, n - BEFORE), n + AFTER) for n in marks] + [(first_tail, view.n_lines)]
    keep: set[int] = set()
    for lo, hi in ranges:
        keep.update(range(lo, hi + 1))
    return {n: raw for n, raw in view.lines.items() if n in keep}


def _step_factors(ends: list[StepEnd], scoring: set[int]) -> Callable[[int], float]:
    """A function line -> multiplier from where the line sits among passed and failed steps.

    A failed step that printed nothing alarming (a `grep -q` or `test -f` check, say) is judged
    on the output of the step before it, so that step is not demoted as "passed".
    """
    numbers = [e.number for e in ends]
    failed = [e.failed for e in ends]
    for i in range(1, len(ends)):
        silent = not any(numbers[i - 1] < n < numbers[i] for n in scoring)
        if failed[i] and silent and not failed[i - 1]:
            failed[i - 1] = True
    first_failed = next((n for n, f in zip(numbers, failed, strict=True) if f), None)

    def factor(number: int) -> float:
        i = bisect.bisect_left(numbers, number)
        if i == len(numbers):
            return AFTER_FAILURE_FACTOR if first_failed is not None else 1.0
        if not failed[i]:
            return PASSED_STEP_FACTOR
        return FAILED_STEP_BONUS if numbers[i] == first_failed else 1.0

    return factor


def _lift_last_words(lines: list[Line], ends: list[StepEnd]) -> None:
    """The last meaningful lines before a failed step's end get a floor score (the general fallback)."""
    index = {line.number: i for i, line in enumerate(lines)}
    for end in (e for e in ends if e.failed):
        i, floors = index[end.number] - 1, [6.0, 5.0, 4.0]
        while i >= 0 and floors and lines[i].number > end.number - 40:
            line = lines[i]
            if step_end(line.text) is not None:
                break
            if not is_filler(line.text) and line.base >= 0:
                floor = floors.pop(0)
                if line.score < floor:
                    lines[i] = replace(line, score=floor)
            i -= 1

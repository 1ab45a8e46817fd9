"""`stated_order(units, lines)`: the dependencies an epic states between its units, done-first.

Only stated order counts: a phrase between two units ("#681 depends on #682", "2.1 after 1.1",
"先 A 再 B", "#1 → #2" outside an any-order line), and the numbered steps of a list the text
calls an order (every unit of step k before every unit of step k+1). Plain numbering, phases
and schedules are not dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.plan.core.units import REF, Unit

# "X <phrase> Y" where Y is done first.
NEEDS = (r"depends? on|depending on|is blocked by|blocked by|requires|needs|waits? for|comes? after|after|"
         r"依赖于?|取决于|需要先|に依存|の後|에 의존|이후|depende de|después de|tras|dépend de|après|"
         r"hängt von|nach|depois de|após|зависит от|после|zależy od|po")
# "X <phrase> Y" where X is done first.
BLOCKS = r"blocks|must be done before|before|先于|之前|の前|이전|antes de|avant|vor|перед|przed"
PHRASE = re.compile(rf"(?P<needs>{NEEDS})|(?P<blocks>{BLOCKS})", re.I)
FIRST_THEN = re.compile(r"先\s*(?P<a>.+?)\s*(?:再|然后|后)\s*(?P<b>.+)")
STEP_REF = re.compile(r"(?<![\d.#])(\d{1,2}\.\d{1,2})(?![\d.])")


def stated_order(units: Sequence[Unit], lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first, then, evidence) pairs of unit indexes, without duplicates or self-loops."""
    pairs: list[tuple[int, int, str]] = []
    pairs += _ordered_steps(units)
    pairs += _chains(units)
    for index, unit in enumerate(units):
        pairs += _phrases(units, unit.text, index)
    for line in lines:
        pairs += _phrases(units, line, None)
    seen: set[tuple[int, int]] = set()
    out = []
    for first, then, why in pairs:
        if first != then and (first, then) not in seen and (then, first) not in seen:
            seen.add((first, then))
            out.append((first, then, why))
    return out


def _ordered_steps(units: Sequence[Unit]) -> list[tuple[int, int, str]]:
    """Consecutive top-level steps of an ordered list: all of step k before all of step k+1."""
    steps: dict[tuple[str, int], list[int]] = {}
    for index, unit in enumerate(units):
        if unit.ordered and unit.step.isdigit() and unit.status == "open":
            steps.setdefault((unit.group, int(unit.step)), []).append(index)
    pairs = []
    for (group, step), members in steps.items():
        for first in members:
            for then in steps.get((group, step + 1), []):
                pairs.append((first, then, f"step {step} before step {step + 1} of \"{group}\""))
    return pairs


def _chains(units: Sequence[Unit]) -> list[tuple[int, int, str]]:
    """`#1 → #2 → #3`: each reference after the one before it."""
    return [(index - 1, index, f"{units[index - 1].text} → {unit.text}")
            for index, unit in enumerate(units) if unit.chained and index > 0]


def _phrases(units: Sequence[Unit], text: str, own: int | None) -> list[tuple[int, int, str]]:
    """Pairs from one line's order phrases; a side with no reference is the line's own unit."""
    found = FIRST_THEN.search(text)
    if found:
        a, b = _resolve(units, found["a"]), _resolve(units, found["b"])
        return [(x, y, text) for x in a for y in b]
    pairs = []
    for match in PHRASE.finditer(text):
        if not _is_word(text, match):
            continue
        before = _resolve(units, text[:match.start()]) or ([own] if own is not None else [])
        after = _resolve(units, text[match.end():])[:1] or ([own] if own is not None else [])
        if match["needs"]:
            pairs += [(y, x, text) for x in before[-1:] for y in after]
        else:
            pairs += [(x, y, text) for x in before[-1:] for y in after]
    return pairs


def _is_word(text: str, match: re.Match[str]) -> bool:
    """Latin phrases must stand as words ("after", not "afterwards"); CJK ones need no spaces."""
    word = match[0]
    if not word[:1].isascii() and not word[:1].isalpha():
        return True
    left = text[match.start() - 1] if match.start() else " "
    right = text[match.end()] if match.end() < len(text) else " "
    if not word.isascii() and not re.match(r"[a-zа-яąćęłńóśźż]", word, re.I):
        return True
    return not (left.isalnum() or right.isalnum())


def _resolve(units: Sequence[Unit], text: str) -> list[int]:
    """Units a piece of text names: `#N` references or step numbers like `1.1`, in order."""
    found = []
    for match in re.finditer(rf"{REF.pattern}|{STEP_REF.pattern}", text):
        number, step = match[1], match[2]
        for index, unit in enumerate(units):
            if (number and unit.issue == int(number)) or (step and unit.step == step):
                if index not in found:
                    found.append(index)
    return found

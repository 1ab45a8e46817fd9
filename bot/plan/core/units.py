"""`find_units(body)`: the units of work an epic states, read from its Markdown in any language.

A unit is a checklist item, a bullet, a numbered step or a `#N` sub-issue reference (one unit per
reference when a line lists several). Headings and label lines only group units; a list item
with nested items is a group too (its children are the units). What is not work is left out by
its section: context, goals, acceptance criteria (when work is listed elsewhere), prerequisites
outside the epic, schedules, out-of-scope lists, issue-form questions and template text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.plan.core import vocabulary as vocab
from bot.plan.core.markdown import clean_text

HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
CJK_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)[、.．]\s*(\S.{0,40})$")  # 一、目标
ITEM = re.compile(r"^(\s*)(?:(?:([-*+•])|(\d{1,3}(?:\.\d{1,3})*)[.)．]?|[（(](\d{1,2})[)）])\s+|(\d{1,2})、\s*)"
                  r"(?:\[([ xX])\]\s*)?(.*\S)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|?(.+\|.+?)\|?\s*$")
REF = re.compile(r"(?<![\w/])#(\d{1,7})\b")
EMPHASIS = re.compile(r"\*\*|__|~~|`|(?<!\w)_|_(?!\w)")
STRUCK = re.compile(r"^~~.+~~$")
SEPARATOR = r"\s*(?:→|->|=>|,|、|/|&|and|und|et|y|e|и|i|和|与|及|以及)\s*"
REF_RUN = re.compile(rf"^#\d+(?:{SEPARATOR}#\d+)+(?![\w/])")
LEAD_REF = re.compile(r"^[\W_]*#(\d{1,7})\b")


@dataclass(frozen=True)
class Unit:
    """One unit of work stated by the epic."""

    text: str  # the line as written, markers dropped
    group: str = ""  # heading, label or parent item it is listed under
    status: str = "open"  # open | done | postponed
    issue: int | None = None  # a `#N` reference this unit is
    step: str = ""  # its number in a numbered list ("2", "1.1"), for "depends on 1.1" and ordered lists
    ordered: bool = False  # its list is one the text calls an order (steps, procedure, 顺序 …)
    line: int = 0  # where it was stated, for reading order between units
    criterion: bool = False  # listed as an acceptance criterion (work only when nothing else is listed)
    chained: bool = False  # stated in an arrow chain with the previous unit (`#1 → #2`)


@dataclass
class _State:
    """Where the reader is: the heading path, the section kind and the last label or parent."""

    heading: str = ""
    kind: str = "work"
    label: str = ""
    label_kind: str = "work"
    ordered: bool = False
    parents: tuple[tuple[int, str], ...] = ()  # (indent, text) of list items above


def find_units(body: str, title: str = "") -> list[Unit]:
    """Every unit of work in `body`, in reading order (done and postponed ones included, marked).

    The epic's `title` heads the lists before any heading: "Development procedure" orders them.
    """
    lines = clean_text(body).split("\n")
    state, units, in_fence = _State(ordered=vocab.states_order(title)), [], False
    for index, raw in enumerate(lines):
        if FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence or not raw.strip():
            continue
        units += _read_line(state, raw, index, lines)
    return _drop_parents(units)


def _read_line(state: _State, raw: str, index: int, lines: list[str]) -> list[Unit]:
    heading = HEADING.match(raw) or CJK_HEADING.match(raw)
    if heading:
        _enter(state, plain(heading[2]))
        return []
    item = ITEM.match(raw)
    if item is None:
        return _prose_line(state, raw, index, lines)
    indent = len(item[1].expandtabs(4))
    state.parents = tuple(p for p in state.parents if p[0] < indent)
    text = plain(item[7])
    kind = state.label_kind if state.label else state.kind
    group = state.parents[-1][1] if state.parents else (state.label or state.heading)
    state.parents += ((indent, text),)
    if kind in ("context", "outside") or vocab.not_work_line(text):
        return []
    done = (item[6] or " ") != " " or kind == "done" or vocab.is_done(item[7]) or STRUCK.match(item[7].strip())
    status = "done" if done else "postponed" if kind == "later" or vocab.is_postponed(text) else "open"
    step = (item[3] or item[4] or item[5] or "") if indent < 2 or item[3] and "." in item[3] else ""
    found = _units_of(text, group, status, step, state.ordered, index)
    return [replace(u, criterion=True) for u in found] if kind == "criteria" else found


def _prose_line(state: _State, raw: str, index: int, lines: list[str]) -> list[Unit]:
    text = plain(raw)
    if TABLE_ROW.match(raw) and "|" in raw:
        return _table_row(state, raw, index)
    nxt = next((line for line in lines[index + 1:] if line.strip()), "")
    if vocab.is_label(text) or (ITEM.match(nxt) and len(text) <= 60 and not ITEM.match(raw)):
        state.label, state.parents = text.rstrip(":：").strip(), ()
        state.label_kind = vocab.section_kind(state.label, inherited=state.kind)
        state.ordered = state.ordered or vocab.states_order(text)
        return []
    state.label, state.parents = "", ()
    state.ordered = state.ordered or vocab.states_order(text)
    return []


def _table_row(state: _State, raw: str, index: int) -> list[Unit]:
    """A table row that names a sub-issue in its first cell is a unit (`| #394 | what it does |`)."""
    cells = [plain(c) for c in raw.strip().strip("|").split("|")]
    first = REF.fullmatch(cells[0].strip()) if cells else None
    if state.kind != "work" or first is None:
        return []
    about = next((c for c in cells[1:] if c and not c.isdigit()), "")
    return [Unit(f"{about} (#{first[1]})" if about else f"#{first[1]}", state.heading, "open", int(first[1]),
                 line=index)]


def _units_of(text: str, group: str, status: str, step: str, ordered: bool, index: int) -> list[Unit]:
    """One unit per line, or one per `#N` when the line starts by listing references (`#14 and #13`, `#1 → #2`)."""
    text = vocab.strip_links(text)
    run = REF_RUN.match(text)
    if run:
        arrows = "→" in run[0] or "->" in run[0] or "=>" in run[0]
        chained = arrows and not vocab.any_order(text)
        return [Unit(f"#{n}", group, status, int(n), step, ordered, index, chained=chained and pos > 0)
                for pos, n in enumerate(REF.findall(run[0]))]
    lead = LEAD_REF.match(text)
    issue = int(lead[1]) if lead else None
    return [Unit(text, group, status, issue, step, ordered, index)]


def _enter(state: _State, heading: str) -> None:
    state.heading, state.label, state.parents = heading, "", ()
    state.kind = vocab.section_kind(heading)
    state.ordered = vocab.states_order(heading)
    state.label_kind = state.kind


def _drop_parents(units: list[Unit]) -> list[Unit]:
    """A list item whose children are listed under it only groups them: it is not a unit itself."""
    groups = {u.group for u in units}
    return [u for u in units if u.text not in groups]


def plain(text: str) -> str:
    """Text without Markdown emphasis, checkbox leftovers and surrounding space."""
    return " ".join(EMPHASIS.sub("", text).replace("\\", "").split()).strip()

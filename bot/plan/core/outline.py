"""`outline_plan(title, body, comments)`: a valid plan from the epic's own units of work, without a model.

Every unit the epic states (see `units`) becomes one plan item, grouped by the heading or parent
line it is listed under; done and postponed units stay in the plan with their status (shown,
never created); `#N` units are that existing issue. Dependencies come only from order the text
states (see `order`), NFRs only from lines with a quantity and a unit. Ids are ASCII and stable:
the first ASCII word of the unit (or ISSUE<N>, or ITEM) and a number derived from its text, so
inserting or ticking another unit never renames it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import replace

from bot.plan.core import phrases
from bot.plan.core import vocabulary as vocab
from bot.plan.core.markdown import clean_text, strip_marker
from bot.plan.core.model import Plan
from bot.plan.core.order import stated_order
from bot.plan.core.prose import prose_units
from bot.plan.core.units import ITEM, Unit, find_units, plain
from bot.plan.core.validation import is_verb_object, validate_plan

EPIC_PREFIX = re.compile(r"^\s*(?:\[?epic\]?\s*[:\-–—]?\s*)", re.I)
LEAD_NOISE = re.compile(r"^(?:#\d+\s*)?(?:(?:story|task|feature|step)\s*[\d.]+\s*)?[\s:.\-–—|]*", re.I)
CLAUSE_END = re.compile(r"\s+[—–]+\s+|——|\s+-\s+|[。；;！？]|(?<=[a-z0-9)])[.!?](?=\s)|:\s")
TECH = re.compile(r"infra|technical|architecture|platform|enabler|runway|基础设施|技术|架构|インフラ|基盤|인프라|"
                  r"infraestructura|technique|technisch|infraestrutura|инфраструктур", re.I)
TITLE_LIMIT = 80


def outline_plan(title: str, body: str, comments: Sequence[str] = ()) -> tuple[Plan, list[str]]:
    """A valid plan whose items are the epic's units of work, and hints for the author."""
    text = "\n\n".join([body, *comments])
    units = _work_units(find_units(text, title))
    if not any(u.status == "open" for u in units):  # no list states open work: the prose may name it
        units += prose_units(text, "" if units else title)
    prose = [plain(line) for line in clean_text(text).split("\n") if line.strip() and not ITEM.match(line)]
    pairs = stated_order(units, prose)
    merged, index_of = _merge(units)
    epic_title = EPIC_PREFIX.sub("", title).strip() or "the epic"
    data, hints = _plan_data(epic_title, text, merged, [(index_of[a], index_of[b], why) for a, b, why in pairs])
    return _validated(data, hints)


def _work_units(units: list[Unit]) -> list[Unit]:
    """Criteria only when nothing else states the work; intro bullets left out when a sub-issue list follows."""
    work = [u for u in units if not u.criterion] or units
    ref_groups = {u.group for u in work if u.issue is not None and u.group}
    if ref_groups:
        work = [u for u in work if u.group or u.issue is not None]
    return work


def _merge(units: list[Unit]) -> tuple[list[Unit], dict[int, int]]:
    """One unit per `#N` (a table row and a list step may name the same issue); the most telling text wins."""
    merged: list[Unit] = []
    index_of: dict[int, int] = {}
    by_issue: dict[int, int] = {}
    for index, unit in enumerate(units):
        if unit.issue is not None and unit.issue in by_issue:
            kept = merged[by_issue[unit.issue]]
            if len(_title_text(unit)) > len(_title_text(kept)) and len(_title_text(kept)) < 3:
                merged[by_issue[unit.issue]] = replace(kept, text=unit.text)
            index_of[index] = by_issue[unit.issue]
            continue
        index_of[index] = len(merged)
        if unit.issue is not None:
            by_issue[unit.issue] = len(merged)
        merged.append(unit)
    return merged, index_of


def _plan_data(epic_title: str, text: str, units: list[Unit], pairs: list[tuple[int, int, str]]) -> tuple[dict, list[str]]:
    hints: list[str] = []
    if not units:
        hints.append("No units of work found: list them as a checklist (`- [ ] …`), bullets or `#N` sub-issues.")
        units = [Unit(epic_title)]
    ids = _ids(units)
    features, enablers = [], []
    for unit, item_id in zip(units, ids):
        (enablers if item_id.startswith("ENAB") else features).append(_item(unit, item_id))
    if not features:  # the contract needs one feature: the first technical unit stands in
        first = enablers.pop(0)
        features.append(_item(units[ids.index(first["enabler_id"])], first["enabler_id"].replace("ENAB", "FEAT", 1)))
        ids[ids.index(first["enabler_id"])] = features[0]["feature_id"]
    deps = [{"source_id": ids[a], "target_id": ids[b], "reason": f"the epic says: \"{_short(why, 160)}\""}
            for a, b, why in pairs]
    if not deps and len(units) > 1:
        hints.append("No order stated: write \"B depends on A\" (or number the steps under a heading such as "
                     "\"Order\") where one unit needs another first.")
    data = {"pi_vision": _vision(epic_title, text), "features": features, "enablers": enablers,
            "nfrs": _nfrs(text), "dependencies": deps}
    return data, hints


def _item(unit: Unit, item_id: str) -> dict:
    title = item_title(unit)
    about = f"Stated in the epic{' under “' + unit.group + '”' if unit.group else ''}: {_short(unit.text, 300)}"
    extra = {"status": unit.status, "issue": unit.issue, "group": _short(unit.group, 120)}
    if item_id.startswith("ENAB"):
        return {"enabler_id": item_id, "title": title, "architectural_purpose": about, **extra}
    return {"feature_id": item_id, "title": title, "benefit_hypothesis": about,
            "acceptance_criteria": [_short(unit.text, 500)], **extra}


def item_title(unit: Unit) -> str:
    """A ticket title in the epic's own words: the unit's first clause, at most 80 characters."""
    text = _title_text(unit)
    if unit.issue is not None:
        text = f"{text} (#{unit.issue})" if len(text) >= 3 else f"Track #{unit.issue}"
    return text if is_verb_object(text) else f"Deliver {text}"


def _title_text(unit: Unit) -> str:
    text = vocab.strip_links(unit.text)
    if unit.issue is not None:
        text = re.sub(rf"\(?#{unit.issue}\)?", " ", text, count=1)
    text = LEAD_NOISE.sub("", " ".join(text.split())).strip()
    cut = CLAUSE_END.search(text, 12)
    if cut and len(text) > 40:
        text = text[:cut.start()]
    return _short(text.strip(" ,，、:：.-–—"), TITLE_LIMIT)


def _ids(units: list[Unit]) -> list[str]:
    """Stable ASCII ids: prefix, the first ASCII word (or ISSUE<N>), a number from the unit's text."""
    ids: list[str] = []
    for unit in units:
        prefix = "ENAB" if TECH.search(unit.group) else "FEAT"
        part = f"ISSUE{unit.issue}" if unit.issue is not None else phrases.id_part(unit.text, "ITEM")
        number = zlib.crc32(" ".join(unit.text.split()).casefold().encode()) % 999 + 1
        while f"{prefix}_{part}_{number:03d}" in ids:
            number = number % 999 + 1
        ids.append(f"{prefix}_{part}_{number:03d}")
    return ids


def _vision(epic_title: str, text: str) -> str:
    for line in clean_text(text).split("\n"):
        line = plain(line)
        if len(line) > 30 and not line.startswith(("#", "|", "-", "*", "+")) and not ITEM.match(line):
            return _short(line, 300)
    return epic_title


def _nfrs(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"performance": [], "security": []}
    for line in clean_text(text).split("\n"):
        line = strip_marker(plain(line))
        kind = phrases.nfr_kind(line)
        if kind and line not in found[kind]:
            found[kind].append(_short(line, 300))
    return found


def _validated(data: dict, hints: list[str]) -> tuple[Plan, list[str]]:
    """The plan; a stated cycle is broken at its last edge and named in a hint."""
    plan, errors = validate_plan(data)
    while plan is None and any("cycle: " in e for e in errors):
        ids = next(e for e in errors if "cycle: " in e).split("cycle: ", 1)[1].split(" (")[0].split(" -> ")
        last = (ids[-2], ids[-1])
        data["dependencies"] = [d for d in data["dependencies"] if (d["source_id"], d["target_id"]) != last]
        hints.append(f"The epic's order forms a cycle ({' -> '.join(ids)}); `{last[1]}` after `{last[0]}` was left "
                     "out — say which must come first.")
        plan, errors = validate_plan(data)
    if plan is None:
        raise ValueError(f"outline planner produced an invalid plan: {errors}")
    return plan, hints


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,，、") + "…"

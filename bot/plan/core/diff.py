"""`diff_plans(old, new)`: what changed between two plan versions, as lines for the revision comment."""

from __future__ import annotations

from bot.plan.core.model import Feature, Item, Plan


def diff_plans(old: Plan, new: Plan) -> list[str]:
    """Human-readable changes: items added, removed or renamed, criteria, NFRs, dependencies, vision."""
    lines: list[str] = []
    if old.pi_vision != new.pi_vision:
        lines.append("vision reworded")
    lines += _items(old, new)
    lines += _nfrs(old, new)
    lines += _dependencies(old, new)
    lines += _lists("risk", [r.description for r in old.risks], [r.description for r in new.risks])
    lines += _lists("milestone", [m.name for m in old.milestones], [m.name for m in new.milestones])
    return lines


def _items(old: Plan, new: Plan) -> list[str]:
    before = {item.item_id: item for item in old.items()}
    after = {item.item_id: item for item in new.items()}
    lines = [f"added {_kind(item)} `{i}` {item.title}" for i, item in after.items() if i not in before]
    lines += [f"removed {_kind(item)} `{i}` {item.title}" for i, item in before.items() if i not in after]
    for item_id in (i for i in after if i in before):
        lines += _item_changes(before[item_id], after[item_id])
    return lines


def _item_changes(old: Item, new: Item) -> list[str]:
    item_id = new.item_id
    lines = []
    if old.title != new.title:
        lines.append(f"renamed `{item_id}`: {old.title} → {new.title}")
    if old.estimate_hours != new.estimate_hours:
        lines.append(f"`{item_id}` estimate: {_h(old.estimate_hours)} → {_h(new.estimate_hours)}")
    if isinstance(old, Feature) and isinstance(new, Feature):
        if old.priority != new.priority:
            lines.append(f"`{item_id}` priority: {old.priority} → {new.priority}")
        lines += _lists(f"`{item_id}` criterion", list(old.acceptance_criteria), list(new.acceptance_criteria))
    return lines


def _nfrs(old: Plan, new: Plan) -> list[str]:
    lines = _lists("performance NFR", list(old.nfrs.performance), list(new.nfrs.performance))
    return lines + _lists("security NFR", list(old.nfrs.security), list(new.nfrs.security))


def _dependencies(old: Plan, new: Plan) -> list[str]:
    before = {(d.source_id, d.target_id) for d in old.dependencies}
    after = {(d.source_id, d.target_id) for d in new.dependencies}
    lines = [f"added dependency `{t}` needs `{s}` first" for s, t in _ordered(new, after - before)]
    return lines + [f"removed dependency `{t}` needs `{s}` first" for s, t in _ordered(old, before - after)]


def _ordered(plan: Plan, pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(d.source_id, d.target_id) for d in plan.dependencies if (d.source_id, d.target_id) in pairs]


def _lists(label: str, old: list[str], new: list[str]) -> list[str]:
    lines = [f"added {label}: {text}" for text in new if text not in old]
    return lines + [f"removed {label}: {text}" for text in old if text not in new]


def _kind(item: Item) -> str:
    return "feature" if isinstance(item, Feature) else "enabler"


def _h(value: float | None) -> str:
    return "none" if value is None else f"{value:g} h"

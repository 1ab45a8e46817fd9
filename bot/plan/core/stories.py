"""Stories from a plan: deterministic splitting without a model, and validation of a model's proposal.

Without a model each feature becomes 1–3 stories (its acceptance criteria in groups of two) and
each enabler 1–2 technical stories (a spike first when it has no estimate; build + verify when
it is estimated over 16 h). An item that is an existing issue (`issue`) is that one ticket; done
and postponed items get none. Story keys are stable: `<item id>/S<n>`.

Links mirror the plan. For a dependency `first -> then`, EVERY story of `then` is blocked by each
FINAL story of `first` (a story no other story of `first` waits on). Why: the target may start
only when the whole source is done; the final stories are exactly what "done" waits for (the last
one of an enabler's spike -> build chain, every one of a feature's parallel stories), and linking
every story of the target keeps each of its tickets from being picked up too early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.plan.core.graph import execution_order, prerequisites
from bot.plan.core.model import PRIORITIES, Enabler, Feature, Item, Plan

KINDS = ("story", "enabler", "spike")
HOURS_PER_CRITERION = 4.0
SPIKE_HOURS = 4.0
ENABLER_DEFAULT_HOURS = 8.0
SPLIT_ENABLER_OVER = 16.0


@dataclass(frozen=True)
class Story:
    """One ticket to create: traced to its plan item, with the parts of its body and its labels."""

    key: str
    parent_id: str
    parent_title: str
    kind: str
    title: str
    context: str
    acceptance_criteria: tuple[str, ...]
    nfrs: tuple[str, ...]
    approach: str
    estimate_hours: float
    labels: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    issue: int | None = None  # the existing issue this story is (linked, not created)

    def to_dict(self) -> dict[str, Any]:
        """The story as JSON (the shape a model is asked to reply with)."""
        data = vars(self).copy()
        if data["issue"] is None:
            del data["issue"]
        for key in ("acceptance_criteria", "nfrs", "labels", "depends_on"):
            data[key] = list(data[key])
        return data


def split_into_stories(plan: Plan) -> list[Story]:
    """1–3 stories per feature and 1–2 per enabler, in execution order, linked like the plan."""
    stories = []
    for item_id in execution_order(plan):
        item = plan.item(item_id)
        if item.status != "open":
            continue
        if item.issue is not None:
            stories.append(_issue_story(plan, item))
        else:
            stories += _feature_stories(plan, item) if isinstance(item, Feature) else _enabler_stories(plan, item)
    return link_stories(plan, stories)


def link_stories(plan: Plan, stories: list[Story]) -> list[Story]:
    """Add the links the plan implies: every story of `then` is blocked by each final story of `first`."""
    by_parent: dict[str, list[Story]] = {}
    for story in stories:
        by_parent.setdefault(story.parent_id, []).append(story)
    extra: dict[str, list[str]] = {}
    for dep in plan.dependencies:
        finals = final_stories(by_parent.get(dep.first, []))
        for story in by_parent.get(dep.then, []):  # a done item has no stories: nothing to wait for
            extra.setdefault(story.key, []).extend(finals)
    return [replace(s, depends_on=tuple(dict.fromkeys([*s.depends_on, *extra.get(s.key, [])]))) for s in stories]


def final_stories(own: list[Story]) -> list[str]:
    """Keys of the stories of one item that no other story of that item depends on."""
    waited_on = {key for story in own for key in story.depends_on}
    return [story.key for story in own if story.key not in waited_on]


def story_labels(plan: Plan, item: Item, kind: str) -> tuple[str, ...]:
    """type/…, domain/…, priority/…, status/todo for a story of `item`."""
    return (f"type/{kind}", f"domain/{item.area}", f"priority/{item_priority(plan, item)}", "status/todo")


def item_priority(plan: Plan, item: Item) -> str:
    """A feature's own priority; an enabler takes the highest priority of the features that need it."""
    if isinstance(item, Feature):
        return item.priority
    needing = [plan.item(d.then) for d in plan.dependencies if d.first == item.enabler_id]
    ranks = [PRIORITIES.index(f.priority) for f in needing if isinstance(f, Feature)]
    return PRIORITIES[min(ranks)] if ranks else "medium"


def _feature_stories(plan: Plan, feature: Feature) -> list[Story]:
    groups = _groups(list(feature.acceptance_criteria))
    total = feature.estimate_hours or max(HOURS_PER_CRITERION, HOURS_PER_CRITERION * len(feature.acceptance_criteria))
    count = len(feature.acceptance_criteria)
    context = feature.benefit_hypothesis
    if plan.pi_vision not in context:
        context += f"\n\nPI vision: {plan.pi_vision}"
    stories = []
    for index, group in enumerate(groups, start=1):
        title = feature.title if len(groups) == 1 else f"{feature.title}: {_short(group[0], 60)}"
        stories.append(Story(
            key=f"{feature.feature_id}/S{index}", parent_id=feature.feature_id, parent_title=feature.title,
            kind="story", title=title, context=context, acceptance_criteria=tuple(group), nfrs=_nfrs(plan),
            approach=_approach(plan, feature), estimate_hours=_round(total * len(group) / count),
            labels=story_labels(plan, feature, "story")))
    return stories


def _issue_story(plan: Plan, item: Item) -> Story:
    """The one ticket of an item that is an existing issue: linked and reported, never created again."""
    kind = "story" if isinstance(item, Feature) else "enabler"
    criteria = item.acceptance_criteria if isinstance(item, Feature) else (item.architectural_purpose,)
    context = item.benefit_hypothesis if isinstance(item, Feature) else item.architectural_purpose
    return Story(key=f"{item.item_id}/S1", parent_id=item.item_id, parent_title=item.title, kind=kind,
                 title=item.title, context=context, acceptance_criteria=tuple(criteria), nfrs=_nfrs(plan),
                 approach=_approach(plan, item), estimate_hours=_round(item.estimate_hours or HOURS_PER_CRITERION),
                 labels=story_labels(plan, item, kind), issue=item.issue)


def _groups(criteria: list[str]) -> list[list[str]]:
    """Criteria in 1–3 contiguous groups of about two."""
    count = 1 if len(criteria) <= 2 else 2 if len(criteria) <= 4 else 3
    size, extra = divmod(len(criteria), count)
    groups, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        groups.append(criteria[start:end])
        start = end
    return groups


def _enabler_stories(plan: Plan, enabler: Enabler) -> list[Story]:
    needed_by = [d.then for d in plan.dependencies if d.first == enabler.enabler_id]
    ready = f"Ready for {', '.join(needed_by)}" if needed_by else "Documented so that later features can build on it"
    base = dict(parent_id=enabler.enabler_id, parent_title=enabler.title, context=enabler.architectural_purpose,
                nfrs=_nfrs(plan), approach=_approach(plan, enabler))
    stories: list[Story] = []
    for index, (kind, title, criteria, hours) in enumerate(_enabler_parts(enabler, ready), start=1):
        after = (stories[-1].key,) if stories else ()
        stories.append(Story(key=f"{enabler.enabler_id}/S{index}", kind=kind, title=title, acceptance_criteria=criteria,
                             estimate_hours=hours, labels=story_labels(plan, enabler, kind), depends_on=after, **base))
    return stories


def _enabler_parts(enabler: Enabler, ready: str) -> list[tuple[str, str, tuple[str, ...], float]]:
    """(kind, title, criteria, hours): spike + build without an estimate, build + verify when large."""
    subject = re.sub(r"^\S+\s+(?:up\s+)?", "", enabler.title)
    in_place = f"In place: {enabler.architectural_purpose}"
    if enabler.estimate_hours is None:
        return [("spike", f"Investigate {subject}", (f"The approach for {subject} is chosen and written down here",
                                                     "Estimate of the build story updated"), SPIKE_HOURS),
                ("enabler", enabler.title, (in_place, ready), ENABLER_DEFAULT_HOURS)]
    if enabler.estimate_hours > SPLIT_ENABLER_OVER:
        return [("enabler", f"Build {subject}", (in_place,), _round(enabler.estimate_hours * 0.6)),
                ("enabler", f"Verify {subject}", ("Meets the NFRs below, measured", ready),
                 _round(enabler.estimate_hours * 0.4))]
    return [("enabler", enabler.title, (in_place, ready), enabler.estimate_hours)]


def _approach(plan: Plan, item: Item) -> str:
    needs = prerequisites(plan)[item.item_id]
    step = execution_order(plan).index(item.item_id) + 1
    text = f"Step {step} of the plan's execution order."
    if needs:
        text += " Builds on " + ", ".join(f"{n} ({plan.item(n).title})" for n in needs) + "."
    if isinstance(item, Enabler):
        text += f" Purpose: {item.architectural_purpose}."
    return text


def _nfrs(plan: Plan) -> tuple[str, ...]:
    return tuple(f"Performance: {n}" for n in plan.nfrs.performance) + tuple(
        f"Security: {n}" for n in plan.nfrs.security)


def _round(hours: float) -> float:
    return max(1.0, round(hours * 2) / 2)


def _short(text: str, limit: int) -> str:
    text = text.rstrip(".")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

"""`validate_stories(data, plan)`: check stories proposed by a model (the `Story` shape as JSON).

Rules: keys `<item id>/S<n>`, unique; the parent is a plan item; 1–3 stories per feature and
1–2 per enabler, and every item has one; kind story|spike for features, enabler|spike for
enablers; verb-object titles; at least one criterion; a positive estimate; `depends_on` names
known keys without a cycle. Labels are derived from the plan; a model may only override the
`domain/` and `priority/` ones. Links the plan implies are added (see `stories.link_stories`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.plan.core.graph import execution_order
from bot.plan.core.model import PRIORITIES, Feature, Plan
from bot.plan.core.stories import KINDS, Story, link_stories, story_labels
from bot.plan.core.validation import Reader

STORY_KEYS = ("key", "parent_id", "parent_title", "kind", "title", "context", "acceptance_criteria", "nfrs",
              "approach", "estimate_hours", "labels", "depends_on")
KEY = re.compile(r"^(?P<parent>(?:FEAT|ENAB)_[A-Z0-9_]+_\d{3})/S(?P<n>[1-9]\d?)$")
LABEL = re.compile(r"^(?P<prefix>domain|priority)/(?P<value>[a-z0-9][a-z0-9_.-]{0,40})$")
LIMITS = {True: (1, 3), False: (1, 2)}  # is a feature -> (min, max) stories


def validate_stories(data: Any, plan: Plan) -> tuple[list[Story] | None, list[str]]:
    """Stories in execution order when `data` ({"stories": [...]}) is valid, else None and every error."""
    reader = Reader()
    top = reader.mapping(data, "reply", ("stories",))
    raw = reader.items(top, "stories", "") if top is not None else []
    stories = [s for i, value in enumerate(raw) if (s := _story(reader, plan, value, f"stories[{i}]"))]
    _check_counts(reader, plan, stories)
    if reader.errors:
        return None, reader.errors
    order = execution_order(plan)
    stories.sort(key=lambda s: (order.index(s.parent_id), int(s.key.rsplit("/S", 1)[1])))
    linked = link_stories(plan, stories)
    _check_links(reader, linked)
    return (None, reader.errors) if reader.errors else (linked, [])


def _story(reader: Reader, plan: Plan, value: Any, path: str) -> Story | None:
    obj = reader.mapping(value, path, STORY_KEYS)
    if obj is None:
        return None
    errors_before = len(reader.errors)
    key = reader.text(obj, "key", path)
    parent_id = reader.text(obj, "parent_id", path)
    match = KEY.match(key)
    if key and (not match or match["parent"] != parent_id):
        reader.fail(f"{path}.key", f"must be <parent_id>/S<n> (e.g. {parent_id or 'FEAT_AUTH_001'}/S1), got {key!r}")
    if parent_id and parent_id not in plan.item_ids():
        reader.fail(f"{path}.parent_id", f"unknown plan item {parent_id}")
        return None
    item = plan.item(parent_id) if parent_id else None
    kind = reader.choice(obj, "kind", path, KINDS)
    if item is not None and kind == ("enabler" if isinstance(item, Feature) else "story"):
        reader.fail(f"{path}.kind", f"{kind} does not fit {parent_id} (use {_kinds_for(item)})")
    story = _build(reader, plan, obj, path, key, item, kind)
    return story if len(reader.errors) == errors_before else None


def _build(reader: Reader, plan: Plan, obj: Mapping[str, Any], path: str, key: str, item: Any, kind: str) -> Story:
    title = reader.text(obj, "title", path)
    if title and (len(title.split()) < 2 or not title[0].isalpha()):
        reader.fail(f"{path}.title", f"must be verb-object (e.g. 'Export invoices as CSV'), got {title!r}")
    hours = reader.hours(obj, "estimate_hours", path)
    if obj.get("estimate_hours") is None:
        reader.fail(f"{path}.estimate_hours", "required")
    labels = story_labels(plan, item, kind) if item is not None else ()
    return Story(
        key=key, parent_id=item.item_id if item is not None else "", kind=kind, title=title,
        parent_title=item.title if item is not None else "",
        context=reader.text(obj, "context", path),
        acceptance_criteria=reader.texts(obj, "acceptance_criteria", path, at_least="criterion"),
        nfrs=reader.texts(obj, "nfrs", path),
        approach=reader.text(obj, "approach", path, required=False),
        estimate_hours=hours or 0.0,
        labels=_labels(reader, obj, path, labels),
        depends_on=reader.texts(obj, "depends_on", path),
    )


def _labels(reader: Reader, obj: Mapping[str, Any], path: str, derived: tuple[str, ...]) -> tuple[str, ...]:
    chosen = {label.split("/", 1)[0]: label for label in derived}
    for index, label in enumerate(reader.texts(obj, "labels", path)):
        match = LABEL.match(label)
        if label in derived:
            continue
        if not match or (match["prefix"] == "priority" and match["value"] not in PRIORITIES):
            reader.fail(f"{path}.labels[{index}]", f"only domain/<area> and priority/high|medium|low may be set, "
                                                   f"got {label!r}")
        else:
            chosen[match["prefix"]] = label
    return tuple(chosen.values())


def _kinds_for(item: Any) -> str:
    return "story|spike" if isinstance(item, Feature) else "enabler|spike"


def _check_counts(reader: Reader, plan: Plan, stories: list[Story]) -> None:
    seen: dict[str, int] = {}
    for story in stories:
        if story.key in seen:
            reader.fail("stories", f"duplicate key {story.key}")
        seen[story.key] = seen.get(story.key, 0) + 1
    for item in plan.items():
        count = sum(1 for s in stories if s.parent_id == item.item_id)
        low, high = LIMITS[isinstance(item, Feature)]
        if not low <= count <= high:
            reader.fail("stories", f"{item.item_id} needs {low}–{high} stories, got {count}")


def _check_links(reader: Reader, stories: list[Story]) -> None:
    keys = {s.key for s in stories}
    for story in stories:
        for key in story.depends_on:
            if key not in keys or key == story.key:
                reader.fail("stories", f"{story.key} depends on {key}, which is unknown or itself")
    graph = {s.key: [k for k in s.depends_on if k in keys] for s in stories}
    state: dict[str, int] = {}
    for key in graph:
        if _cyclic(graph, key, state):
            reader.fail("stories", f"depends_on forms a cycle through {key}")
            return


def _cyclic(graph: dict[str, list[str]], node: str, state: dict[str, int]) -> bool:
    if state.get(node) == 2:
        return False
    if state.get(node) == 1:
        return True
    state[node] = 1
    if any(_cyclic(graph, nxt, state) for nxt in graph[node]):
        return True
    state[node] = 2
    return False

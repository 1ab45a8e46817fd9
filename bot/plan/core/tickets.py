"""Tickets on the forge: label colours, the hidden item marker, ticket bodies and the board comment."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.plan.core.graph import critical_path, execution_order
from bot.plan.core.model import Enabler, Plan
from bot.plan.core.render import cell, hours
from bot.plan.core.stories import Story
from bot.security.output import escape_model_text

LABEL_COLORS = {"type": "#1d76db", "domain": "#5319e7", "priority": "#d93f0b", "status": "#0e8a16"}
OTHER_COLOR = "#c5def5"
MARKER = re.compile(r"<!--\s*teabot:item\s+plan=(?P<plan>[^\s>]+)\s+item=(?P<item>[A-Z0-9_]+/S\d+)\s*-->")
PLAN_ID = re.compile(r"^[A-Za-z0-9_.:/#-]{1,200}$")


@dataclass(frozen=True)
class ItemMarker:
    """Which plan and which story a ticket was created for."""

    plan_id: str
    key: str


def label_color(name: str) -> str:
    """The colour of a label, one per prefix (`type/`, `domain/`, `priority/`, `status/`)."""
    return LABEL_COLORS.get(name.split("/", 1)[0], OTHER_COLOR)


def item_marker(plan_id: str, key: str) -> str:
    """The hidden marker that ties a ticket to `plan_id` (e.g. `owner/repo#12`) and a story key."""
    if not PLAN_ID.match(plan_id) or not MARKER.fullmatch(f"<!-- teabot:item plan={plan_id} item={key} -->"):
        raise ValueError(f"cannot mark plan {plan_id!r} item {key!r}: ids must be plain words")
    return f"<!-- teabot:item plan={plan_id} item={key} -->"


def parse_marker(body: str | None) -> ItemMarker | None:
    """The marker in a ticket body, or None."""
    match = MARKER.search(body or "")
    return ItemMarker(match["plan"], match["item"]) if match else None


def render_ticket_body(story: Story, epic_ref: str, marker: str) -> str:
    """A ticket body: trace, context, criteria as checkboxes, NFRs, approach, estimate, then the marker."""
    kind = {"story": "Story", "enabler": "Enabler story", "spike": "Spike"}[story.kind]
    parts = [
        f"> {kind} of epic {epic_ref} · plan item `{story.parent_id}` {story.parent_title} · `{story.key}`",
        f"## Context\n\n{story.context}",
        "## Acceptance criteria\n\n" + "\n".join(f"- [ ] {c}" for c in story.acceptance_criteria),
        "## Non-functional requirements\n\n" + ("\n".join(f"- {n}" for n in story.nfrs) or "_none stated_"),
        f"## Technical approach\n\n{story.approach or '_to be decided by the team_'}",
        f"## Estimate\n\n{hours(story.estimate_hours)}",
    ]
    if story.depends_on:
        parts.insert(-1, "## Depends on\n\n" + "\n".join(f"- `{key}`" for key in story.depends_on))
    # The plan's text came from the model: escaped, so only the bot's own marker is a marker.
    return escape_model_text("\n\n".join(parts)) + f"\n\n{marker}\n"


def render_board(plan: Plan, tickets: Mapping[str, tuple[int, str]], changes: Sequence[str] = (), *,
                 stories: Sequence[Story] = (), problems: Sequence[str] = ()) -> str:
    """The board on the epic: tickets in execution order with links, critical path marked, risks, changes."""
    critical = set(critical_path(plan).ids)
    lines = ["## Plan board", "", "Tickets in execution order; 🔴 marks the critical path.", ""]
    lines += ["| # | Item | Ticket | Title | Estimate |", "| --- | --- | --- | --- | --- |"]
    for step, item_id in enumerate(execution_order(plan), start=1):
        mark = "🔴 " if item_id in critical else ""
        for key, title, estimate in _rows(plan, item_id, tickets, stories):
            link = f"[#{tickets[key][0]}]({tickets[key][1]})" if key in tickets else "_not created_"
            lines.append(f"| {step} | {mark}`{item_id}` | {link} | {cell(title)} | {estimate} |")
    lines += _risks(plan) + _listed("What changed", changes) + _listed("Could not be done", problems)
    return "\n".join(lines) + "\n"


def _rows(plan: Plan, item_id: str, tickets: Mapping[str, tuple[int, str]],
          stories: Sequence[Story]) -> list[tuple[str, str, str]]:
    own = [s for s in stories if s.parent_id == item_id]
    if own:
        return [(s.key, s.title, hours(s.estimate_hours)) for s in own]
    item = plan.item(item_id)
    keys = sorted((k for k in tickets if k.split("/S", 1)[0] == item_id), key=lambda k: int(k.rsplit("/S", 1)[1]))
    kind = "enabler" if isinstance(item, Enabler) else "feature"
    keys = keys or [f"{item_id}/S1"]
    return [(key, f"{item.title} ({kind})", hours(item.estimate_hours) if key == keys[0] else "")
            for key in keys]


def _risks(plan: Plan) -> list[str]:
    if not plan.risks:
        return ["", "### Risks", "", "_No risks recorded._"]
    return ["", "### Risks", ""] + [f"- **{r.category}**: {r.description}"
                                    + (f" — mitigation: {r.mitigation}" if r.mitigation else "") for r in plan.risks]


def _listed(title: str, lines: Sequence[str]) -> list[str]:
    return ["", f"### {title}", "", *(f"- {line}" for line in lines)] if lines else []

"""Reconcile stories with the tickets that already exist, so approving twice never duplicates.

Existing tickets are matched by their hidden marker (`tickets.item_marker`), never by title.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.plan.core.stories import Story
from bot.plan.core.tickets import item_marker, label_color, parse_marker, render_ticket_body


@dataclass(frozen=True)
class ExistingTicket:
    """An issue found on the forge (any issue; only those with our marker take part)."""

    number: int
    title: str
    body: str
    labels: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class TicketChanges:
    """What to do on the forge: create, update (ticket, story), keep, and tickets no longer in the plan."""

    create: tuple[Story, ...]
    update: tuple[tuple[ExistingTicket, Story], ...]
    unchanged: tuple[tuple[ExistingTicket, Story], ...]
    orphaned: tuple[ExistingTicket, ...]

    def summary(self) -> list[str]:
        """Lines for the board's "What changed" section."""
        lines = [f"created `{s.key}` {s.title}" for s in self.create]
        lines += [f"updated #{t.number} (`{s.key}`)" for t, s in self.update]
        return lines + [f"#{t.number} is no longer in the plan (left open for a human to close)" for t in self.orphaned]


def reconcile(stories: Sequence[Story], existing: Iterable[ExistingTicket], *, plan_id: str,
              epic_ref: str) -> TicketChanges:
    """Match stories to marked tickets of `plan_id`; say what to create, update, keep and what is left over."""
    by_key: dict[str, ExistingTicket] = {}
    for ticket in existing:
        marker = parse_marker(ticket.body)
        if marker and marker.plan_id == plan_id:
            by_key.setdefault(marker.key, ticket)  # the oldest wins if a human copied a marker
    create, update, unchanged = [], [], []
    for story in stories:
        ticket = by_key.get(story.key)
        if ticket is None:
            create.append(story)
        elif _differs(ticket, story, plan_id, epic_ref):
            update.append((ticket, story))
        else:
            unchanged.append((ticket, story))
    keys = {s.key for s in stories}
    orphaned = tuple(t for key, t in by_key.items() if key not in keys)
    return TicketChanges(tuple(create), tuple(update), tuple(unchanged), orphaned)


def _differs(ticket: ExistingTicket, story: Story, plan_id: str, epic_ref: str) -> bool:
    body = render_ticket_body(story, epic_ref, item_marker(plan_id, story.key))
    return ticket.title != story.title or ticket.body != body or not set(story.labels) <= set(ticket.labels)


def missing_labels(needed: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """(name, colour) of each needed label not among the repo's label names, in first-use order."""
    have = set(existing)
    return [(name, label_color(name)) for name in dict.fromkeys(needed) if name not in have]


def links_to_add(stories: Sequence[Story], numbers: Mapping[str, int],
                 existing: Mapping[int, Iterable[int]] = {}) -> list[tuple[int, int]]:  # noqa: B006 - read only
    """(issue, blocked-by issue) pairs for every story dependency not already on the forge."""
    pairs = []
    for story in stories:
        for key in story.depends_on:
            if story.key in numbers and key in numbers:
                pair = (numbers[story.key], numbers[key])
                if pair[1] not in set(existing.get(pair[0], ())):
                    pairs.append(pair)
    return pairs


def links_to_remove(stories: Sequence[Story], numbers: Mapping[str, int], existing: Mapping[int, Iterable[int]],
                    dropped: Iterable[int] = ()) -> list[tuple[int, int]]:
    """(issue, blocked-by issue) links between the plan's tickets that the stories no longer imply.

    Only links between two tickets of this plan (its current ones and those it `dropped`) are touched:
    links a human added to other issues stay. A dropped ticket stays open, but no longer blocks or waits
    on the plan's tickets: the revised plan implies no link to it.
    """
    ours = set(numbers.values()) | set(dropped)
    wanted = {(numbers[s.key], numbers[k]) for s in stories for k in s.depends_on if s.key in numbers and k in numbers}
    return [(issue, blocker) for issue, blockers in existing.items() for blocker in blockers
            if issue in ours and blocker in ours and (issue, blocker) not in wanted]

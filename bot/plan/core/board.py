"""The board between approvals: which items of a revised plan are created tickets, draft only, or dropped.

After `/plan <feedback>` the board on the epic still lists the tickets of the last approval. It is
rewritten as a "draft vs. created" view so nobody works from a stale board: every item of the new
plan in execution order, with its tickets when they exist (found by their hidden marker, per item,
so a different story split still counts), "draft" when only the revision has it, and the tickets
whose items the revision dropped. Nothing on the forge changes until `/plan approve`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.plan.core.graph import critical_path, execution_order
from bot.plan.core.model import Enabler, Plan
from bot.plan.core.reconcile import ExistingTicket
from bot.plan.core.render import cell
from bot.plan.core.tickets import parse_marker

STATES = ("created", "draft", "linked", "done", "postponed")


@dataclass(frozen=True)
class Row:
    """One item of the revised plan on the board."""

    item_id: str
    title: str
    kind: str  # feature | enabler
    state: str  # created | draft | linked | done | postponed
    tickets: tuple[tuple[int, str], ...] = ()  # (number, url) of its tickets
    critical: bool = False


@dataclass(frozen=True)
class DraftBoard:
    """The revised plan against the tickets of the last approval."""

    version: int
    rows: tuple[Row, ...]
    dropped: tuple[tuple[str, int, str], ...]  # (item id, number, url) of tickets the revision no longer has


def draft_board(plan: Plan, version: int, existing: Iterable[ExistingTicket], *, plan_id: str) -> DraftBoard:
    """Compare the revised `plan` with the marked tickets of `plan_id`."""
    by_item: dict[str, list[tuple[int, str]]] = {}
    for ticket in existing:
        marker = parse_marker(ticket.body)
        if marker and marker.plan_id == plan_id:
            by_item.setdefault(marker.key.split("/S", 1)[0], []).append((ticket.number, ticket.url))
    critical = set(critical_path(plan).ids)
    rows = []
    for item_id in execution_order(plan):
        item = plan.item(item_id)
        found = tuple(sorted(by_item.get(item_id, ())))
        if item.status != "open":
            state = item.status
        elif item.issue is not None:
            state, found = "linked", ((item.issue, ""),)
        else:
            state = "created" if found else "draft"
        kind = "enabler" if isinstance(item, Enabler) else "feature"
        rows.append(Row(item_id, item.title, kind, state, found, item_id in critical))
    ids = set(execution_order(plan))
    dropped = tuple((item_id, number, url) for item_id, found in sorted(by_item.items()) if item_id not in ids
                    for number, url in sorted(found))
    return DraftBoard(version, tuple(rows), dropped)


def render_draft_board(board: DraftBoard) -> str:
    """The board comment for a plan that is not approved yet."""
    counts = {state: sum(r.state == state for r in board.rows) for state in STATES}
    lines = ["## Plan board", "",
             f"**Plan v{board.version} is a draft.** Items with tickets: {counts['created']}; draft only: "
             f"{counts['draft']}; tickets that would leave the plan: {len(board.dropped)}. `/plan approve` creates the "
             "draft items, updates the tickets and their links, and notes on each dropped ticket (it stays open).", "",
             "Items in execution order; 🔴 marks the critical path.", "",
             "| # | Item | Title | State | Tickets |", "| --- | --- | --- | --- | --- |"]
    for step, row in enumerate(board.rows, start=1):
        mark = "🔴 " if row.critical else ""
        lines.append(f"| {step} | {mark}`{row.item_id}` | {cell(row.title)} ({row.kind}) | {_state(row)} | "
                     f"{_links(row.tickets) or '—'} |")
    if board.dropped:
        lines += ["", "### Dropped by this revision", ""]
        lines += [f"- {_links(((number, url),))} (`{item_id}`): stays open; approval adds a note"
                  for item_id, number, url in board.dropped]
    return "\n".join(lines) + "\n"


def _state(row: Row) -> str:
    return {"created": "created", "draft": "**draft** (new, not created)", "linked": "existing issue",
            "done": "done (not created)", "postponed": "postponed (not created)"}[row.state]


def _links(tickets: Sequence[tuple[int, str]]) -> str:
    return ", ".join(f"[#{number}]({url})" if url else f"#{number}" for number, url in tickets)

"""Turning approved stories into Gitea issues, dependencies and a board, idempotently.

Every created issue carries a hidden marker (plan id + story key), so a second approval, or a
re-run after a crash or a Gitea 5xx, finds what exists and only creates what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.forge.errors import DependenciesDisabled, DependencyExists, ForgeError
from bot.plan.core.board import draft_board, render_draft_board
from bot.plan.core.model import Plan
from bot.plan.core.reconcile import ExistingTicket, links_to_add, links_to_remove, missing_labels, reconcile
from bot.plan.core.stories import Story
from bot.plan.core.tickets import item_marker, render_board, render_ticket_body
from bot.security.output import escape_model_text
from bot.security.trust import is_own

log = logging.getLogger(__name__)
BOARD_MARKER = f"{BOT_MARKER}:board -->"


@dataclass(frozen=True)
class TicketOutcome:
    """The tickets of a plan after syncing: key -> (number, url), what changed, what failed."""

    tickets: dict[str, tuple[int, str]]
    changes: list[str]
    created: tuple[str, ...]
    problems: list[str]
    dropped: tuple[int, ...] = ()  # tickets of items the plan no longer has (left open, with a note)


def plan_id(repo: str, number: int) -> str:
    """The id that ties tickets to the epic's plan."""
    return f"{repo}#{number}"


def sync_tickets(forge: GiteaClient, repo: str, number: int, stories: Sequence[Story], *,
                 bot_login: str) -> TicketOutcome:
    """Make the labels and issues match the stories; returns the ticket numbers by story key."""
    problems: list[str] = []
    label_ids = _labels(forge, repo, [label for story in stories for label in story.labels], problems)
    existing = [ExistingTicket(i["number"], i["title"], i.get("body") or "", tuple(l["name"] for l in i.get("labels") or []),
                               i.get("html_url") or "") for i in own_issues(forge, repo, bot_login)]
    pid, epic_ref = plan_id(repo, number), plan_id(repo, number)
    linked = [s for s in stories if s.issue is not None]  # existing issues: linked, never created again
    changes = reconcile([s for s in stories if s.issue is None], existing, plan_id=pid, epic_ref=epic_ref)
    tickets: dict[str, tuple[int, str]] = {s.key: (t.number, t.url) for t, s in changes.unchanged}
    tickets.update({s.key: (s.issue, "") for s in linked if s.issue is not None})
    for ticket in changes.orphaned:
        _note_dropped(forge, repo, number, ticket, problems, bot_login)
    for story in changes.create:
        body = render_ticket_body(story, epic_ref, item_marker(pid, story.key))
        issue = forge.create_issue(repo, story.title, body, labels=[label_ids[n] for n in story.labels if n in label_ids])
        tickets[story.key] = (issue["number"], issue.get("html_url") or "")
    for ticket, story in changes.update:
        forge.edit_issue(repo, ticket.number, title=story.title, body=render_ticket_body(story, epic_ref, item_marker(pid, story.key)))
        missing = [label_ids[n] for n in story.labels if n not in ticket.labels and n in label_ids]
        if missing:
            forge.add_labels(repo, ticket.number, missing)
        tickets[story.key] = (ticket.number, ticket.url)
    return TicketOutcome(tickets, changes.summary(), tuple(s.key for s in changes.create), problems,
                         tuple(t.number for t in changes.orphaned))


def sync_links(forge: GiteaClient, repo: str, stories: Sequence[Story], tickets: Mapping[str, tuple[int, str]],
               created: Iterable[str], dropped: Iterable[int] = ()) -> tuple[int, list[str]]:
    """Add the dependencies the stories imply and the forge lacks, remove those they no longer imply
    (dropped tickets included); returns (added, problems)."""
    numbers = {key: value[0] for key, value in tickets.items()}
    fresh, dropped = set(created), tuple(dropped)
    try:
        existing = {n: [d["number"] for d in forge.list_dependencies(repo, n)] for key, n in numbers.items()
                    if key not in fresh}
        existing.update({n: [d["number"] for d in forge.list_dependencies(repo, n)] for n in dropped})
    except DependenciesDisabled as exc:  # nothing can be linked; the tickets themselves are fine
        return 0, [f"no dependency links: {exc}"]
    added, problems = 0, []
    for issue, blocker in links_to_remove(stories, numbers, existing, dropped):
        try:  # the revised plan no longer implies this link: a dropped dependency must stop blocking
            forge.remove_dependency(repo, issue, blocker)
        except ForgeError as exc:
            problems.append(f"could not remove the link #{issue} blocked by #{blocker}: {exc}")
    for issue, blocker in links_to_add(stories, numbers, existing):
        try:
            forge.add_dependency(repo, issue, blocker)
            added += 1
        except DependencyExists:  # linked meanwhile (a concurrent approval): what we wanted is there
            continue
        except DependenciesDisabled as exc:
            problems.append(f"no dependency links: {exc}")
            break
        except ForgeError as exc:
            problems.append(f"could not make #{issue} depend on #{blocker}: {exc}")
    return added, problems


def post_board(forge: GiteaClient, repo: str, number: int, plan: Plan, stories: Sequence[Story],
               tickets: Mapping[str, tuple[int, str]], changes: Sequence[str], problems: Sequence[str], *,
               comments: Iterable[tuple[str, int, str]], bot_login: str) -> None:
    """Edit the bot's board comment on the epic, or post it."""
    body = f"{BOARD_MARKER}\n" + escape_model_text(render_board(plan, tickets, changes, stories=stories, problems=problems))
    board = _board_id(comments, bot_login)
    if board is None:
        forge.create_comment(repo, number, body)
    else:
        forge.edit_comment(repo, board, body)


def update_draft_board(forge: GiteaClient, repo: str, number: int, plan: Plan, version: int, *,
                       comments: Iterable[tuple[str, int, str]], bot_login: str) -> bool:
    """Rewrite an existing board as the "draft vs. created" view of a new plan version; False when there is no board."""
    board = _board_id(comments, bot_login)
    if board is None:  # never approved: no tickets, nothing stale to correct
        return False
    existing = [ExistingTicket(i["number"], i["title"], i.get("body") or "", (), i.get("html_url") or "")
                for i in own_issues(forge, repo, bot_login)]
    view = draft_board(plan, version, existing, plan_id=plan_id(repo, number))
    forge.edit_comment(repo, board, f"{BOARD_MARKER}\n" + escape_model_text(render_draft_board(view)))
    return True


def own_issues(forge: GiteaClient, repo: str, bot_login: str) -> list[dict]:
    """The issues the bot created: only their item markers count (anyone can paste a marker into their own issue)."""
    return [i for i in forge.list_issues(repo, state="all", type="issues")
            if is_own(str((i.get("user") or {}).get("login") or ""), bot_login)]


def _board_id(comments: Iterable[tuple[str, int, str]], bot_login: str) -> int | None:
    return next((cid for author, cid, text in comments if author.lower() == bot_login.lower() and BOARD_MARKER in text),
                None)


def _note_dropped(forge: GiteaClient, repo: str, epic: int, ticket: ExistingTicket, problems: list[str],
                  bot_login: str) -> None:
    """Tell a ticket whose plan item was dropped, once; it stays open for a human to decide."""
    note = f"{BOT_MARKER}:dropped -->"
    try:
        if any(note in (c.get("body") or "") and is_own(str((c.get("user") or {}).get("login") or ""), bot_login)
               for c in forge.list_comments(repo, ticket.number)):
            return
        forge.create_comment(repo, ticket.number, f"{note}\nThe revised plan of #{epic} no longer includes this "
                                                  "ticket. It was left open: close it, or keep it if it is still needed.")
    except ForgeError as exc:
        problems.append(f"could not note on #{ticket.number} that it left the plan: {exc}")


def _labels(forge: GiteaClient, repo: str, needed: list[str], problems: list[str]) -> dict[str, int]:
    ids = {label["name"]: label["id"] for label in forge.list_labels(repo)}
    for name, color in missing_labels(needed, ids):
        try:
            ids[name] = forge.create_label(repo, name, color)["id"]
        except ForgeError as exc:
            problems.append(f"could not create the label `{name}`: {exc}")
    return ids

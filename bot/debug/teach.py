"""What a repository's users teach triage about its failures, recorded as cause-line shapes.

A 👍 on the bot's status comment confirms the lines its triage picked; `/triage lines 120-140` (or a
comment quoting excerpt lines) names the right ones; `/triage forget` drops what the repository taught.
The lines are read from the raw log the failure ledger kept, and learned through `bot.triage.memory`,
the same code `teabot triage learn` uses, into the store `Deps.shapes` gives for the repository.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.debug import sessions
from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.debug.ledger import StoredFailure
from bot.forge.errors import NotFound
from bot.triage.feedback import Correction
from bot.triage.memory import learn_lines

log = logging.getLogger(__name__)
UNREPORTED = "teabot reported no failure here, so there is no triage to correct: nothing was learned."
USAGE = ("Say which lines of the failed log state the cause: `/triage lines 120-140` (or `12,13,40-42`), "
         "or quote them from the excerpt; `/triage forget` drops what this repository taught triage.")


def ledger_entry(deps: Deps, session: Session) -> StoredFailure | None:
    """The ledger's record of a session's failure: the newest of its fingerprint on its commit."""
    if deps.ledger is None:
        return None
    return next((p for p in deps.ledger.history(session.repo, session.fingerprint) if p.commit == session.sha), None)


def learn_failure(deps: Deps, entry: StoredFailure, lines: Sequence[int]) -> int | None:
    """Record `lines` of a stored failure's raw log as its cause; the new shapes, or None when the log cannot say."""
    if deps.shapes is None or deps.ledger is None or not lines:
        return None
    if entry.raw_truncated:
        return None  # only the log's tail was kept: its line numbers are not the ones triage reported
    raw = deps.ledger.raw_log(entry.id)
    if raw is None:
        return None
    return learn_lines(deps.shapes(entry.repo), raw, lines)


def confirm(deps: Deps, entry: StoredFailure, user: str) -> int | None:
    """A user's 👍 on the status comment: the lines triage picked were the cause (learned once per user)."""
    if deps.shapes is None or deps.ledger is None or not entry.lines:
        return None
    if not deps.ledger.first_confirmation(entry.id, user):
        return None
    added = learn_failure(deps, entry, entry.lines)
    log.info("triage: %s confirmed failure %s, %s new shape(s)", user, entry.id, added, extra={"repo": entry.repo})
    return added


def latest_reported(deps: Deps, repo: str, number: int) -> Session | None:
    """The newest session whose status comment is on issue or pull request `number`."""
    found = (sessions.load(deps, key) for key in deps.store.keys(repo))
    reported = sorted((s for s in found if s is not None and s.comment_id is not None),
                      key=lambda s: s.created_at, reverse=True)
    return next((s for s in reported if _comment_on(deps, repo, s.comment_id or 0, number)), None)


def correct(deps: Deps, repo: str, number: int, correction: Correction) -> str | None:
    """Act on a correction made on issue or pull request `number`; the reply says what was learned or
    forgotten (None when no failure teabot reported is there)."""
    if deps.shapes is None or deps.ledger is None:
        return "This teabot keeps no failure ledger to learn from: nothing was recorded."
    store = deps.shapes(repo)
    if correction.forget:
        dropped = len(store.entries())
        store.forget()
        return f"Forgot the {dropped} cause-line shape(s) triage had learned for {repo}."
    session = latest_reported(deps, repo, number)
    entry = ledger_entry(deps, session) if session is not None else None
    if session is None:
        return None
    if entry is None:
        return "The failure teabot reported here is no longer in its ledger (it expired): nothing was learned."
    added = learn_failure(deps, entry, correction.lines)
    where = f"`{session.workflow}` on `{session.sha[:7]}`"
    if added is None:
        return f"The log of the failure of {where} is no longer kept whole, so its lines cannot be read: nothing was learned."
    return (f"Learned lines {spans(correction.lines)} of the failure of {where} as its cause: {added} new shape(s), "
            f"{len(store.entries())} kept for {repo}. Later triage of this repository ranks lines shaped like them first.")


def spans(lines: Sequence[int]) -> str:
    """1,2,3,7 -> '1-3, 7'."""
    out: list[str] = []
    for number in sorted(set(lines)):
        if out and number == int(out[-1].rsplit("-", 1)[-1]) + 1:
            out[-1] = f"{out[-1].split('-', 1)[0]}-{number}"
        else:
            out.append(str(number))
    return ", ".join(out)


def _comment_on(deps: Deps, repo: str, comment_id: int, number: int) -> bool:
    """True when comment `comment_id` is on issue or pull request `number`."""
    try:
        data = deps.forge.get_comment(repo, comment_id)
    except NotFound:
        return False  # the status comment was deleted: that report is gone
    where = str(data.get("issue_url") or data.get("pull_request_url") or "").rstrip("/")
    return where.endswith(f"/{number}")

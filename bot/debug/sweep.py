"""The failed Actions runs the reconciliation sweep still has to open sessions for.

Gitea never re-sends a lost webhook delivery, so the sweep reads the runs list instead: newest
first, a page at a time, back to where the last complete pass began (or `debug.sweep_window_days`
when none has completed). Known runs (the bot's own, or ones with a session) are dropped here, so
a cap on how many sessions one pass starts never hides an older, unknown run behind known ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.debug.core.pipeline import PipelineResult
from bot.debug.core.session import session_key
from bot.debug.deps import Deps
from bot.forge.models import Run

DAY = 24 * 3600
# Gitea cancels a job after [actions] ENDLESS_TASK_TIMEOUT (3h by default): a run that began longer
# than that before the last pass had ended by then, so paging can stop there.
LONGEST_RUN = 3 * 3600


def since(deps: Deps, repo: str, now: float) -> float:
    """Where this pass looks back to: the start of the last complete pass, else the configured window."""
    last = deps.store.last_sweep(repo)
    return last if last is not None else now - deps.config.sweep_window_days * DAY


def unknown_failures(deps: Deps, repo: str, cutoff: float) -> Iterator[Run]:
    """Failed runs that ended at or after `cutoff`, newest first, that are not the bot's own and have no session.

    Lazy: the runs list is read page by page only as far as the caller goes, and a session started
    for one run is seen before the next one is checked.
    """
    # Gitea's times are whole seconds: a run that ended in the second the last pass began is read again
    ended_after = math.floor(cutoff)
    for data in deps.forge.iter_runs(repo, status="failure"):
        if _time(data, "started_at") < cutoff - LONGEST_RUN:
            break
        run = Run.from_api(data)
        if _time(data, "completed_at") >= ended_after and not known(deps, repo, run):
            yield run


def known(deps: Deps, repo: str, run: Run) -> bool:
    """True for the bot's own run (its fix branch, or one it started) and for a failure with a session."""
    if PipelineResult.from_run(repo, run, bot_login=deps.bot_login).own:
        return True
    return deps.store.load(session_key(repo, run.head_sha, run.workflow)) is not None


def _time(data: dict[str, Any], field: str) -> float:
    """A run's time in epoch seconds; unknown (absent, or Gitea's zero time) counts as now, so it is never skipped."""
    text = str(data.get(field) or "")
    try:
        when = datetime.fromisoformat(text).timestamp()
    except ValueError:
        return math.inf
    return when if when > 0 else math.inf

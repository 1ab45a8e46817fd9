"""Telling the human once that a job failed for good, whichever way it failed.

A job can end three ways without finishing: it raises (rq runs the job's `on_failure` callback in
the work-horse), its work-horse is killed (rq calls the worker's `work_horse_killed_handler`), or its
worker dies with it (rq's started-registry cleanup runs `on_failure` with `AbandonedJobError`). Each
path lands here; only the final failure speaks (a job with retries left stays quiet), and the
comment is posted with `post_once`, so two paths reporting the same job still make one comment.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.events import BOT_MARKER
from bot.redact import redact
from bot.worker.effects import post_once
from bot.worker.queues import resolve
from bot.worker.runtime import Runtime, current

log = logging.getLogger(__name__)


def on_job_failure(job: Any, connection: Any, exc_type: type, exc: BaseException, traceback: Any) -> None:
    """rq's failure callback: tell the human when this was the job's last try."""
    if (job.retries_left or 0) > 0:
        return  # rq requeues or schedules it: the final try will speak
    tell(current(), job.func_name, job.kwargs, job.id, reason(exc_type, exc))


def on_horse_killed(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    """rq's `work_horse_killed_handler`: the job's process died (out of memory, killed, past its timeout)."""
    if (job.retries_left or 0) > 0:
        return
    tell(current(), job.func_name, job.kwargs, job.id,
         f"the process running it was killed (exit status {ret_val}): it may have run out of memory or time")


def reason(exc_type: type, exc: BaseException) -> str:
    """A one-line reason for the failure comment."""
    name = exc_type.__name__
    if name == "AbandonedJobError":
        return "the worker running it stopped (crashed or was killed) and its retries are used up"
    if name == "JobTimeoutException":
        return f"it ran past its time limit ({exc})"
    return str(exc) or name


def tell(runtime: Runtime, func_path: str, kwargs: dict[str, Any], job_id: str, why: str) -> None:
    """Post one comment on the issue the job was about saying what failed and how to run it again."""
    repo, number = kwargs.get("repo"), kwargs.get("number")
    what = getattr(_function(func_path), "what", func_path.rsplit(".", 1)[-1])
    log.error("%s failed for good: %s", what, why, extra={"job_id": job_id, "repo": repo or ""})
    if not (isinstance(repo, str) and isinstance(number, int)):
        return  # a job about no issue (a sweep): the log and the failed registry are where it shows
    how = f"comment the command again, or ask an operator to run `rq requeue {job_id}`" if job_id else "comment the command again"
    body = f"{BOT_MARKER}:error -->\n:warning: teabot could not finish {what}: {redact(why)}\n\nTo run it again, {how}."
    try:
        if job_id:
            post_once(runtime.forge(), repo, number, body, f"{job_id}/failed")
        else:
            runtime.forge().create_comment(repo, number, body)
    except Exception as exc:  # reporting is best effort; the job's own failure is in the failed registry
        log.error("could not report the failure on %s#%s: %s", repo, number, exc, extra={"job_id": job_id})


def _function(func_path: str) -> Any:
    try:
        return resolve(func_path)
    except Exception:  # a job whose module moved: still report it, under its name
        return None

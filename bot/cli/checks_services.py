"""`teabot check` on the services around Gitea: Redis (reachable, persistent), the workers, the model endpoint."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import redis

from bot.cli.findings import Finding, error, ok, warn
from bot.config.settings import ModelSettings

MODEL_TIMEOUT = 5.0


def check_redis(url: str | None) -> Finding:
    """Redis answers PING, or the embedded queue is in use."""
    if not url:
        return ok("no REDIS_URL: `teabot serve` runs jobs in-process (embedded queue)",
                  "set REDIS_URL to run jobs in `teabot worker` processes")
    parts = urlsplit(url)
    where = f"{parts.hostname or parts.path}:{parts.port or 6379}" if parts.scheme != "unix" else parts.path
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3.0, socket_timeout=3.0).ping()
    except redis.RedisError as exc:
        return error(f"Redis at {where} did not answer PING ({type(exc).__name__}: {exc})",
                     "start Redis (redis-server --appendonly yes) or fix REDIS_URL; meanwhile deliveries are "
                     "spooled and no job runs")
    return ok(f"Redis at {where} answers")


def check_model(model: ModelSettings, transport: httpx.BaseTransport | None = None) -> Finding:
    """The model endpoint lists its models (GET {base_url}/models), or teabot runs model-free."""
    if not model.enabled:
        return ok("no model endpoint: model-free mode (structural planning, log triage, flaky re-runs)",
                  "set TEABOT_MODEL_BASE_URL and TEABOT_MODEL_API_KEY to enable the model")
    from bot.llm.client import DEFAULT_BASE_URL

    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {model.api_key}"} if model.api_key else {}
    try:
        with httpx.Client(timeout=MODEL_TIMEOUT, transport=transport) as http:
            response = http.get(f"{base}/models", headers=headers)
    except httpx.HTTPError as exc:
        return error(f"model endpoint {base} unreachable ({type(exc).__name__})",
                     "check TEABOT_MODEL_BASE_URL and that the server is running")
    return models_finding(base, response, {model.model, *model.task_models.values()})


def models_finding(base: str, response: httpx.Response, wanted: set[str]) -> Finding:
    """Judge the answer to GET /models."""
    if response.status_code in (401, 403):
        return error(f"model endpoint {base} rejects the key ({response.status_code})",
                     "check TEABOT_MODEL_API_KEY")
    if response.status_code >= 400:
        return warn(f"model endpoint {base} answered {response.status_code} to GET /models",
                    "check TEABOT_MODEL_BASE_URL (OpenAI-compatible servers usually end in /v1); "
                    "some servers do not list models")
    try:
        listed = {str(m.get("id")) for m in response.json().get("data") or []}
    except (ValueError, AttributeError):
        return warn(f"model endpoint {base} answered GET /models with something other than a model list",
                    "check TEABOT_MODEL_BASE_URL")
    missing = sorted(wanted - listed)
    if listed and missing:
        return warn(f"model endpoint {base} answers but does not list {', '.join(missing)}",
                    "check TEABOT_MODEL and TEABOT_MODEL_<TASK> against the served model names")
    return ok(f"model endpoint {base} answers ({len(listed)} models listed)")


def check_persistence(conn: redis.Redis) -> Finding:
    """Redis keeps the queue across a restart (AOF or RDB snapshots), or a restart loses queued jobs."""
    try:
        config = {**conn.config_get("appendonly"), **conn.config_get("save")}
    except redis.ResponseError as exc:  # managed Redis often disables CONFIG
        return warn(f"cannot read Redis's persistence settings ({exc})",
                    "make sure Redis persists its data (appendonly yes), or queued jobs die with a restart")
    appendonly = str(config.get("appendonly", "")).lower() == "yes"
    save = str(config.get("save", "")).strip()
    if appendonly:
        return ok("Redis persists its data (appendonly yes)")
    if save:
        return warn(f"Redis only snapshots (save {save}): jobs queued since the last snapshot die with a restart",
                    "start Redis with --appendonly yes")
    return error("Redis does not persist anything (appendonly no, save \"\"): a restart loses every queued job, "
                 "session and ledger entry", "start Redis with --appendonly yes (docker-compose.yaml does)")


def check_workers(conn: redis.Redis, queue_name: str, *, now: float | None = None) -> Finding:
    """At least one `teabot worker` serves the queue and has sent a heartbeat lately."""
    import time

    from rq import Queue, Worker

    workers = Worker.all(connection=conn, queue=Queue(queue_name, connection=conn))
    if not workers:
        return error(f"no `teabot worker` serves the queue {queue_name!r}: deliveries are queued but no job runs",
                     "start one (`teabot worker`, or `docker compose up -d worker`) with the same REDIS_URL and "
                     "TEABOT_QUEUE")
    now = time.time() if now is None else now
    beats = [w.last_heartbeat.timestamp() for w in workers if w.last_heartbeat]
    age = now - max(beats) if beats else None
    what = f"{len(workers)} worker(s) serve the queue {queue_name!r}"
    if age is not None and age > 120:
        return warn(f"{what}, but the last heartbeat is {age:.0f} s old", "check that the workers are running")
    return ok(what + (f" (last heartbeat {max(age, 0):.0f} s ago)" if age is not None else ""))


def redis_findings(url: str | None, queue_name: str) -> list[Finding]:
    """Reachability, then persistence and the workers, of the Redis in REDIS_URL."""
    reach = check_redis(url)
    if not url or reach.level == "error":
        return [reach]
    conn = redis.Redis.from_url(url, socket_connect_timeout=3.0, socket_timeout=3.0)
    try:
        return [reach, check_persistence(conn), check_workers(conn, queue_name)]
    except redis.RedisError as exc:
        return [reach, error(f"Redis stopped answering ({exc})")]
    finally:
        conn.close()

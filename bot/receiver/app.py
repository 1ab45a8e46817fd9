"""The webhook receiver: a flask app factory and its blueprint. The only flask import."""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException

from bot import __version__
from bot.config.settings import Settings
from bot.receiver.ack import Acknowledger, ack_target, make_acknowledger
from bot.receiver.generations import make_generations
from bot.receiver.handover import Handover
from bot.receiver.health import Health
from bot.receiver.intake import Intake
from bot.receiver.metrics import Metrics
from bot.receiver.accepted import AcceptedJobs
from bot.worker.journal import Journal
from bot.worker.queues import JobQueue, RQQueue, make_queue
from bot.routing import Router
from bot.receiver.spool import Spool

log = logging.getLogger(__name__)
webhook = Blueprint("webhook", __name__)


def default_router() -> Router:
    """Every feature's routes, composed (handlers enqueue jobs by name, so no agent is imported here)."""
    from bot.receiver.routes import router

    return router


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None, router: Router | None = None) -> Flask:
    """Build the receiver app; settings default to the process environment."""
    settings = settings or Settings.from_env(os.environ)
    queue = queue if queue is not None else make_queue(settings)
    metrics = Metrics()
    metrics.watch_queue(queue, settings.data_dir)
    accepted = AcceptedJobs(Journal(settings.data_dir / "accepted.sqlite3"), dedupe_ttl=settings.dedupe_ttl) \
        if isinstance(queue, RQQueue) else None
    intake = Intake(settings, router or default_router(), queue, Spool(settings.spool_dir), metrics, accepted)
    app = Flask(__name__)
    app.extensions["teabot.health"] = Health(settings, queue)
    app.extensions["teabot.ack"] = make_acknowledger(settings, metrics)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["teabot"] = intake
    app.extensions["teabot.handover"] = Handover(intake, make_generations(settings))
    app.register_blueprint(webhook)
    app.register_error_handler(HTTPException, _http_error)
    return app


def start_drainer(app: Flask, *, interval: float = 5.0) -> threading.Event:
    """Drain the spool every `interval` seconds on a daemon thread; set the returned event to stop."""
    intake: Intake = app.extensions["teabot"]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                if intake.spool.depth() and intake.queue.ping():
                    log.info("spool drained: %d deliveries queued", intake.drain())
                if intake.accepted is not None and isinstance(intake.queue, RQQueue) and intake.queue.ping():
                    intake.accepted.reconcile(intake.queue)
            except Exception:  # the drainer must outlive any single bad record or a Redis that drops mid-pass
                log.exception("spool drain or reconcile failed")

    threading.Thread(target=loop, name="teabot-spool-drainer", daemon=True).start()
    return stop


@webhook.post("/webhook")
def receive() -> Any:
    """Verify, route and queue one Gitea delivery."""
    intake: Intake = current_app.extensions["teabot"]
    received = time.monotonic()
    body = read_body(intake.settings.max_body_bytes)
    if body is None:
        return _too_large(intake)
    outcome = intake.receive(request.headers, body)
    acknowledger: Acknowledger | None = current_app.extensions["teabot.ack"]
    if acknowledger is not None and (target := ack_target(request.headers, body, outcome)):
        acknowledger.submit(target, received)
    if outcome.status == 204:
        return "", 204
    return jsonify(outcome.as_json()), outcome.status


@webhook.post("/handover")
def handover() -> Any:
    """Take a failed run an Actions step hands over, authenticated by its repository's credential."""
    intake: Intake = current_app.extensions["teabot"]
    body = read_body(intake.settings.max_body_bytes)
    if body is None:
        return _too_large(intake)
    outcome = current_app.extensions["teabot.handover"].receive(request.headers, body)
    if outcome.status == 204:
        return "", 204
    return jsonify(outcome.as_json()), outcome.status


@webhook.route("/ping", methods=["GET", "POST"])
def ping() -> Any:
    """A bare endpoint (liveness, and the benchmark's reference point)."""
    return "", 204


@webhook.get("/healthz")
def healthz() -> Any:
    """Queue, live workers, token validity (cached), spool depth and version.

    200 while deliveries can be accepted (they are spooled while the queue is down), so a container
    is not restarted for a problem a restart cannot fix; `?strict=1` answers 503 when degraded.
    """
    intake: Intake = current_app.extensions["teabot"]
    health: Health = current_app.extensions["teabot.health"]
    body = {**health.report(), "version": __version__, "queue": intake.queue.describe(),
            "spool_depth": intake.spool.depth(), **_durability(intake),
            "model": "configured" if intake.settings.model.enabled else "model-free",
            "gitea": intake.settings.gitea_url}
    strict = request.args.get("strict") in ("1", "true")
    return jsonify(body), 503 if strict and body["status"] != "ok" else 200


def _durability(intake: Intake) -> dict[str, Any]:
    """Where accepted work is kept until done: Redis's persistence and the local journal's depth."""
    queue = intake.queue
    if intake.accepted is not None and isinstance(queue, RQQueue):
        found = queue.persistence()
        return {"redis_persistence": found.describe() if found else "unknown (Redis unreachable)",
                "redis_durable": bool(found and found.durable), "jobs_journaled": intake.accepted.depth()}
    depth = getattr(queue, "depth", None)
    return {"jobs_journaled": depth()} if depth is not None else {}


@webhook.get("/metrics")
def metrics() -> Any:
    """Prometheus exposition."""
    intake: Intake = current_app.extensions["teabot"]
    return intake.metrics.exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST}


@webhook.get("/")
def index() -> Any:
    """What this server is, and where to look next (a browser pointed at the bot lands here)."""
    return jsonify({"service": "teabot", "version": __version__, "webhook": "POST /webhook",
                    "handover": "POST /handover (Actions steps, with TEABOT_HANDOVER_TOKEN)",
                    "health": "/healthz", "metrics": "/metrics", "status": "/status (with TEABOT_STATUS_TOKEN)",
                    "next": "run `teabot check --repo OWNER/REPO`; `teabot setup-hook` points a repository here"})


@webhook.get("/status")
def status() -> Any:
    """The operator's status page, behind TEABOT_STATUS_TOKEN (Authorization: Bearer, or ?token=)."""
    intake: Intake = current_app.extensions["teabot"]
    expected = intake.settings.status_token
    if not expected:
        return jsonify({"status": 404, "message": "the status page is off: set TEABOT_STATUS_TOKEN to turn it on"}), 404
    given = request.args.get("token") or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return jsonify({"status": 401, "message": "give the TEABOT_STATUS_TOKEN as Authorization: Bearer <token> "
                                                  "or ?token=<token>"}), 401
    from bot.receiver.status_page import render

    view, note = _overview(intake)
    page = render(view, note=note)
    return page, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                       "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


def _overview(intake: Intake) -> tuple[Any, str]:
    """The overview for /status and a note when it could not be read: from Redis, or the data directory."""
    from bot.receiver.overview import Overview, gather

    connection = getattr(intake.queue, "connection", None)
    if connection is not None:
        try:
            return gather(connection, intake.settings.queue_name), ""
        except Exception as exc:  # Redis down: say so rather than answering 500
            return Overview(), f"Redis did not answer ({type(exc).__name__}): nothing to show."
    from bot.receiver.overview_local import LocalStatus

    source = LocalStatus(intake.settings.data_dir, journal=getattr(intake.queue, "journal", None))
    try:
        return gather(source), ""
    except Exception as exc:  # a damaged or locked state file: say so rather than answering 500
        return Overview(), f"The data directory could not be read ({type(exc).__name__}): nothing to show."
    finally:
        source.close()


def read_body(limit: int) -> bytes | None:
    """The request body, or None when it is longer than `limit` bytes, chunked bodies included.

    werkzeug bounds a chunked body (no Content-Length) by cutting it at the limit, which would turn a
    body that is too large into a signature mismatch; here we read one byte past the limit to know."""
    length = request.content_length
    if length is not None and length > limit:
        return None
    terminated = length is None and request.environ.get("wsgi.input_terminated")
    stream = request.environ["wsgi.input"] if terminated else request.stream
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


def _too_large(intake: Intake) -> Any:
    outcome = intake.too_large()
    return jsonify(outcome.as_json()), outcome.status


def _http_error(exc: HTTPException) -> Any:
    message = exc.description or exc.name
    if exc.code == 413:
        message = "request body too large: raise TEABOT_MAX_BODY_BYTES if Gitea's payloads are this big"
    return jsonify({"status": exc.code, "message": message}), exc.code

"""Logging set-up for the processes teabot starts: JSON lines (or text) with secrets redacted.

Called by the CLI only; importing teabot's modules never configures logging.
"""

from __future__ import annotations

import json
import logging
import time

from bot.redact import redact

CONTEXT_FIELDS = ("delivery_id", "job_id", "repo", "number")


class RedactingFilter(logging.Filter):
    """Remove secrets from every record's message before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, keyed by delivery id and job id when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: getattr(record, key) for key in CONTEXT_FIELDS if getattr(record, key, "")})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send teabot's logs to stderr in `fmt` ("json" or "text") at `level`."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO ("HTTP Request: GET …"): noise at a terminal and in the server's
    # log alike; teabot logs the calls that matter itself. Shown with TEABOT_LOG_LEVEL=DEBUG.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(level if level == "DEBUG" else "WARNING")

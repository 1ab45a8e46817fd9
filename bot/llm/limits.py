"""How long model calls may take, for the job timeouts that must outlast them.  PURE.

Kept apart from `client.py` so that the web process can size job timeouts without importing openai.
"""

from __future__ import annotations

from bot.config.settings import ModelSettings

# Our retry loop honours a server's Retry-After of up to this many seconds between attempts.
MAX_RETRY_AFTER_SECONDS = 60.0


def max_call_seconds(settings: ModelSettings) -> float:
    """Worst-case seconds one `complete` call may take (every attempt ends at its deadline); a job's timeout must be longer."""
    attempts = settings.max_retries + 1
    return settings.timeout * attempts + MAX_RETRY_AFTER_SECONDS * settings.max_retries

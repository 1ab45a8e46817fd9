"""`POST /handover`: an Actions step hands a failed run to the server with its repository's credential.

The credential (`bot.security.handover`) is checked before the body is parsed; then the event must
be `workflow_run` and the payload's repository the credential's own. The event then goes through
the same intake as a webhook delivery (bot filter, routing, dedupe, journal or spool, enqueue). The
job re-reads the run by id from Gitea, in the credential's repository, so nothing in the payload but
the run id and the repository decides what is debugged.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from bot.config.keys import handover_key
from bot.config.settings import ConfigError
from bot.events import DeliveryError, Event, dig, parse_payload
from bot.receiver.generations import Generations, GenerationsUnavailable
from bot.receiver.intake import Intake, Outcome
from bot.security.handover import HandoverRefused, authenticate, bearer, check_event, check_repository

log = logging.getLogger(__name__)


class Handover:
    """Checks a hand-over and passes its event to the intake."""

    def __init__(self, intake: Intake, generations: Generations) -> None:
        self.intake = intake
        self.generations = generations

    def receive(self, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Authenticate, authorize and take in one hand-over."""
        delivery = headers.get("X-Gitea-Delivery") or hashlib.sha256(body).hexdigest()[:32]
        try:
            event = self._event(headers, body, delivery)
        except HandoverRefused as exc:
            log.warning("hand-over refused (%d): %s", exc.status, exc, extra={"delivery_id": delivery})
            return Outcome(exc.status, str(exc))
        except (GenerationsUnavailable, ConfigError) as exc:
            log.error("hand-over not checked: %s", exc, extra={"delivery_id": delivery})
            return Outcome(503, f"cannot check hand-over credentials now ({exc}); run the step again later")
        return self.intake.process(event)

    def _event(self, headers: Mapping[str, str], body: bytes, delivery: str) -> Event:
        key = handover_key(self.intake.settings)
        credential = authenticate(key, bearer(headers.get("Authorization", "")), self.generations.current)
        name = (headers.get("X-Gitea-Event") or "").strip()
        check_event(name)
        try:
            payload = parse_payload(body)
        except DeliveryError as exc:
            raise HandoverRefused(400, f"the body is not a workflow_run event: {exc}") from None
        check_repository(credential, dig(payload, "repository", "full_name"))
        return Event(name, name, f"handover-{delivery}", payload)

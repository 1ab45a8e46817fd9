"""Route events to handlers by event name, narrowed by one payload key.  PURE.

    router = Router()

    @router.register("issue_comment", action="created")
    def on_issue_comment_created(event: Event, ctx: Context) -> None: ...

`Router(*routers)` composes the routers of the feature modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.config.settings import Settings
from bot.events import Event


class Enqueue(Protocol):
    """Hand a job, named by its dotted path, to the queue; `key` identifies the work so duplicates collapse."""

    def __call__(self, job: str, *, key: str, timeout: int = ..., **kwargs: Any) -> bool: ...


@dataclass(frozen=True)
class Context:
    """What a handler may use: settings, a logger bound to the delivery, and the queue."""

    settings: Settings
    log: logging.LoggerAdapter
    enqueue: Enqueue


Handler = Callable[[Event, Context], None]


class Router:
    """A table of handlers keyed by event name and, optionally, one payload key's value."""

    def __init__(self, *others: Router) -> None:
        self._shallow: dict[str, list[Handler]] = {}
        self._deep: dict[str, dict[str, dict[Any, list[Handler]]]] = {}
        for other in others:
            for name, handlers in other._shallow.items():
                for handler in handlers:
                    self.add(handler, name)
            for name, by_key in other._deep.items():
                for key, by_value in by_key.items():
                    for value, handlers in by_value.items():
                        for handler in handlers:
                            self.add(handler, name, **{key: value})

    def add(self, handler: Handler, event_name: str, **detail: Any) -> None:
        """Route `event_name` (with at most one `key=value` payload detail) to `handler`."""
        if len(detail) > 1:
            raise TypeError(f"route {event_name!r}: narrow by one payload key at most, got {sorted(detail)}")
        if not detail:
            self._shallow.setdefault(event_name, []).append(handler)
            return
        [(key, value)] = detail.items()
        self._deep.setdefault(event_name, {}).setdefault(key, {}).setdefault(value, []).append(handler)

    def register(self, event_name: str, **detail: Any) -> Callable[[Handler], Handler]:
        """Decorator form of `add`; stack it to serve several actions."""

        def decorator(handler: Handler) -> Handler:
            self.add(handler, event_name, **detail)
            return handler

        return decorator

    def fetch(self, event: Event) -> list[Handler]:
        """The handlers for `event`, in registration order (shallow first)."""
        found = list(self._shallow.get(event.name, ()))
        for key, by_value in self._deep.get(event.name, {}).items():
            value = event.payload.get(key) if isinstance(event.payload, Mapping) else None
            try:
                found.extend(by_value.get(value, ()))
            except TypeError:  # unhashable payload value: no route can match it
                continue
        return found

    def handles(self, event_name: str) -> bool:
        """True when some route exists for `event_name`."""
        return event_name in self._shallow or event_name in self._deep

    def dispatch(self, event: Event, ctx: Context) -> int:
        """Call every handler for `event`; returns how many were called."""
        handlers = self.fetch(event)
        for handler in handlers:
            handler(event, ctx)
        return len(handlers)

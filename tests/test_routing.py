"""The router: registration, narrowing by a payload key, composition."""

import logging

import pytest

from bot.config.settings import Settings
from bot.events import Event
from bot.routing import Context, Router


def _ctx() -> Context:
    return Context(Settings(), logging.LoggerAdapter(logging.getLogger("t"), {}), lambda *a, **k: None)


def test_routes_by_name_and_one_payload_key() -> None:
    router, seen = Router(), []

    @router.register("issue_comment", action="created")
    @router.register("issue_comment", action="edited")
    def on_comment(event: Event, ctx: Context) -> None:
        seen.append(("comment", event.action))

    @router.register("push")
    def on_push(event: Event, ctx: Context) -> None:
        seen.append(("push", ""))

    assert router.dispatch(Event("issue_comment", "issue_comment", "1", {"action": "created"}), _ctx()) == 1
    assert router.dispatch(Event("issue_comment", "issue_comment", "1", {"action": "deleted"}), _ctx()) == 0
    assert router.dispatch(Event("issue_comment", "issue_comment", "1", {"action": "edited"}), _ctx()) == 1
    assert router.dispatch(Event("push", "push", "1", {}), _ctx()) == 1
    assert seen == [("comment", "created"), ("comment", "edited"), ("push", "")]
    assert router.handles("push") and router.handles("issue_comment") and not router.handles("wiki")


def test_composed_routers_keep_every_route() -> None:
    one, two = Router(), Router()
    one.add(lambda e, c: None, "push")
    two.add(lambda e, c: None, "issues", action="opened")
    both = Router(one, two)
    assert len(both.fetch(Event("push", "push", "1", {}))) == 1
    assert len(both.fetch(Event("issues", "issues", "1", {"action": "opened"}))) == 1


def test_unhashable_payload_values_match_nothing() -> None:
    router = Router()
    router.add(lambda e, c: None, "issues", action="opened")
    assert router.fetch(Event("issues", "issues", "1", {"action": ["opened"]})) == []


def test_one_detail_at_most() -> None:
    with pytest.raises(TypeError, match="one payload key"):
        Router().add(lambda e, c: None, "issues", action="opened", state="open")

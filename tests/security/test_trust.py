"""Trust rules: whose code the bot touches, and which artefacts and runs are its own."""

from __future__ import annotations

import pytest

from bot.security.trust import is_own, is_own_run, untrusted_reason


@pytest.mark.parametrize("roles, head, forks, users, why", [
    ({"alice": "write"}, "o/r", False, (), ""),
    ({"alice": "admin", "bob": "read"}, "o/r", False, (), "bob has read access"),
    ({"eve": "none"}, "o/r", False, (), "eve has none access"),
    ({"eve": ""}, "o/r", False, ("Eve",), ""),
    ({"alice": "write"}, "eve/r", False, (), "fork eve/r"),
    ({"alice": "write"}, "eve/r", True, (), ""),
])
def test_untrusted_reason(roles, head, forks, users, why):
    found = untrusted_reason(roles=roles, min_role="write", users=users, head_repo=head, base_repo="o/r", forks=forks)
    assert (why in found) if why else found == ""


def test_own_artefacts_and_runs():
    assert is_own("TeaBot", "teabot") and not is_own("mallory", "teabot") and not is_own("x", "")
    run = {"head_sha": "abc", "actor": {"login": "teabot"}, "head_branch": "teabot/fix/ci-1"}
    assert is_own_run(run, bot_login="teabot", pushed_shas={"abc"})
    assert not is_own_run({**run, "head_sha": "def"}, bot_login="teabot", pushed_shas={"abc"})
    assert not is_own_run({**run, "actor": {"login": "bob"}}, bot_login="teabot", pushed_shas={"abc"})

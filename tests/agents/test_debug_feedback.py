"""Reactions on the bot's status comment become feedback in the failure ledger."""

from __future__ import annotations

import json
import time

import redis as redis_lib

from bot.debug import agent as debugger
from bot.debug.core.session import new_session
from harness.fake_gitea import FakeGitea
from bot.forge.client import GiteaClient
from bot.debug.ledger import FailureRecord, Ledger
from bot.config.repo import RepoConfig
from bot.debug.store import MemorySessionStore


def test_thumbs_on_the_status_comment_are_recorded_once_per_user(fake: FakeGitea, forge: GiteaClient,
                                                                  redis: redis_lib.Redis) -> None:
    ledger, store = Ledger(redis), MemorySessionStore()
    number = fake.add_issue("acme/widget", "CI failure", "", author="alice")
    comment = fake.add_comment("acme/widget", number, "<!-- teabot:debug session=x -->", author="teabot")
    session = new_session("acme/widget", "ci.yml", run_id=4, run_number=4, branch="feature", base_branch="main",
                          sha="a" * 40, now=time.time())
    session = session.triaged("test", "fp-1", "assert failed", now=time.time()).with_ids(comment_id=comment)
    store.save(session.key, json.dumps(session.to_json()), repo="acme/widget")
    fid = ledger.record(FailureRecord(repo="acme/widget", run_id=4, commit="a" * 40, fingerprint="fp-1"))
    ledger.record(FailureRecord(repo="acme/widget", run_id=9, commit="b" * 40, fingerprint="fp-1"))  # another commit
    for author, content in (("alice", "+1"), ("bob", "-1"), ("teabot", "+1"), ("bob", "heart")):
        fake.add_reaction("acme/widget", content, author=author, comment_id=comment)
    deps = debugger.Deps(forge=forge, llm=None, store=store, config=RepoConfig().debug, schedule=lambda *a, **k: None,
                         clock=time.time, bot_login="teabot", ledger=ledger)
    assert debugger.collect_feedback(deps, "acme/widget") == 2
    assert debugger.collect_feedback(deps, "acme/widget") == 2  # the same votes again: stored once per user
    assert ledger.get(fid).feedback == 0  # +1 from alice, -1 from bob; the bot's own reaction does not count
    fake.add_reaction("acme/widget", "+1", author="acme", comment_id=comment)
    debugger.collect_feedback(deps, "acme/widget")
    assert ledger.get(fid).feedback == 1

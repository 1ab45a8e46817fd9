"""Triage learns a repository's cause-line shapes from its users: a 👍 on the status comment, or a
`/triage` correction on the issue or pull request, and the agent's next triage ranks those shapes first."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import redis as redis_lib

from bot.config.repo import RepoConfig
from bot.config.settings import Settings
from bot.debug import agent as debugger
from bot.debug import gitea, teach
from bot.debug.core.session import Session, new_session
from bot.debug.handler import on_triage_correction
from bot.debug.jobs import triage_correction
from bot.debug.learned import DirectoryStore, RedisStore
from bot.debug.ledger import FailureRecord, Ledger
from bot.debug.store import MemorySessionStore, RedisSessionStore, SessionStore
from bot.events import Event
from bot.forge.client import GiteaClient
from bot.forge.models import Run
from bot.routing import Context
from bot.triage.feedback import parse_correction
from bot.triage.memory import learn_lines
from bot.worker.embedded import EmbeddedQueue
from bot.worker.runtime import Runtime
from harness.cast import BOT
from harness.fake_gitea import FakeGitea

REPO = "acme/widget"
CAUSE = (31, 32)  # the linter's lines: no rule knows their shape


def failed_log(n: int) -> bytes:
    """A failed job's log whose cause is two lines of an unknown linter, among progress lines."""
    lines = [f"step {i}: fetching module {i}" for i in range(1, 60)]
    lines[30] = f"widget-lint  src/shop/cart_{n}.lua  W{n}07  trailing comma in table"
    lines[31] = f"widget-lint  src/shop/cart_{n}.lua  W{n}08  unused local 'total'"
    return ("\n".join([*lines, "Process completed with exit code 1."]) + "\n").encode()


def deps_for(forge: GiteaClient, *, store: SessionStore | None = None, ledger: Ledger | None = None,
             shapes_dir: Path | None = None) -> debugger.Deps:
    shapes = (lambda repo: DirectoryStore(shapes_dir, repo)) if shapes_dir is not None else None
    return debugger.Deps(forge=forge, llm=None, store=store or MemorySessionStore(), config=RepoConfig().debug,
                         schedule=lambda *a, **k: None, clock=time.time, bot_login=BOT, ledger=ledger, shapes=shapes)


def reported(fake: FakeGitea, store: SessionStore, ledger: Ledger, *, number: int | None = None,
             raw_log: bytes = failed_log(1)) -> tuple[Session, str]:
    """A session whose status comment is on issue `number` (a new one by default), and its ledger record."""
    number = number or fake.add_issue(REPO, "CI failure: ci.yml on main", "", author=BOT)
    comment = fake.add_comment(REPO, number, "<!-- teabot:debug session=x -->", author=BOT)
    session = new_session(REPO, "ci.yml", run_id=4, run_number=4, branch="main", base_branch="main",
                          sha="a" * 40, now=time.time())
    session = session.triaged("lint", "fp-1", "widget-lint", now=time.time()).with_ids(comment_id=comment)
    store.save(session.key, json.dumps(session.to_json()), repo=REPO)
    fid = ledger.record(FailureRecord(repo=REPO, run_id=4, commit="a" * 40, fingerprint="fp-1", lines=CAUSE,
                                      raw_log=raw_log))
    return session, fid


def test_the_agent_triages_with_what_the_repository_learned(fake: FakeGitea, forge: GiteaClient,
                                                            tmp_path: Path) -> None:
    run_id = fake.add_run(REPO, head_branch="main", conclusion="failure",
                          jobs=[{"name": "test", "log": failed_log(2)}], actor="alice")
    result = gitea.run_result(forge, REPO, Run.from_api(forge.get_run(REPO, run_id)), BOT)
    assert deps_for(forge, shapes_dir=tmp_path).failed_run(REPO, result).triage.learned == ()
    learn_lines(DirectoryStore(tmp_path, REPO), failed_log(1), CAUSE)  # an earlier failure, confirmed
    found = deps_for(forge, shapes_dir=tmp_path).failed_run(REPO, result)
    assert found.triage.learned == CAUSE and set(CAUSE) <= set(found.triage.lines)
    assert deps_for(forge).failed_run(REPO, result).triage.learned == ()  # no store: nothing learned is used
    assert DirectoryStore(tmp_path, "acme/other").load().heads == frozenset()  # per repository


def test_a_thumbs_up_teaches_the_triaged_lines_once_per_user(fake: FakeGitea, forge: GiteaClient,
                                                             redis: redis_lib.Redis, tmp_path: Path) -> None:
    ledger, store = Ledger(redis), MemorySessionStore()
    session, _ = reported(fake, store, ledger)
    assert session.comment_id is not None
    fake.add_reaction(REPO, "-1", author="bob", comment_id=session.comment_id)
    deps = deps_for(forge, store=store, ledger=ledger, shapes_dir=tmp_path)
    debugger.collect_feedback(deps, REPO)
    assert DirectoryStore(tmp_path, REPO).entries() == []  # a 👎 confirms nothing
    fake.add_reaction(REPO, "+1", author="alice", comment_id=session.comment_id)
    debugger.collect_feedback(deps, REPO)
    debugger.collect_feedback(deps, REPO)  # the next sweep sees the same 👍: not a second confirmation
    entries = DirectoryStore(tmp_path, REPO).entries()
    assert len(entries) == 2 and all(e.count == 1 for e in entries) and any(e.head for e in entries)
    fake.add_reaction(REPO, "+1", author="acme", comment_id=session.comment_id)
    debugger.collect_feedback(deps, REPO)
    assert all(e.count == 2 for e in DirectoryStore(tmp_path, REPO).entries())


def test_a_log_kept_only_in_part_teaches_nothing(fake: FakeGitea, forge: GiteaClient, redis: redis_lib.Redis,
                                                 tmp_path: Path) -> None:
    ledger, store = Ledger(redis, max_raw_bytes=400), MemorySessionStore()  # the ledger keeps only the tail
    session, fid = reported(fake, store, ledger, raw_log=b"".join(failed_log(n) for n in range(1, 60)))
    assert ledger.get(fid).raw_truncated and ledger.raw_log(fid).count(b"\n") > max(CAUSE)
    fake.add_reaction(REPO, "+1", author="alice", comment_id=session.comment_id)
    debugger.collect_feedback(deps_for(forge, store=store, ledger=ledger, shapes_dir=tmp_path), REPO)
    assert DirectoryStore(tmp_path, REPO).entries() == []


def test_a_correction_on_the_issue_teaches_its_lines_and_forget_drops_them(
        fake: FakeGitea, forge: GiteaClient, redis: redis_lib.Redis, tmp_path: Path) -> None:
    ledger, store = Ledger(redis), MemorySessionStore()
    number = fake.add_issue(REPO, "CI failure", "", author=BOT)
    reported(fake, store, ledger, number=number)
    deps = deps_for(forge, store=store, ledger=ledger, shapes_dir=tmp_path)
    reply = teach.correct(deps, REPO, number, parse_correction("/triage lines 31-32"))
    assert "lines 31-32" in reply and "2 new shape(s), 2 kept" in reply
    other = fake.add_issue(REPO, "Something else", "", author="alice")
    assert teach.correct(deps, REPO, other, parse_correction("/triage lines 31")) is None  # nothing reported there
    reply = teach.correct(deps, REPO, number, parse_correction("/triage forget"))
    assert reply == f"Forgot the 2 cause-line shape(s) triage had learned for {REPO}."
    assert DirectoryStore(tmp_path, REPO).entries() == []
    quoted = "That is not it, this is:\n> 31 | widget-lint  src/shop/cart_1.lua  W107  trailing comma in table\n"
    assert "1 new shape(s)" in teach.correct(deps, REPO, number, parse_correction(quoted))


def test_the_triage_job_checks_access_and_answers_once(fake: FakeGitea, forge: GiteaClient,
                                                       redis: redis_lib.Redis) -> None:
    ledger = Ledger(redis)
    number = fake.add_issue(REPO, "CI failure", "", author=BOT)
    reported(fake, RedisSessionStore(redis), ledger, number=number)
    rt = Runtime(Settings(gitea_url="http://fake.test", gitea_token="t", bot_login=BOT), EmbeddedQueue(),
                 redis=redis, _forge=forge)
    asks = [("bob", "/triage lines 31-32"), ("bob", "> 31 | widget-lint  x"), ("alice", "/triage lines 31-32")]
    for login, body in asks:
        comment = fake.add_comment(REPO, number, body, author=login)
        triage_correction.__wrapped__(rt, repo=REPO, number=number, comment_id=comment)
    answers = [c["body"] for c in fake.list_comments(REPO, number) if c["user"]["login"] == BOT][1:]
    assert len(answers) == 2  # bob's quote in a discussion is no request: no refusal for it
    assert "teabot:refused" in answers[0] and "/triage" in answers[0]
    assert "teabot:triage" in answers[1] and "2 new shape(s)" in answers[1]
    assert len(RedisStore(redis, REPO).entries()) == 2
    elsewhere = fake.add_issue(REPO, "Question", "", author="alice")
    for body in ("> 31 | widget-lint  x", "/triage lines 31"):
        triage_correction.__wrapped__(rt, repo=REPO, number=elsewhere,
                                      comment_id=fake.add_comment(REPO, elsewhere, body, author="alice"))
    [answer] = [c["body"] for c in fake.list_comments(REPO, elsewhere) if c["user"]["login"] == BOT]
    assert "reported no failure here" in answer  # the command is answered; the quote in a discussion is not


def test_the_handler_queues_triage_commands_and_quoted_lines_only() -> None:
    queued: list[dict] = []
    ctx = Context(Settings(), logging.LoggerAdapter(logging.getLogger("t"), {}),
                  lambda name, **kw: queued.append({"job": name, **kw}))
    bodies = ["/triage forget", "> 120 | Error: boom", "/debug", "looks flaky to me", "/debug\n> 120 | Error: boom"]
    for n, body in enumerate(bodies, start=1):
        payload = {"action": "created", "repository": {"full_name": REPO}, "issue": {"number": 7},
                   "comment": {"id": n, "body": body, "user": {"login": "alice"}}, "sender": {"login": "alice"}}
        on_triage_correction(Event("issue_comment", "issue_comment", str(n), payload), ctx)
    assert [(q["job"], q["comment_id"]) for q in queued] == [("bot.debug.jobs.triage_correction", 1),
                                                             ("bot.debug.jobs.triage_correction", 2)]

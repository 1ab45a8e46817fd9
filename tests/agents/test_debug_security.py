"""The debug agent's security wiring against the fake Gitea in-process: trust, confined tools, the verdict of a
green fix, and the comment a command job acts on."""

from __future__ import annotations

import time

import pytest

from bot.config.repo import RepoConfig, Trust
from bot.debug import agent as debugger
from bot.debug import gitea, verify
from bot.debug.core.decide import Decision, Kind
from bot.debug.core.session import new_session
from bot.debug.store import MemorySessionStore
from bot.debug.trust import untrusted
from bot.forge.client import GiteaClient
from bot.llm.reply import ToolCall
from bot.worker.jobs import command_comment
from harness.fake_gitea import FakeGitea
from tests.agents.conftest import BOT

REPO = "acme/widget"
TESTS = "def test_x():\n    assert 1 == 1\n"
CI = "on: push\njobs:\n  test:\n    steps:\n      - run: ./scripts/check.sh && python -m pytest -q\n"


def deps_for(forge: GiteaClient, trust: Trust = Trust()) -> debugger.Deps:
    return debugger.Deps(forge=forge, llm=None, store=MemorySessionStore(), config=RepoConfig().debug,
                         schedule=lambda step, delay, **kw: None, clock=time.time, bot_login=BOT, trust=trust)


def pull_by(fake: FakeGitea, author: str, branch: str = "feature/x") -> str:
    fake.push(REPO, {"widget.py": "x = 1\n", "tests/test_x.py": TESTS, ".gitea/workflows/ci.yml": CI,
                     "scripts/check.sh": "true\n"}, branch="main", message="base", author="alice")
    head = fake.push(REPO, {"widget.py": "x = 2\n"}, branch=branch, base="main", message="change", author=author)
    fake.add_issue(REPO, "Change x", "", author=author, is_pull=True, head=branch)
    return head


def session_of(sha: str, author: str, trigger: str = "workflow_run", branch: str = "feature/x"):
    now = time.time()
    return new_session(REPO, "ci.yml", run_id=7, run_number=7, branch=branch, base_branch="main", sha=sha, now=now,
                       author=author, trigger=trigger)


@pytest.mark.parametrize("author, trigger, trust, expected", [
    ("alice", "workflow_run", Trust(), ""),
    ("bob", "workflow_run", Trust(), "bob has read access"),
    ("bob", "sweep", Trust(), "bob has read access"),
    ("bob", "/debug", Trust(), ""),  # a maintainer vouched for it
    ("bob", "workflow_run", Trust(users=("bob",)), ""),
    ("bob", "workflow_run", Trust(role="read"), ""),
    ("alice", "workflow_run", Trust(role="admin"), "alice has write access"),
])
def test_who_may_have_their_commit_touched(fake, forge, author, trigger, trust, expected) -> None:
    sha = pull_by(fake, author)
    why = untrusted(deps_for(forge, trust), session_of(sha, author, trigger))
    assert (expected in why) if expected else why == ""


def test_a_pusher_with_read_access_makes_a_writers_pull_request_untrusted(fake, forge) -> None:
    sha = pull_by(fake, "alice")
    assert "bob has read access" in untrusted(deps_for(forge), session_of(sha, "bob"))


def test_an_unknown_author_is_untrusted(fake, forge) -> None:
    sha = pull_by(fake, "alice")
    assert "nobody is known" in untrusted(deps_for(forge), session_of(sha, "", branch=""))


@pytest.mark.parametrize("path, refused", [
    ("widget.py", False), ("./widget.py", False), ("../../other/repo/raw/secret", True), (".git/config", True),
    ("/etc/passwd", True), ("%2e%2e/x", True), ("missing.py", True), ("GIT~1/config", True),
])
def test_the_read_file_tool_stays_in_the_repository(fake, forge, path, refused) -> None:
    sha = pull_by(fake, "alice")
    tools = gitea.Tools(forge, REPO, sha, "excerpt", {})
    out = tools.run(ToolCall("1", "read_file", {"path": path}))
    assert out.startswith("refused:") is refused
    before = len(fake.requests)
    assert tools.read("../../x") is None and len(fake.requests) == before  # never put in a URL


def test_list_dir_refuses_escaping_folders(fake, forge) -> None:
    sha = pull_by(fake, "alice")
    tools = gitea.Tools(forge, REPO, sha, "excerpt", {})
    assert tools.run(ToolCall("1", "list_dir", {"path": "../.."})).startswith("refused:")
    assert "widget.py" in tools.run(ToolCall("2", "list_dir", {"path": "/"}))


def test_a_fix_that_changed_tests_or_ci_scripts_is_verified_with_the_originals(fake, forge) -> None:
    sha = pull_by(fake, "alice")
    fix = fake.push(REPO, {"widget.py": "x = 3\n", "tests/test_x.py": TESTS.replace("1 == 1", "True"),
                           "conftest.py": "def pytest_collection_modifyitems(items):\n    items.clear()\n",
                           "scripts/check.sh": "exit 0\n"}, branch="teabot/fix/ci-7", base="feature/x",
                    message="fix", author=BOT)
    deps = deps_for(forge)
    session = session_of(sha, "alice")
    restore = verify.to_restore(deps, session, fix)
    assert restore == {"conftest.py": None, "scripts/check.sh": "true\n", "tests/test_x.py": TESTS}
    session = session.triaged("test", "fp", "s", now=time.time()).decided(Decision(Kind.FIX, "fix"), now=time.time())
    session = session.start_attempt(now=time.time()).wait_for_ci(fix, "teabot/fix/ci-7", now=time.time(), timeout_s=60)
    branch, commit = verify.push_verification(deps, session, fix, restore)
    assert branch == "teabot/verify/ci-7-1"
    files = fake.state.repos[REPO].resolve(commit).files
    assert files["tests/test_x.py"] == TESTS.encode() and "conftest.py" not in files
    assert files["widget.py"] == b"x = 3\n"  # the fix itself stays


def test_a_fix_of_code_only_is_judged_by_its_own_run(fake, forge) -> None:
    sha = pull_by(fake, "alice")
    fix = fake.push(REPO, {"widget.py": "x = 3\n"}, branch="teabot/fix/ci-7", base="feature/x", message="fix", author=BOT)
    assert verify.to_restore(deps_for(forge), session_of(sha, "alice"), fix) == {}


def test_a_command_is_read_from_gitea_not_from_the_delivery(fake, forge) -> None:
    epic = fake.add_issue(REPO, "Epic", "", author="alice")
    other = fake.add_issue(REPO, "Other", "", author="alice")
    comment = fake.add_comment(REPO, epic, "/plan approve", author="bob")
    found = command_comment(forge, REPO, epic, comment, "plan")
    assert found is not None and found[0] == "bob" and found[1].args == "approve"
    assert command_comment(forge, REPO, other, comment, "plan") is None  # a comment of another issue
    assert command_comment(forge, REPO, epic, comment, "debug") is None  # not the command the delivery named
    assert command_comment(forge, REPO, epic, 999_999, "plan") is None  # deleted
    forge.edit_comment(REPO, comment, "never mind")  # edited since the delivery: nothing is asked any more
    assert command_comment(forge, REPO, epic, comment, "plan") is None


class Greedy:
    """A model double that always asks to read a file and reports 200 tokens per call."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages, **options):
        from bot.llm.reply import Reply
        from bot.llm.usage import Usage

        self.calls += 1
        return Reply("", (ToolCall(f"c{self.calls}", "read_file", {"path": "widget.py"}),), Usage(150, 50))


def test_the_session_budget_is_checked_before_every_model_call(fake, forge) -> None:
    from bot.debug import fix as debug_fix
    from bot.config.budget import Budget
    from bot.debug.core.records import Result, State

    sha = pull_by(fake, "alice")
    now = time.time()
    session = new_session(REPO, "ci.yml", run_id=7, run_number=7, branch="feature/x", base_branch="main", sha=sha,
                          now=now, author="alice", budget=Budget(attempts=3, tokens=1_000, minutes=30))
    session = session.triaged("test", "fp", "s", now=now).decided(Decision(Kind.FIX, "fix"), now=now)
    session = session.start_attempt(now=now).add_tokens(900).record_result(Result.NO_FIX, now=now)  # an earlier round
    session = session.start_attempt(now=now)
    model = Greedy()
    deps = deps_for(forge)
    deps.llm = model
    done = debug_fix.run_attempt(deps, session)
    assert model.calls == 1  # 900 + 200 spent: no second call, however many turns the round had left
    assert done.state is State.BUDGET_EXHAUSTED and "token budget of 1000" in done.outcome
    assert done.tokens_used == 1_100

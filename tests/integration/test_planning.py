"""The planning agent end to end: comments on the fake Gitea → receiver → Redis → rq worker → tickets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.fake_model import FakeModelServer
from harness.rig import BOT, Rig, wait_for
from bot.plan.core.embed import extract
from bot.plan.core.stories import split_into_stories
from bot.plan.core.validation import validate_plan

pytestmark = pytest.mark.integration
EPICS = Path(__file__).parents[1] / "planning" / "epics"
REPO = "acme/widget"

GOOD = {"pi_vision": "Self-service accounts cut support tickets by 30%",
        "features": [{"feature_id": "FEAT_AUTH_001", "title": "Add email login", "benefit_hypothesis": "Users reach data fast",
                      "acceptance_criteria": ["User signs in with email and password", "Lockout after 5 failures"]}],
        "enablers": [{"enabler_id": "ENAB_DB_001", "title": "Create user store", "architectural_purpose": "Accounts table",
                      "estimate_hours": 12}],
        "nfrs": {"performance": ["p99 < 300 ms at 500 QPS"], "security": ["TLS 1.3 on every endpoint"]},
        "dependencies": [{"source_id": "ENAB_DB_001", "target_id": "FEAT_AUTH_001", "reason": "login needs the store"}]}


def _revised() -> dict:
    plan = json.loads(json.dumps(GOOD))
    plan["features"].append({"feature_id": "FEAT_MOBILE_001", "title": "Build mobile client", "benefit_hypothesis":
                             "Reach users on phones", "acceptance_criteria": ["The app signs in", "The app shows the profile"]})
    plan["dependencies"].append({"source_id": "FEAT_AUTH_001", "target_id": "FEAT_MOBILE_001", "reason": "the app uses login"})
    return plan


def bot_comments(rig: Rig, number: int) -> list[str]:
    return [c["body"] for c in rig.fake.list_comments(REPO, number) if c["user"]["login"] == BOT]


def issues_created(rig: Rig) -> list:
    return [c for c in rig.fake.calls("POST", f"/repos/{REPO}/issues") if c.status == 201]


def board(rig: Rig, number: int) -> str | None:
    return next((b for b in bot_comments(rig, number) if "## Plan board" in b), None)


def comment(rig: Rig, number: int, text: str, author: str = "alice") -> None:
    rig.fake.add_comment(REPO, number, text, author=author)  # the fake delivers the webhook to the receiver


@pytest.fixture
def model() -> FakeModelServer:
    server = FakeModelServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def model_rig(tmp_path: Path, redis_url: str, model: FakeModelServer) -> Rig:
    rig = Rig(tmp_path / "rig", redis_url=redis_url, model_url=model.base_url)
    rig.seed()
    with rig:
        rig.start()
        yield rig


def test_plan_revise_approve_and_approve_again_with_a_model(model_rig: Rig, model: FakeModelServer) -> None:
    rig = model_rig
    revised_plan, errors = validate_plan(_revised())
    assert not errors
    stories = split_into_stories(revised_plan)
    model.set_script({"replies": [{"json": GOOD}, {"json": _revised()},
                                  {"json": {"stories": [s.to_dict() for s in stories]}}]})
    epic = rig.fake.add_issue(REPO, "Epic: accounts", "We want self-service accounts.", author="alice")

    comment(rig, epic, "/plan")
    wait_for(lambda: len(bot_comments(rig, epic)) == 1, 30, what=f"the draft\n{rig.logs()}")
    comment(rig, epic, "/plan add a mobile client")
    wait_for(lambda: len(bot_comments(rig, epic)) == 2, 30, what=f"the revision\n{rig.logs()}")
    revision = bot_comments(rig, epic)[1]
    assert "## PI plan v2" in revision and "FEAT_MOBILE_001" in revision and extract(revision)[1] == 2
    prompt = "\n".join(m["content"] for m in model.prompts[1])
    assert '"FEAT_AUTH_001"' in prompt and '"Create user store"' in prompt and "add a mobile client" in prompt

    comment(rig, epic, "/plan approve")
    wait_for(lambda: board(rig, epic), 30, what=f"the board\n{rig.logs()}")
    created = issues_created(rig)
    assert sorted(c.json["title"] for c in created) == sorted(s.title for s in stories)
    label_names = {c.json["name"] for c in rig.fake.calls("POST", f"/repos/{REPO}/labels")}
    assert label_names == {label for s in stories for label in s.labels}
    numbers = {c.json["body"].split("item=")[1].split(" ")[0]: issue["number"]
               for c, issue in zip(created, _created_issues(rig, created))}
    expected_links = {(numbers[s.key], numbers[d]) for s in stories for d in s.depends_on}
    links = {(int(c.path.split("/")[-2]), c.json["index"]) for c in rig.fake.calls("POST", rf"/repos/{REPO}/issues/\d+/dependencies")}
    assert links == expected_links and links
    text = board(rig, epic)
    assert all(f"#{n}" in text for n in numbers.values()) and "🔴" in text

    comment(rig, epic, "/plan approve")
    wait_for(lambda: "What changed" in board(rig, epic) or len(rig.fake.calls("PATCH", rf"/repos/{REPO}/issues/comments/\d+")) >= 1,
             30, what="the second approval")
    assert len(issues_created(rig)) == len(stories)  # zero new issues


def test_a_revision_removes_stale_links_and_leaves_dropped_tickets_open_with_one_note(model_rig: Rig,
                                                                                    model: FakeModelServer) -> None:
    rig = model_rig
    first, _ = validate_plan(_revised())  # store -> login -> mobile
    smaller = json.loads(json.dumps(GOOD))
    smaller["dependencies"] = []  # the revision drops the mobile client and the login's need for the store
    second, _ = validate_plan(smaller)
    assert first is not None and second is not None

    def stories_reply(plan) -> dict:
        return {"json": {"stories": [s.to_dict() for s in split_into_stories(plan)]}}

    model.set_script({"replies": [{"json": _revised()}, stories_reply(first), {"json": smaller}, stories_reply(second),
                                  stories_reply(second)]})
    epic = rig.fake.add_issue(REPO, "Epic: accounts", "We want self-service accounts.", author="alice")
    comment(rig, epic, "/plan")
    wait_for(lambda: len(bot_comments(rig, epic)) == 1, 30, what=f"the draft\n{rig.logs()}")
    comment(rig, epic, "/plan approve")
    wait_for(lambda: board(rig, epic), 30, what=f"the board\n{rig.logs()}")
    numbers = {i["body"].split("item=")[1].split(" ")[0]: i["number"] for i in _all_issues(rig) if "item=" in i["body"]}
    login, store, mobile = numbers["FEAT_AUTH_001/S1"], numbers["ENAB_DB_001/S1"], numbers["FEAT_MOBILE_001/S1"]
    assert store in _blockers(rig, login)  # the source (the store) blocks its target (login)

    comment(rig, epic, "/plan drop the mobile client; login no longer waits for the store")
    wait_for(lambda: "is a draft" in (board(rig, epic) or ""), 30, what=f"the draft board\n{rig.logs()}")
    draft = board(rig, epic)
    assert "**Plan v2 is a draft.**" in draft and f"#{mobile}" in draft.split("### Dropped by this revision")[1]
    assert store in _blockers(rig, login)  # nothing on Gitea changes before approval

    for _ in range(2):  # approving twice changes nothing the second time
        marks = len(rig.fake.calls("PATCH", rf"/repos/{REPO}/issues/comments/\d+"))
        comment(rig, epic, "/plan approve")
        wait_for(lambda: len(rig.fake.calls("PATCH", rf"/repos/{REPO}/issues/comments/\d+")) > marks, 30,
                 what=f"the approved board\n{rig.logs()}")
        assert "is a draft" not in board(rig, epic)
        assert _blockers(rig, login) == [] and _blockers(rig, mobile) == []  # no stale "blocked by" link
        mobile_issue = next(i for i in _all_issues(rig) if i["number"] == mobile)
        notes = [c for c in rig.fake.list_comments(REPO, mobile) if "teabot:dropped" in c["body"]]
        assert mobile_issue["state"] == "open" and len(notes) == 1
    assert len(rig.fake.calls("DELETE", rf"/repos/{REPO}/issues/{login}/dependencies")) == 1


def _blockers(rig: Rig, number: int) -> list[int]:
    import httpx

    reply = httpx.get(f"{rig.gitea_url}/api/v1/repos/{REPO}/issues/{number}/dependencies",
                      headers={"Authorization": "token bot-token-0123456789"})
    return sorted(i["number"] for i in reply.json())


def _created_issues(rig: Rig, calls: list) -> list[dict]:
    titles = [c.json["title"] for c in calls]
    issues = [i for i in _all_issues(rig) if i["title"] in titles]
    by_title = {i["title"]: i for i in issues}
    return [by_title[t] for t in titles]


def _all_issues(rig: Rig) -> list[dict]:
    import httpx

    return httpx.get(f"{rig.gitea_url}/api/v1/repos/{REPO}/issues", params={"state": "all", "limit": 50},
                     headers={"Authorization": "token bot-token-0123456789"}).json()


def test_a_cycle_is_named_and_nothing_is_created(model_rig: Rig, model: FakeModelServer) -> None:
    cyclic = json.loads(json.dumps(GOOD))
    cyclic["dependencies"].append({"source_id": "FEAT_AUTH_001", "target_id": "ENAB_DB_001", "reason": "loop"})
    model.set_script({"replies": [{"json": cyclic}, {"json": cyclic}]})
    epic = model_rig.fake.add_issue(REPO, "Epic: loops", "Circular.", author="alice")
    comment(model_rig, epic, "/plan")
    [reply] = wait_for(lambda: bot_comments(model_rig, epic), 30, what=f"the reply\n{model_rig.logs()}")
    assert "cycle: " in reply and "FEAT_AUTH_001" in reply and "ENAB_DB_001" in reply
    assert "teabot:plan v=" not in reply and not issues_created(model_rig)


def test_model_free_flow_and_read_only_users(rig: Rig) -> None:
    epic = rig.fake.add_issue(REPO, "Epic: Self-service accounts", (EPICS / "accounts.md").read_text(), author="alice")
    comment(rig, epic, "/plan approve", author="bob")  # read access only
    wait_for(lambda: bot_comments(rig, epic), 30, what=f"the refusal\n{rig.logs()}")
    assert "needs more access" in bot_comments(rig, epic)[0]
    comment(rig, epic, "/plan")
    wait_for(lambda: len(bot_comments(rig, epic)) == 2, 30, what="the model-free draft")
    draft = bot_comments(rig, epic)[1]
    assert "without a model" in draft.lower()
    plan, _ = extract(draft)
    comment(rig, epic, "/plan approve")
    wait_for(lambda: board(rig, epic), 30, what=f"the board\n{rig.logs()}")
    assert sorted(c.json["title"] for c in issues_created(rig)) == sorted(s.title for s in split_into_stories(plan))


def test_sigkilled_worker_mid_approve_resumes_without_duplicates(rig: Rig) -> None:
    epic = rig.fake.add_issue(REPO, "Epic: Self-service accounts", (EPICS / "accounts.md").read_text(), author="alice")
    comment(rig, epic, "/plan")
    wait_for(lambda: bot_comments(rig, epic), 30, what="the draft")
    plan, _ = extract(bot_comments(rig, epic)[0])
    expected = sorted(s.title for s in split_into_stories(plan))
    rig.fake.delay_next("POST", f"/repos/{REPO}/issues", 0, times=2)  # two creations go through at once,
    rig.fake.delay_next("POST", f"/repos/{REPO}/issues", 3, times=1)  # the third hangs: kill the worker then
    comment(rig, epic, "/plan approve")
    wait_for(lambda: len(issues_created(rig)) >= 2, 30, what="the first tickets")
    rig.kill_workers()  # the worker, its scheduler and its work-horse: no registry cleanup by hand
    wait_for(lambda: len(issues_created(rig)) >= 3, 10, what="the hanging creation to finish on the Gitea side")
    rig.start_worker()  # its maintenance finds the dead worker's job abandoned and retries it
    wait_for(lambda: board(rig, epic), 75, interval=0.5, what=f"the board after recovery\n{rig.logs()}")
    assert sorted(c.json["title"] for c in issues_created(rig)) == expected


def test_gitea_5xx_mid_approve_is_retried_without_duplicates(rig: Rig) -> None:
    epic = rig.fake.add_issue(REPO, "Epic: Self-service accounts", (EPICS / "accounts.md").read_text(), author="alice")
    comment(rig, epic, "/plan")
    wait_for(lambda: bot_comments(rig, epic), 30, what="the draft")
    plan, _ = extract(bot_comments(rig, epic)[0])
    rig.fake.delay_next("POST", f"/repos/{REPO}/issues", 0, times=3)
    rig.fake.fail_next("POST", f"/repos/{REPO}/issues", status=502, times=1)
    comment(rig, epic, "/plan approve")
    wait_for(lambda: board(rig, epic), 60, what=f"the board after the retry\n{rig.logs()}")
    assert sorted(c.json["title"] for c in issues_created(rig)) == sorted(s.title for s in split_into_stories(plan))

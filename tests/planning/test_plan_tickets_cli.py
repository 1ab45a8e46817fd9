"""`teabot plan tickets` (model-free and with the scripted model) and `teabot plan export` (fake Gitea)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.plan_tickets import export_plan
from bot.config.settings import Settings
from bot.forge import make_forge
from bot.forge.client import GiteaClient
from bot.plan.core.embed import embed
from bot.plan.core.validation import validate_plan
from harness import cast
from harness.cast import BOT, BOT_TOKEN
from harness.fake_gitea import FakeGitea
from harness.fake_model import FakeModelServer
from tests.planning.conftest import plan_data

EPIC = """# Epic: self-service accounts

## Tasks

- [ ] Set up the user store
- [ ] Add a sign-up form (depends on the user store)
- [x] Write the privacy note
- #42 Migrate the old accounts

## Dependencies

- Blocked by #7 (another team)
"""


def tickets(tmp_path: Path, text: str = EPIC, env: dict[str, str] | None = None) -> list[dict]:
    path = tmp_path / "epic.md"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "tickets", "--epic", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["tickets"]


def test_tickets_model_free_prints_what_approval_would_create(tmp_path: Path) -> None:
    found = tickets(tmp_path)
    assert all(set(t) >= {"key", "title", "body", "depends_on"} for t in found)
    titles = [t["title"] for t in found]
    assert "Set up the user store" in titles and "Add a sign-up form (depends on the user store)" in titles
    assert not any("privacy" in t for t in titles)  # done: on the board, never created
    assert not any("#7" in t for t in titles)  # a prerequisite outside the epic
    [ref] = [t for t in found if t.get("issue")]
    assert ref["issue"] == 42 and "(#42)" in ref["title"]  # linked, not created again
    assert all("<!-- teabot:item plan=epic#0" in t["body"] for t in found)


def test_tickets_depend_on_the_source_that_is_done_first(tmp_path: Path) -> None:
    found = tickets(tmp_path, "# Epic\n\n## Tasks\n\n- #11 Store\n- #12 Sign-up form\n\n#12 depends on #11\n")
    by_issue = {t["issue"]: t for t in found}
    assert by_issue[12]["depends_on"] == [by_issue[11]["key"]] and by_issue[11]["depends_on"] == []
    assert [t["issue"] for t in found] == [11, 12]  # execution order


def test_tickets_reads_comments_after_the_comment_marker(tmp_path: Path) -> None:
    found = tickets(tmp_path, "# Epic\n\n\n\n<!-- epic-bench:comment -->\nPlan:\n\n1. Remove warnings\n2. Format code\n")
    assert [t["title"] for t in found] == ["Remove warnings", "Format code"]


def model_env(server: FakeModelServer) -> dict[str, str]:
    return {"TEABOT_MODEL_BASE_URL": server.base_url, "TEABOT_MODEL_API_KEY": "k", "TEABOT_MODEL_MAX_RETRIES": "0"}


def test_tickets_with_a_model_goes_through_the_same_validation_and_repair(tmp_path: Path) -> None:
    bad = plan_data()
    bad["nfrs"] = {"performance": "fast", "security": "TLS 1.3"}  # no number: the rules reject it
    script = {"replies": [{"json": bad}, {"json": plan_data()}, {"json": {"stories": []}}, {"json": {"stories": []}}]}
    with FakeModelServer(script) as server:
        found = tickets(tmp_path, env=model_env(server))
        repair = server.prompts[1][-1]["content"]
    assert "nfrs.performance" in repair and "must carry a number" in repair
    keys = [t["key"] for t in found]
    assert "ENAB_DB_001/S1" in keys and any(k.startswith("FEAT_AUTH_001/") for k in keys)  # the model's plan
    sign_in = next(t for t in found if t["key"].startswith("FEAT_AUTH_001/"))
    assert sign_in["depends_on"] and all(d.startswith(("ENAB_", "FEAT_")) for d in sign_in["depends_on"])
    assert keys.index("ENAB_DB_001/S1") < keys.index(sign_in["key"])  # the enabler (source) first


def test_tickets_falls_back_to_the_model_free_planner_when_the_model_stays_invalid(tmp_path: Path) -> None:
    cyclic = plan_data()
    cyclic["dependencies"].append({"source_id": "FEAT_AUTH_002", "target_id": "ENAB_DB_001", "reason": "loop"})
    no_stories = {"json": {"stories": []}}
    with FakeModelServer({"replies": [{"json": cyclic}, {"json": cyclic}, no_stories, no_stories]}) as server:
        with_model = tickets(tmp_path, env=model_env(server))
    assert with_model == tickets(tmp_path)


# --- export ------------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeGitea:
    fake = cast.seed(FakeGitea("1.25"))
    yield fake
    fake.stop()


@pytest.fixture
def forge(fake: FakeGitea) -> GiteaClient:
    return make_forge(Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0),
                      transport=httpx.WSGITransport(app=fake.app))


def plan_comment(fake: FakeGitea, data: dict, version: int, key: str | None = None) -> int:
    plan, errors = validate_plan(data)
    assert plan is not None, errors
    number = fake.add_issue("acme/widget", "Epic", "the epic", author="alice")
    block = embed(plan, version, secret=key.encode() if key else None)
    fake.add_comment("acme/widget", number, f"## PI plan v{version}\n{block}", author=BOT)
    return number


def test_export_prints_the_latest_plan_of_the_bot(fake: FakeGitea, forge: GiteaClient) -> None:
    number = plan_comment(fake, plan_data(), 1)
    newer = plan_data()
    newer["pi_vision"] = "Version two"
    plan, _ = validate_plan(newer)
    fake.add_comment("acme/widget", number, f"## PI plan v2\n{embed(plan, 2)}", author=BOT)
    fake.add_comment("acme/widget", number, f"fake\n{embed(plan, 9)}", author="bob")  # not the bot's: ignored
    exported = export_plan(f"acme/widget#{number}", forge, BOT)
    assert exported["pi_vision"] == "Version two"
    assert exported["dependencies"][0].keys() >= {"source_id", "target_id", "reason"}


def test_export_says_what_to_do_without_a_plan_or_with_a_bad_reference(fake: FakeGitea, forge: GiteaClient) -> None:
    number = fake.add_issue("acme/widget", "Epic", "no plan yet", author="alice")
    with pytest.raises(Exception, match="comment `/plan` first"):
        export_plan(f"acme/widget#{number}", forge, BOT)
    result = CliRunner().invoke(main, ["plan", "export", "acme-widget-12"])
    assert result.exit_code == 2 and "expected OWNER/REPO#N" in result.output


def test_export_command_round_trips_through_plan_check(fake: FakeGitea, tmp_path: Path) -> None:
    number = plan_comment(fake, plan_data(), 1, key="cli-plan-key")  # the command reads only blocks signed with its key
    url = fake.start()
    env = {"TEABOT_GITEA_URL": url, "TEABOT_GITEA_TOKEN": BOT_TOKEN, "TEABOT_PLAN_KEY": "cli-plan-key"}
    result = CliRunner().invoke(main, ["plan", "export", f"acme/widget#{number}"], env=env)
    assert result.exit_code == 0, result.output
    (tmp_path / "plan.json").write_text(result.output)
    checked = CliRunner().invoke(main, ["plan", "check", str(tmp_path / "plan.json")])
    assert checked.exit_code == 0 and checked.output.startswith("plan is valid: 3 features, 2 enablers")


def test_export_ignores_an_unsigned_or_foreign_block_when_it_has_a_key(fake: FakeGitea, forge: GiteaClient) -> None:
    number = plan_comment(fake, plan_data(), 1)  # unsigned: not written with this server's key
    plan, _ = validate_plan(plan_data())
    fake.add_comment("acme/widget", number, embed(plan, 5, secret=b"cli-plan-key"), author="bob")  # signed, not the bot's
    with pytest.raises(Exception, match="comment `/plan` first"):
        export_plan(f"acme/widget#{number}", forge, BOT, plan_key="cli-plan-key")

"""`teabot check` and `teabot setup-hook` against the fake Gitea: findings, fixes, idempotence, dry runs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.settings import ModelSettings, Settings
from harness.fake_gitea import FakeGitea
from harness.fake_model import FakeModelServer
from bot.forge import make_forge
from bot.forge.capabilities import Capabilities
from bot.forge.errors import Forbidden
from bot.cli.checks import (
    BASE_EVENTS,
    Finding,
    Level,
    capabilities_finding,
    check_model,
    check_redis,
    check_settings,
    delivery_note,
    failed,
    hook_issues,
    models_finding,
    plan_hook,
    required_events,
    run_checks,
    same_url,
    setup_hook,
    teabot_hooks,
)

URL = "https://teabot.example.org/webhook"
SECRET = "hook-secret-123"
ALL_EVENTS = (*BASE_EVENTS, "workflow_run", "workflow_job")
APP, DOCS = "acme/app", "acme/docs"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gitea_hook(hook_id: int = 7, url: str = URL, events: tuple[str, ...] = ALL_EVENTS, *, active: bool = True,
               content_type: str = "json", kind: str = "gitea", branch_filter: str = "*") -> dict:
    """A hook as Gitea's GET /repos/{o}/{r}/hooks shows it."""
    return {"id": hook_id, "type": kind, "active": active, "events": list(events), "branch_filter": branch_filter,
            "config": {"url": url, "content_type": content_type, "http_method": "post"}}


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    """acme/app where the bot is admin (so it sees hooks), acme/docs where it may only read."""
    fake = FakeGitea("1.25.4")
    fake.add_user("teabot", "bot-token")
    fake.add_user("alice", "alice-token")
    fake.add_repo(APP)
    fake.add_repo(DOCS)
    fake.set_permission(APP, "teabot", "admin")
    fake.set_permission(DOCS, "teabot", "read")
    yield fake
    fake.stop()


@pytest.fixture
def env(fake: FakeGitea, tmp_path: Path) -> dict[str, str]:
    return {"TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": "bot-token", "TEABOT_WEBHOOK_SECRET": SECRET,
            "TEABOT_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def transport(fake: FakeGitea) -> httpx.WSGITransport:
    return httpx.WSGITransport(app=fake.app)


@pytest.fixture
def forge(env: dict[str, str], transport: httpx.WSGITransport):
    return make_forge(Settings.from_env(env), transport=transport)


def lines(findings: list[Finding], level: Level | None = None, about: str = "") -> list[str]:
    return [f.line() for f in findings if (level is None or f.level is level) and about in f.what]


def writes(fake: FakeGitea) -> list[str]:
    return [f"{c.method} {c.path}" for c in fake.requests if c.method != "GET"]


# --- pure decisions --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("version", "expected"), [
    ("1.23.1", BASE_EVENTS),
    ("1.24.0", (*BASE_EVENTS, "workflow_job")),
    ("1.25.4", ALL_EVENTS),
    ("1.26.0+dev-3-gabc", ALL_EVENTS),
    (None, ALL_EVENTS),
])
def test_required_events_follow_the_server_version(version: str | None, expected: tuple[str, ...]) -> None:
    caps = Capabilities.from_version(version) if version else None
    assert required_events(caps) == expected


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://T.example.org/webhook", "https://t.example.org/webhook/", True),
    (" http://10.0.0.5:8080/webhook", "http://10.0.0.5:8080/webhook", True),
    ("http://t/webhook", "https://t/webhook", False),
    ("http://t/webhook", "http://t:8080/webhook", False),
    ("http://t/webhook?x=1", "http://t/webhook", False),
    ("http://t/Webhook", "http://t/webhook", False),
])
def test_same_url(a: str, b: str, same: bool) -> None:
    assert same_url(a, b) is same


def test_teabot_hooks_by_url_or_by_webhook_path() -> None:
    hooks = [gitea_hook(1, "https://ci.example.org/hook"), gitea_hook(2, URL), gitea_hook(3, "http://x:8080/webhook/")]
    assert [h["id"] for h in teabot_hooks(hooks, URL)] == [2]
    assert [h["id"] for h in teabot_hooks(hooks, None)] == [2, 3]
    assert teabot_hooks(hooks, "https://elsewhere/webhook") == []


def test_a_correct_hook_has_no_issues() -> None:
    assert hook_issues(gitea_hook(), ALL_EVENTS) == []


@pytest.mark.parametrize(("hook", "level", "problem", "change"), [
    (gitea_hook(events=("push", "issues")), Level.ERROR,
     "does not send issue_comment, pull_request, pull_request_comment, status, workflow_run, workflow_job",
     "add issue_comment, pull_request, pull_request_comment, status, workflow_run, workflow_job"),
    (gitea_hook(active=False), Level.ERROR, "is inactive: Gitea sends nothing", "activate it"),
    (gitea_hook(kind="slack"), Level.ERROR, "is of type 'slack', which does not sign with X-Gitea-Signature",
     "a new Gitea-type hook (delete the old one in Gitea)"),
    (gitea_hook(content_type="form"), Level.WARN, "posts content type 'form', not json", "content type json"),
])
def test_hook_issues(hook: dict, level: Level, problem: str, change: str) -> None:
    [issue] = hook_issues(hook, ALL_EVENTS)
    assert (issue.level, issue.problem, issue.change) == (level, problem, change)


def test_forgejo_hooks_are_accepted_and_family_names_are_not_expanded() -> None:
    assert hook_issues(gitea_hook(kind="forgejo"), ALL_EVENTS) == []
    # Gitea lists every type a hook sends by name: "issues" alone does not include issue comments.
    [issue] = hook_issues(gitea_hook(events=("issues", "pull_request")), BASE_EVENTS)
    assert issue.problem == "does not send issue_comment, pull_request_comment, status"


@pytest.mark.parametrize(("url", "host"), [
    ("http://127.0.0.1:8080/webhook", "127.0.0.1"),
    ("http://localhost:8080/webhook", "localhost"),
    ("http://10.1.2.3/webhook", "10.1.2.3"),
    ("http://192.168.1.9/webhook", "192.168.1.9"),
    ("http://[::1]:8080/webhook", "::1"),
    ("https://teabot.localhost/webhook", "teabot.localhost"),
])
def test_delivery_note_for_addresses_gitea_refuses(url: str, host: str) -> None:
    note = delivery_note(url)
    assert note is not None and note.level is Level.WARN
    assert f"ALLOWED_HOST_LIST = {host}" in note.fix


@pytest.mark.parametrize("url", [URL, "http://93.184.216.34/webhook", "http://teabot:8080/webhook"])
def test_no_delivery_note_for_public_or_unknown_hosts(url: str) -> None:
    assert delivery_note(url) is None


def test_plan_creates_when_no_hook_posts_to_the_url() -> None:
    plan = plan_hook(APP, [gitea_hook(1, "https://other/webhook")], URL, ALL_EVENTS)
    assert (plan.action, plan.hook_id, plan.events) == ("create", None, ALL_EVENTS)
    assert plan.describe(dry_run=True).startswith(f"would create a webhook on {APP} → {URL}")
    assert plan.describe().startswith(f"created a webhook on {APP} → {URL}")


def test_plan_recreates_the_hook_posting_to_the_url_keeping_its_settings() -> None:
    hook = {**gitea_hook(4, URL + "/", ("push",), active=False, content_type="form", branch_filter="main"),
            "authorization_header": "Bearer proxy"}
    plan = plan_hook(APP, [hook], URL, BASE_EVENTS)
    assert (plan.action, plan.hook_id, plan.branch_filter, plan.authorization_header) == (
        "recreate", 4, "main", "Bearer proxy")
    assert plan.events == (*BASE_EVENTS, "push")  # the hook's own events are kept
    assert plan.changes[:3] == (f"add {', '.join(BASE_EVENTS)}", "activate it", "content type json")
    assert "cannot change a secret" in plan.changes[3]
    assert plan.describe(dry_run=True).startswith(f"would re-create webhook #4 on {APP}")


def test_plan_repairs_an_organisation_hook_when_the_repository_has_none() -> None:
    plan = plan_hook(APP, [], URL, BASE_EVENTS, [gitea_hook(9, URL)], "acme")
    assert (plan.action, plan.hook_id, plan.org) == ("recreate", 9, "acme")
    assert plan.describe().startswith("re-created webhook #9 on organisation acme")


def test_plan_does_not_reuse_a_hook_of_another_type() -> None:
    plan = plan_hook(APP, [gitea_hook(4, URL, kind="slack")], URL, BASE_EVENTS)
    assert plan.action == "create"


def test_finding_lines_and_failure() -> None:
    assert Finding(Level.OK, "fine").line() == "ok    fine"
    assert Finding(Level.ERROR, "broken", "mend it").line() == "error broken — mend it"
    assert not failed([Finding(Level.OK, "a"), Finding(Level.WARN, "b")])
    assert failed([Finding(Level.OK, "a"), Finding(Level.ERROR, "b")])


@pytest.mark.parametrize(("version", "level", "fix"), [
    ("1.26.1", Level.OK, ""),
    ("1.25.4", Level.WARN, "upgrade Gitea to 1.26 or newer"),
    ("1.23.0", Level.WARN, "upgrade Gitea to 1.26 or newer"),
    ("nightly", Level.WARN, "upgrade Gitea to 1.26 or newer"),
])
def test_capabilities_finding(version: str, level: Level, fix: str) -> None:
    finding = capabilities_finding(Capabilities.from_version(version), "https://git.example.org")
    assert finding.level is level and fix in finding.fix
    assert finding.what.startswith(f"Gitea {version} at https://git.example.org: job logs ")


@pytest.mark.parametrize(("status", "body", "level", "text"), [
    (200, {"data": [{"id": "m1"}, {"id": "m2"}]}, Level.OK, "answers (2 models listed)"),
    (200, {"data": [{"id": "other"}]}, Level.WARN, "does not list m1"),
    (200, {"data": []}, Level.OK, "answers (0 models listed)"),
    (200, ["not", "a", "list body"], Level.WARN, "something other than a model list"),
    (401, {"error": {}}, Level.ERROR, "rejects the key (401)"),
    (403, {"error": {}}, Level.ERROR, "rejects the key (403)"),
    (404, {"error": {}}, Level.WARN, "answered 404 to GET /models"),
])
def test_models_finding(status: int, body: object, level: Level, text: str) -> None:
    finding = models_finding("http://m/v1", httpx.Response(status, json=body), {"m1"})
    assert finding.level is level and text in finding.what


# --- settings --------------------------------------------------------------------------------------------

def test_invalid_settings_are_one_error_that_names_the_variable() -> None:
    found, settings = check_settings({"TEABOT_GITEA_URL": "gitea.example.org", "TEABOT_GITEA_TIMEOUT": "soon"})
    assert settings is None
    [finding] = found
    assert finding.level is Level.ERROR
    assert "TEABOT_GITEA_URL" in finding.what and "TEABOT_GITEA_TIMEOUT" in finding.what


def test_missing_token_is_an_error_and_missing_secret_a_warning(tmp_path: Path) -> None:
    found, settings = check_settings({"TEABOT_DATA_DIR": str(tmp_path)})
    assert settings is not None
    assert [f.level for f in found] == [Level.OK, Level.ERROR, Level.WARN]
    assert "TEABOT_GITEA_TOKEN is not set" in found[1].what and "write:issue" in found[1].fix
    assert "is generated by the first `teabot serve`" in found[2].what
    (tmp_path / "webhook-secret").write_text("s\n")
    assert "webhook-secret exists" in check_settings({"TEABOT_DATA_DIR": str(tmp_path)})[0][2].what


# --- teabot check against the fake Gitea -----------------------------------------------------------------

def test_check_reports_missing_webhook_and_missing_write_permission(env: dict, transport) -> None:
    found = run_checks(env, [APP, DOCS], URL, transport=transport)
    assert failed(found)
    [missing] = lines(found, Level.ERROR, f"{APP}: no webhook")
    assert missing == (f"error {APP}: no webhook posts to {URL} — run `teabot setup-hook {APP} --url {URL}`")
    [read_only] = lines(found, Level.ERROR, DOCS)
    assert "teabot has read access; teabot needs write access" in read_only
    assert f"add teabot as a collaborator with Admin access ({DOCS} → Settings → Collaborators)" in read_only
    [hidden] = lines(found, Level.WARN, f"{DOCS}: cannot list webhooks")
    assert "Gitea shows hooks to repository admins only" in hidden
    assert lines(found, Level.OK, "token valid: teabot acts as teabot")
    assert lines(found, Level.OK, f"{APP}: teabot has admin access")


def test_setup_hook_fixes_what_check_reported(env: dict, transport, forge, fake: FakeGitea) -> None:
    plan = setup_hook(forge, APP, URL, SECRET)
    assert plan.action == "create"
    [hook] = fake.state.repos[APP].hooks.values()
    assert (hook.url, hook.secret, hook.content_type, hook.active) == (URL, SECRET, "json", True)
    assert set(ALL_EVENTS) <= set(hook.events)  # Gitea lists "issues" expanded to every issue event type
    assert writes(fake) == [f"POST /repos/{APP}/hooks"]
    found = run_checks(env, [APP], URL, transport=transport)
    assert not failed(found)
    assert lines(found, Level.OK, f"{APP}: webhook #{hook.id} → {URL} sends issues, issue_comment")
    assert lines(found, Level.WARN, "its secret cannot be verified from here")


def test_setup_hook_twice_keeps_one_hook_and_fixes_a_wrong_secret(forge, fake: FakeGitea) -> None:
    first = setup_hook(forge, APP, URL, SECRET)
    [old] = fake.state.repos[APP].hooks.values()
    again = setup_hook(forge, APP, URL, "rotated-secret")
    assert (first.action, again.action, again.hook_id) == ("create", "recreate", old.id)
    assert again.changes == ("secret set from TEABOT_WEBHOOK_SECRET (Gitea's edit cannot change a secret)",)
    [hook] = fake.state.repos[APP].hooks.values()
    assert hook.secret == "rotated-secret" and set(ALL_EVENTS) <= set(hook.events)
    assert writes(fake) == [f"POST /repos/{APP}/hooks", f"POST /repos/{APP}/hooks", f"DELETE /repos/{APP}/hooks/{old.id}"]


def test_a_patch_never_changes_the_secret(forge, fake: FakeGitea) -> None:
    hook_id = fake.add_hook(APP, URL, "wrong", ["push"])
    forge.edit_hook(APP, hook_id, config={"url": URL, "content_type": "json", "secret": SECRET})
    assert fake.state.repos[APP].hooks[hook_id].secret == "wrong"  # utils/hook.go editHook ignores it


def test_setup_hook_repairs_a_broken_hook(env: dict, transport, forge, fake: FakeGitea) -> None:
    hook_id = fake.add_hook(APP, URL, "old", ["push", "issues"], content_type="form")
    stored = fake.state.repos[APP].hooks[hook_id]
    stored.active, stored.branch_filter = False, "main"
    found = run_checks(env, [APP], URL, transport=transport)
    assert lines(found, Level.ERROR, f"#{hook_id} → {URL} does not send issue_comment")
    assert lines(found, Level.ERROR, f"#{hook_id} → {URL} is inactive")
    assert lines(found, Level.WARN, f"#{hook_id} → {URL} posts content type 'form'")
    stored.authorization_header = "Bearer proxy-token"
    setup_hook(forge, APP, URL, SECRET)
    [new] = fake.state.repos[APP].hooks.values()
    assert (new.active, new.content_type, new.secret, new.branch_filter, new.authorization_header) == (
        True, "json", SECRET, "main", "Bearer proxy-token")
    assert set(ALL_EVENTS) | {"push"} <= set(new.events)
    assert not failed(run_checks(env, [APP], URL, transport=transport))


def test_dry_run_writes_nothing(forge, fake: FakeGitea) -> None:
    plan = setup_hook(forge, APP, URL, SECRET, dry_run=True)
    assert plan.action == "create"
    assert fake.state.repos[APP].hooks == {}
    assert writes(fake) == []
    hook_id = fake.add_hook(APP, URL, "old", ["push"])
    assert setup_hook(forge, APP, URL, SECRET, dry_run=True).hook_id == hook_id
    assert fake.state.repos[APP].hooks[hook_id].events == ["push"] and writes(fake) == []


def test_setup_hook_on_an_old_gitea_asks_only_for_events_it_has(env: dict, tmp_path: Path) -> None:
    old = FakeGitea("1.24")
    old.add_user("teabot", "bot-token")
    old.add_repo(APP)
    old.set_permission(APP, "teabot", "admin")
    forge = make_forge(Settings.from_env(env), transport=httpx.WSGITransport(app=old.app))
    setup_hook(forge, APP, URL, SECRET)
    [events] = [h.events for h in old.state.repos[APP].hooks.values()]
    assert set(BASE_EVENTS) | {"workflow_job"} <= set(events) and "workflow_run" not in events
    setup_hook(forge, APP, URL, SECRET, ["push"])
    [events] = [h.events for h in old.state.repos[APP].hooks.values()]
    assert {"push", *BASE_EVENTS} <= set(events)  # re-created with its events kept


def test_setup_hook_needs_admin_access(forge) -> None:
    with pytest.raises(Forbidden):
        setup_hook(forge, DOCS, URL, SECRET)


def test_check_with_a_rejected_token(env: dict, transport) -> None:
    found = run_checks({**env, "TEABOT_GITEA_TOKEN": "wrong"}, [APP], URL, transport=transport)
    [rejected] = lines(found, Level.ERROR, "rejects TEABOT_GITEA_TOKEN (401)")
    assert "generate a new token for the bot user" in rejected
    assert lines(found, Level.ERROR, f"{APP}: not checked, the token is missing or invalid")


@pytest.mark.parametrize(("method", "path", "status", "expected"), [
    ("GET", "/user", 401, "error Gitea rejects TEABOT_GITEA_TOKEN (401 on GET /user)"),
    ("GET", "/user", 500, "error GET /user failed: "),
    ("GET", f"/repos/{APP}", 500, f"error {APP}: "),
    ("GET", f"/repos/{APP}/hooks", 502, f"error {APP}: listing webhooks failed: "),
])
def test_check_reports_gitea_failures(env: dict, transport, fake: FakeGitea, method: str, path: str, status: int,
                                      expected: str) -> None:
    fake.fail_next(method, path, status)
    found = run_checks(env, [APP], URL, transport=transport)
    assert [line for line in lines(found) if line.startswith(expected)], lines(found)
    assert failed(found)


def test_check_without_a_token_checks_no_repository(env: dict, transport) -> None:
    found = run_checks({**env, "TEABOT_GITEA_TOKEN": ""}, [APP], URL, transport=transport)
    assert lines(found, Level.ERROR, "TEABOT_GITEA_TOKEN is not set")
    assert lines(found, Level.WARN, "Gitea 1.25.4 at")
    assert lines(found, Level.ERROR, f"{APP}: not checked")
    assert not lines(found, None, "token valid")


def test_check_with_a_bot_login_that_is_not_the_token_owner(env: dict, transport) -> None:
    found = run_checks({**env, "TEABOT_BOT_LOGIN": "alice"}, [], None, transport=transport)
    [wrong] = lines(found, Level.ERROR, "TEABOT_BOT_LOGIN=alice but the token belongs to teabot")
    assert "set TEABOT_BOT_LOGIN=teabot" in wrong


def test_check_of_an_unknown_repo_and_of_hooks_without_a_url(env: dict, transport, fake: FakeGitea) -> None:
    fake.add_hook(APP, "http://teabot.internal:8080/webhook", "s", ALL_EVENTS)
    fake.add_hook(APP, "https://chat.example.org/notify", "s", ["push"])
    found = run_checks(env, ["acme/nope", APP], None, transport=transport)
    assert lines(found, Level.ERROR, "acme/nope: not found, or not visible to teabot")
    assert lines(found, Level.OK, f"{APP}: webhook #1 → http://teabot.internal:8080/webhook sends")
    assert not lines(found, None, "chat.example.org")


def test_check_warns_about_two_hooks_to_the_same_url(env: dict, transport, fake: FakeGitea) -> None:
    fake.add_hook(APP, URL, "s", ALL_EVENTS)
    fake.add_hook(APP, URL, "s", ALL_EVENTS)
    found = run_checks(env, [APP], URL, transport=transport)
    assert lines(found, Level.WARN, f"{APP}: 2 webhooks post to teabot")


def test_check_without_a_hook_url_says_how_to_add_one(env: dict, transport) -> None:
    found = run_checks(env, [APP], None, transport=transport)
    [missing] = lines(found, Level.ERROR, f"{APP}: no webhook posts to a teabot /webhook URL")
    assert f"teabot setup-hook {APP} --url https://<teabot-host>/webhook" in missing


def test_check_when_gitea_is_unreachable(tmp_path: Path) -> None:
    env = {"TEABOT_GITEA_URL": f"http://127.0.0.1:{closed_port()}", "TEABOT_GITEA_TOKEN": "t",
           "TEABOT_WEBHOOK_SECRET": "s", "TEABOT_DATA_DIR": str(tmp_path)}
    found = run_checks(env, [APP], URL)
    [down] = lines(found, Level.ERROR, "did not answer GET /version")
    assert "check TEABOT_GITEA_URL" in down
    assert lines(found, Level.ERROR, f"{APP}: not checked")


# --- Redis and the model endpoint ------------------------------------------------------------------------

def test_check_redis(redis_url: str) -> None:
    assert check_redis(None).level is Level.OK and "embedded queue" in check_redis(None).what
    found = check_redis(redis_url)
    assert found.level is Level.OK and "answers" in found.what
    down = check_redis(f"redis://127.0.0.1:{closed_port()}/0")
    assert down.level is Level.ERROR and "did not answer PING" in down.what and "REDIS_URL" in down.fix


def test_check_model_against_the_scripted_model_server() -> None:
    assert "model-free" in check_model(ModelSettings()).what
    with FakeModelServer({"replies": [], "models": ["m1", "m2"]}) as server:
        assert check_model(ModelSettings(base_url=server.base_url, api_key="k", model="m1")).level is Level.OK
        missing = check_model(ModelSettings(base_url=server.base_url, model="m1", task_models={"plan": "big"}))
        assert missing.level is Level.WARN and "does not list big" in missing.what
        base = server.base_url
    down = check_model(ModelSettings(base_url=base))
    assert down.level is Level.ERROR and "unreachable" in down.what


def test_check_model_sends_the_key() -> None:
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("Authorization")))
        return httpx.Response(401, json={"error": {"message": "bad key"}})

    finding = check_model(ModelSettings(base_url="http://model.test/v1/", api_key="sk-x"), httpx.MockTransport(answer))
    assert seen == [("http://model.test/v1/models", "Bearer sk-x")]
    assert finding.level is Level.ERROR and finding.fix == "check TEABOT_MODEL_API_KEY"


def test_run_checks_covers_redis_and_model(env: dict, transport, redis_url: str) -> None:
    found = run_checks({**env, "REDIS_URL": redis_url}, [], None, transport=transport)
    assert lines(found, Level.OK, "Redis at 127.0.0.1:") or lines(found, Level.WARN, "Redis at 127.0.0.1:")  # WARN: no AOF
    assert lines(found, Level.OK, "model-free")


# --- the commands, against the fake Gitea served over HTTP ------------------------------------------------

@pytest.fixture
def served(fake: FakeGitea, env: dict[str, str]) -> dict[str, str]:
    return {**env, "TEABOT_GITEA_URL": fake.start()}


def test_cli_check_then_setup_hook_then_check_again(served: dict, fake: FakeGitea) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["check", "--repo", APP, "--repo", DOCS, "--webhook-url", URL], env=served)
    assert first.exit_code == 1
    assert f"error {APP}: no webhook posts to {URL} — run `teabot setup-hook {APP} --url {URL}`" in first.output
    assert f"error {DOCS}: teabot has read access" in first.output

    dry = runner.invoke(main, ["setup-hook", APP, "--url", URL, "--dry-run"], env=served)
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith(f"would create a webhook on {APP} → {URL}")
    assert fake.state.repos[APP].hooks == {}

    done = runner.invoke(main, ["setup-hook", APP, "--url", URL], env=served)
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"created a webhook on {APP} → {URL}")
    again = runner.invoke(main, ["setup-hook", APP, "--url", URL], env=served)
    assert again.output.startswith(f"re-created webhook #1 on {APP}")
    [hook] = fake.state.repos[APP].hooks.values()
    assert hook.secret == SECRET

    last = runner.invoke(main, ["check", "--repo", APP, "--webhook-url", URL], env=served)
    assert last.exit_code == 0, last.output
    assert f"ok    {APP}: webhook #{hook.id} → {URL} sends" in last.output
    assert "error" not in last.output


def test_cli_setup_hook_uses_the_generated_secret(served: dict, fake: FakeGitea, tmp_path: Path) -> None:
    env = {**served, "TEABOT_WEBHOOK_SECRET": ""}
    stored = Path(env["TEABOT_DATA_DIR"]) / "webhook-secret"
    dry = CliRunner().invoke(main, ["setup-hook", APP, "--url", "http://127.0.0.1:8080/webhook", "--dry-run"], env=env)
    assert dry.exit_code == 0 and not stored.exists()
    assert "ALLOWED_HOST_LIST = 127.0.0.1" in dry.output
    done = CliRunner().invoke(main, ["setup-hook", APP, "--url", "http://127.0.0.1:8080/webhook"], env=env)
    assert done.exit_code == 0, done.output
    [hook] = fake.state.repos[APP].hooks.values()
    assert hook.secret == stored.read_text().strip() != ""


@pytest.mark.parametrize(("args", "extra_env", "code", "message"), [
    (["setup-hook", APP, "--url", "teabot.example.org/webhook"], {}, 2, "http:// or https://"),
    (["setup-hook", DOCS, "--url", URL], {}, 1, f"webhooks need admin access to {DOCS}"),
    (["setup-hook", "acme/nope", "--url", URL], {}, 1, "Error:"),
    (["setup-hook", "not-a-repo", "--url", URL], {}, 1, "is not of the form 'owner/name'"),
    (["setup-hook", APP, "--url", URL], {"TEABOT_GITEA_TOKEN": ""}, 1, "TEABOT_GITEA_TOKEN is not set"),
    (["setup-hook", APP, "--url", URL], {"TEABOT_GITEA_URL": "nope"}, 1, "TEABOT_GITEA_URL='nope' is not a URL"),
    (["check"], {"TEABOT_GITEA_URL": "nope"}, 1, "error invalid environment: TEABOT_GITEA_URL='nope'"),
])
def test_cli_errors_say_what_to_fix(served: dict, fake: FakeGitea, args: list[str], extra_env: dict, code: int,
                                    message: str) -> None:
    result = CliRunner().invoke(main, args, env={**served, **extra_env})
    assert result.exit_code == code
    assert message in result.output
    assert writes(fake) == []


def test_check_warns_when_gitea_would_refuse_the_webhook_url(env: dict, transport) -> None:
    found = run_checks(env, [], "http://192.168.5.5:8080/webhook", transport=transport)
    [note] = lines(found, Level.WARN, "loopback or private address")
    assert "[webhook] ALLOWED_HOST_LIST = 192.168.5.5" in note

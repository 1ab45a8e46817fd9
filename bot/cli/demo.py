"""`teabot demo`: the auto-debug loop end to end on this machine, with the test harnesses."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

# The choices are spelled out here because the harness is importable only once `use_harness` ran;
# tests/devtools/test_demo_cli.py checks they match harness.fake_ci.BUGS and the fake's PROFILES.
BUG_CHOICES = ("off_by_one", "rounding", "tax_rate", "name_error")
GITEA_VERSIONS = ("1.24", "1.25", "1.26", "1.27")
TRIGGERS = ("pull_request", "push")
REPO = "acme/widget"


# The seeded bugs of harness.fake_ci (named here so --help lists them without importing the harness,
# which wheels do not carry); tests/test_ops_smaller.py keeps the two lists equal.


@click.command()
@click.option("--bug", type=click.Choice(BUG_CHOICES), default="off_by_one", show_default=True,
              help="Which seeded bug the sample repository gets.")
@click.option("--gitea-version", type=click.Choice(GITEA_VERSIONS), default="1.25", show_default=True,
              help="Which Gitea release the fake Gitea behaves as (routes, permissions, webhooks).")
@click.option("--trigger", type=click.Choice(TRIGGERS), default="pull_request", show_default=True,
              help="What starts the sample's CI on the feature branch: its pull request, or every push.")
@click.option("--timeout", default=180.0, show_default=True, type=float, help="Seconds to wait for the fix to go green.")
@click.option("--keep", is_flag=True, help="Keep serving after the outcome, until Ctrl-C, so the state can be browsed.")
def demo(bug: str, gitea_version: str, trigger: str, timeout: float, keep: bool) -> None:
    """Watch teabot fix a failing pipeline (no Gitea, no model, no Redis needed).

    Starts the fake Gitea harness playing the chosen Gitea release, with a sample repository whose
    CI really runs (pytest on the committed tree), the scripted model harness (it replays the fix;
    it is not a model), and teabot itself (`teabot serve`, embedded queue) as a repository Admin
    collaborator, not the owner. A human opens a pull request with a bug; its CI run fails; teabot
    triages the log, patches it on a teabot/fix/ branch with its own pull request, CI goes green.
    Exits 0 when the loop went green, 2 when the chosen release cannot run auto-debug.
    """
    from bot.cli.source import use_harness
    from bot.forge.capabilities import Capabilities

    use_harness()
    from harness.fake_gitea.profiles import profile_for

    profile = profile_for(gitea_version)
    caps = Capabilities.from_version(profile.version)
    if not caps.runs_api:
        # The agent reads the failed run and its jobs through GET …/actions/runs/{id}[/jobs] (bot/forge/actions.py
        # requires `runs_api`), which Gitea registers from 1.25 on (routers/api/v1/api.go); 1.24 also sends no
        # workflow_run webhook (modules/webhook/type.go), only workflow_job.
        click.echo(f"auto-debug needs Gitea >= 1.25: Gitea {profile.version} has no Actions runs API "
                   "(GET /repos/{owner}/{repo}/actions/runs/{id}) and sends no workflow_run webhook, so teabot "
                   "cannot read a failed run. Upgrade Gitea, or pick --gitea-version 1.25 or newer.", err=True)
        sys.exit(2)
    _run(bug, profile.version, trigger, timeout, keep)


def _run(bug: str, version: str, trigger: str, timeout: float, keep: bool) -> None:
    """Start the fake Gitea, the scripted model and teabot; wait for the fix loop to go green."""
    from harness.fake_ci import BUGS, CiRunner, install_sample
    from harness.fake_gitea import FakeGitea
    from harness.fake_model import FakeModelServer
    from harness.rig import Rig, wait_for

    path, search, replace = BUGS[bug].fix()
    script = {"replies": [{"tool_calls": [{"name": "propose_edits", "arguments": {
        "diagnosis": f"{BUGS[bug].failing_test} fails: {path} was changed", "commit_message": "fix(pricing): repair the seeded bug",
        "edits": [{"path": path, "search": search, "replace": replace}]}}]}]}
    workdir = Path(tempfile.mkdtemp(prefix="teabot-demo-"))
    runner = CiRunner(workdir / "ci")
    with FakeModelServer(script) as model, Rig(workdir / "rig", redis_url=None, model_url=model.base_url,
                                               fake=FakeGitea(version, ci_runner=runner)) as rig:
        rig.seed()
        rig.start()
        click.echo(f"fake Gitea {version} (harness) at {rig.gitea_url}/api/v1 · teabot at {rig.url}/webhook · "
                   f"logs in {rig.workdir}")
        click.echo(f"teabot is an Admin collaborator of {REPO} (not its owner)")
        sample = install_sample(rig.fake, REPO, bug=bug, trigger=trigger)
        comments = f"{rig.gitea_url}/api/v1/repos/{REPO}/issues/{sample['pull']}/comments"
        click.echo(f"alice pushed a bug to {sample['branch']} and opened pull request #{sample['pull']}; CI run "
                   f"{sample['run_id']} ({sample['event']} event) failed. Watch: {comments}")
        try:
            wait_for(lambda: "fixed in 1 attempt" in _status(rig, sample["pull"]), timeout, interval=0.5,
                     what="the fix to go green")
        except TimeoutError as exc:
            click.echo(f"{exc}\n{_status(rig, sample['pull'])}\n{rig.logs()}", err=True)
            sys.exit(1)
        click.echo(_status(rig, sample["pull"]))
        if keep:
            click.echo("Serving until Ctrl-C.")
            try:
                wait_for(lambda: False, float("inf"), interval=1.0)
            except KeyboardInterrupt:
                pass
    runner.close()


def _status(rig: object, number: int) -> str:
    comments = rig.fake.list_comments(REPO, number)  # type: ignore[attr-defined]
    return next((c["body"] for c in comments if "teabot:debug" in c["body"]), "")


commands = [demo]

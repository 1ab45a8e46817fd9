"""`teabot demo`: the auto-debug loop end to end on this machine, with the test harnesses."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click


# The seeded bugs of harness.fake_ci (named here so --help lists them without importing the harness,
# which wheels do not carry); tests/test_ops_smaller.py keeps the two lists equal.
DEMO_BUGS = ("off_by_one", "rounding", "tax_rate", "name_error")


@click.command()
@click.option("--bug", default="off_by_one", show_default=True, type=click.Choice(DEMO_BUGS),
              help="Which seeded bug the sample repository gets.")
@click.option("--timeout", default=180.0, show_default=True, type=float, help="Seconds to wait for the fix to go green.")
@click.option("--keep", is_flag=True, help="Keep serving after the outcome, until Ctrl-C, so the state can be browsed.")
def demo(bug: str, timeout: float, keep: bool) -> None:
    """Watch teabot fix a failing pipeline (no Gitea, no model, no Redis needed).

    Starts the fake Gitea harness with a sample repository whose CI really runs (pytest on the
    committed tree), the scripted model harness (it replays the fix; it is not a model), and
    teabot itself (`teabot serve`, embedded queue). A human pushes a bug; CI fails; teabot triages
    the log, patches it on a teabot/fix/ branch, CI goes green. Exits 0 when the loop went green.
    """
    from bot.cli.source import use_harness

    use_harness()
    from harness.fake_ci import BUGS, CiRunner, install_sample
    from harness.fake_gitea import FakeGitea
    from harness.fake_model import FakeModelServer
    from harness.rig import Rig, wait_for

    if bug not in BUGS:
        raise click.BadParameter(f"choose one of {', '.join(BUGS)}", param_hint="--bug")
    path, search, replace = BUGS[bug].fix()
    script = {"replies": [{"tool_calls": [{"name": "propose_edits", "arguments": {
        "diagnosis": f"{BUGS[bug].failing_test} fails: {path} was changed", "commit_message": "fix(pricing): repair the seeded bug",
        "edits": [{"path": path, "search": search, "replace": replace}]}}]}]}
    workdir = Path(tempfile.mkdtemp(prefix="teabot-demo-"))
    runner = CiRunner(workdir / "ci")
    with FakeModelServer(script) as model, Rig(workdir / "rig", redis_url=None, model_url=model.base_url,
                                               fake=FakeGitea(ci_runner=runner)) as rig:
        rig.seed()
        rig.start()
        click.echo(f"fake Gitea (harness) at {rig.gitea_url}/api/v1 · teabot at {rig.url}/webhook · logs in {rig.workdir}")
        sample = install_sample(rig.fake, "acme/widget", bug=bug)
        comments = f"{rig.gitea_url}/api/v1/repos/acme/widget/issues/{sample['pull']}/comments"
        click.echo(f"alice pushed a bug to {sample['branch']}; CI run {sample['run_id']} failed. Watch: {comments}")
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
    comments = rig.fake.list_comments("acme/widget", number)  # type: ignore[attr-defined]
    return next((c["body"] for c in comments if "teabot:debug" in c["body"]), "")


commands = [demo]

"""`teabot plan ...`: check and render plan JSON files; `teabot plan --from-event` runs a command in Actions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.plan.core.render import render_blueprint
from bot.plan.core.validation import validate_plan


@click.group(invoke_without_command=True)
@click.option("--from-event", is_flag=True,
              help="In a Gitea Actions `issue_comment` workflow: run the /plan, /summarize or /classify command "
                   "of the comment in the job's event file, as the server would.")
@click.option("--dry-run", is_flag=True, help="With --from-event: write nothing to Gitea; print what would be run.")
@click.pass_context
def plan(ctx: click.Context, from_event: bool, dry_run: bool) -> None:
    """Work with PI plans (the planning agent's structured output), or run a planning command from an event."""
    if ctx.invoked_subcommand is not None:
        if from_event or dry_run:
            raise click.UsageError("--from-event and --dry-run stand alone: `teabot plan --from-event [--dry-run]`")
        return
    if not from_event:
        click.echo(ctx.get_help())
        return
    from bot.cli.step import plan_from_event

    plan_from_event(dry_run=dry_run)


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{path}: not valid JSON: {exc}") from None


@plan.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE.json against the plan rules; print every error (exit 1 when invalid)."""
    result, errors = validate_plan(_read(file))
    if result is None:
        for error in errors:
            click.echo(error)
        raise SystemExit(1)
    click.echo(f"plan is valid: {len(result.features)} features, {len(result.enablers)} enablers, "
               f"{len(result.dependencies)} dependencies")


@plan.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", default=1, show_default=True, type=click.IntRange(min=1),
              help="Plan version shown in the heading.")
@click.option("--model-free", is_flag=True, help="Say that the plan was built without a model.")
def render(file: Path, version: int, model_free: bool) -> None:
    """Print the Markdown blueprint of FILE.json (exit 1 with the errors, e.g. a cycle, when invalid)."""
    result, errors = validate_plan(_read(file))
    if result is None:
        for error in errors:
            click.echo(error, err=True)
        raise SystemExit(1)
    click.echo(render_blueprint(result, version=version, model_free=model_free), nl=False)


commands = [plan]


@plan.command("tickets")
@click.option("--epic", "epic_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The epic as Markdown: `# title`, a blank line, the body (comments after "
                   "`<!-- epic-bench:comment -->` lines).")
@click.option("--json", "as_json", is_flag=True, required=True, help="Print the tickets as JSON (the only format).")
def tickets(epic_file: Path, as_json: bool) -> None:
    """Print the tickets `/plan approve` would create from an epic: {"tickets": [{key, title, body, depends_on}]}.

    Model-free unless a model is configured (TEABOT_MODEL_BASE_URL …): then the model plans, through the same
    validation as `/plan`, and the model-free planner answers whenever its reply stays invalid.
    """
    from bot.cli.plan_tickets import configured_llm, epic_tickets, read_epic_file

    title, body, comments = read_epic_file(epic_file)
    click.echo(json.dumps({"tickets": epic_tickets(title, body, comments, configured_llm())}, ensure_ascii=False))


@plan.command("export")
@click.argument("ref", metavar="OWNER/REPO#N")
def export(ref: str) -> None:
    """Print the current plan stored on issue OWNER/REPO#N as JSON (for `plan check`, `plan render`, a model)."""
    from bot.cli.plan_tickets import export_plan

    click.echo(json.dumps(export_plan(ref), ensure_ascii=False, indent=2))

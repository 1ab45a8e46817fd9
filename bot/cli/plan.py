"""`teabot plan ...`: check and render plan JSON files (more subcommands join this group)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.planning.render import render_blueprint
from bot.planning.validation import validate_plan


@click.group()
def plan() -> None:
    """Work with PI plans (the planning agent's structured output)."""


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

"""README.md as the operator's manual: every repository setting, command and action input is in it."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator

import click
import yaml
from pydantic import BaseModel

from bot.cli import main
from bot.config.repo import RepoConfig, parse_repo_config
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The text of the `## title` section."""
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _model_of(annotation: object) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def settings_keys(model: type[BaseModel], value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Every leaf key of the settings model, dotted, with its default (None when it has none)."""
    for name, field in model.model_fields.items():
        default = getattr(value, name) if value is not None else (None if field.is_required() else field.default)
        sub = _model_of(field.annotation)
        if sub is not None:
            yield from settings_keys(sub, default, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", default


def shown(value: object) -> str:
    """A default as the README writes it (YAML spelling)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list, dict)):
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)


def test_every_repository_setting_is_documented_with_its_default() -> None:
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `([a-z_.]+)` \|.*$", section("Repository settings: `.gitea/teabot.yaml`"), re.M)}
    keys = list(settings_keys(RepoConfig, RepoConfig()))
    assert len(keys) > 20 and set(rows) == {key for key, _ in keys}
    for key, default in keys:
        if default is not None:
            assert f"| `{shown(default)}` |" in rows[key], f"{key}: the README should give the default {shown(default)!r}"


def test_the_readme_settings_example_is_valid() -> None:
    [example] = re.findall(r"```yaml\n(commands:.+?)```", README, re.S)
    config = parse_repo_config(example)
    assert not config.commands.classify.enabled and config.commands.plan.users == ("product-owner",)


def test_every_command_is_documented() -> None:
    commands = section("Commands")
    context = click.Context(main)
    names = main.list_commands(context)
    assert {"serve", "worker", "triage", "plan", "demo", "sweep"} <= set(names)
    for name, command in ((n, main.get_command(context, n)) for n in names):
        assert f"`teabot {name}" in commands, f"README.md's Commands table lacks `teabot {name}`"
        for sub in getattr(command, "commands", {}) if isinstance(command, click.Group) else {}:
            assert f"`teabot {name} {sub}" in commands, f"README.md's Commands table lacks `teabot {name} {sub}`"


def test_the_actions_section_covers_the_action_and_its_examples() -> None:
    actions = section("In Gitea Actions")
    inputs = yaml.safe_load((REPO_ROOT / "action.yml").read_text())["inputs"]
    for name in inputs:
        assert f"`{name}`" in actions, f"action input {name!r} is not in README.md"
    examples = {p.name for p in (REPO_ROOT / ".gitea" / "examples").glob("*.yml")}
    assert examples and all(f"`{name}`" in actions for name in examples)
    for variable in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID", "GITHUB_EVENT_PATH", "GITHUB_JOB", "TEABOT_GITEA_TOKEN", "GITEA_TOKEN"):
        assert f"`{variable}`" in actions

"""`teabot check --config FILE`: validate a repository's teabot files locally (pre-commit hook, CI step).

A FILE is `.gitea/teabot.yaml`, a workflow override `.gitea/teabot/workflows/<name>.yaml` or a skill
override `.gitea/teabot/skills/<name>/skill.md`, told apart by path; a directory is a repository
checkout, and every teabot file in it is checked. Errors name the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bot.cli.checks import Finding, error, ok
from bot.config.playbooks import bundled_dir as playbooks_dir
from bot.config.playbooks import effective_playbook
from bot.config.repo import CONFIG_PATH, parse_repo_config
from bot.config.settings import ConfigError
from bot.config.skills import bundled_dir as skills_dir
from bot.config.skills import effective_skill

WORKFLOW = re.compile(r"(?:^|/)teabot/workflows/([^/]+)\.ya?ml$")
SKILL = re.compile(r"(?:^|/)teabot/skills/([^/]+)/skill\.md$")


def repository_files(root: Path) -> list[Path]:
    """The teabot files of a repository checkout (the config, then overrides), existing ones only."""
    config = root / CONFIG_PATH
    overrides = sorted((root / ".gitea/teabot/workflows").glob("*.y*ml"))
    skills = sorted((root / ".gitea/teabot/skills").glob("*/skill.md"))
    return ([config] if config.is_file() else []) + overrides + skills


def check_file(path: Path) -> Finding:
    """Validate one teabot file; the finding names the file, and the key when something is wrong."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return error(f"{shown}: cannot be read ({exc})")
    try:
        kind = _validate(path.as_posix(), shown, text)
    except ConfigError as exc:
        return error(str(exc), "fix the key named here; README.md lists what each file may say")
    return ok(f"{shown}: valid {kind}")


def check_paths(paths: Iterable[Path]) -> list[Finding]:
    """Findings for every FILE given, a directory standing for the teabot files in it."""
    found: list[Finding] = []
    for path in paths:
        if path.is_dir():
            files = repository_files(path)
            found += [check_file(f) for f in files] or [ok(f"{path}: no teabot files (defaults apply)")]
        else:
            found.append(check_file(path))
    return found


def _validate(posix: str, shown: str, text: str) -> str:
    if match := WORKFLOW.search(posix):
        bundled = playbooks_dir() / f"{match[1]}.yaml"
        if not bundled.is_file():
            known = ", ".join(sorted(p.stem for p in playbooks_dir().glob("*.yaml")))
            raise ConfigError(f"{shown}: (file): teabot has no workflow named {match[1]!r} to override (known: {known})")
        effective_playbook(bundled.read_text(encoding="utf-8"), text, file=f"workflows/{match[1]}.yaml",
                           override_file=shown)
        return f"override of workflow {match[1]}"
    if match := SKILL.search(posix):
        bundled = skills_dir() / match[1] / "skill.md"
        if not bundled.is_file():
            known = ", ".join(sorted(p.parent.name for p in skills_dir().glob("*/skill.md")))
            raise ConfigError(f"{shown}: (file): teabot has no skill named {match[1]!r} to override (known: {known})")
        effective_skill(bundled.read_text(encoding="utf-8"), text, file=f"skills/{match[1]}/skill.md",
                        override_file=shown)
        return f"override of skill {match[1]}"
    parse_repo_config(text, path=shown)
    return "teabot.yaml"

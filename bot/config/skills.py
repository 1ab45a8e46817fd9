"""Agent instructions as data: `skills/<name>/skill.md` = YAML front matter + Markdown instructions.

Front matter keys: `name` (must equal the folder name), `description`, optional `version` (int)
and, in a repo override only, `extends: true` to append the override's instructions to the
bundled ones instead of replacing them. Problems are raised as `SkillError(file, key, message)`.
Bundled skills live at the repository root (`Path(bot.__file__).parents[1] / "skills"`); a repo
may override one with `.gitea/teabot/skills/<name>/skill.md` (see `effective_skill`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

import bot
from bot.config import yaml_bounds
from bot.config.settings import ConfigError

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.S)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KEYS = ("name", "description", "version", "extends")


class SkillError(ConfigError):
    """A skill file is invalid: `file`, the front-matter `key` (or `(body)`) and what is wrong."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file, self.key, self.message = file, key, message
        super().__init__(f"{file}: {key}: {message}")


@dataclass(frozen=True)
class Skill:
    """A validated skill: its name, one-line description and the Markdown instructions."""

    name: str
    description: str
    instructions: str
    version: int = 1
    file: str = ""


def bundled_dir() -> Path:
    """The bundled `skills/` folder (the repository's top-level one, linked as bot/bundled/skills so wheels carry it)."""
    return Path(bot.__file__).parent / "bundled" / "skills"


def parse_skill(text: str, file: str = "<skill>", *, expected_name: str | None = None) -> Skill:
    """Parse and validate one skill file."""
    meta, body = _split(text, file)
    if "extends" in meta:
        raise SkillError(file, "extends", "only a repo override may extend a skill")
    return _skill(meta, body, file, expected_name)


def load_skill(name: str, root: Path | None = None) -> Skill:
    """The skill `<root>/<name>/skill.md` (bundled skills by default)."""
    path = (root or bundled_dir()) / name / "skill.md"
    if not path.is_file():
        raise SkillError(str(path), "(file)", f"no skill named {name!r}")
    return parse_skill(path.read_text(encoding="utf-8"), str(path), expected_name=name)


def bundled_skills() -> dict[str, Skill]:
    """Every bundled skill by name."""
    return {p.parent.name: load_skill(p.parent.name) for p in sorted(bundled_dir().glob("*/skill.md"))}


def effective_skill(bundled_text: str, override_text: str | None = None, *, file: str = "<bundled>",
                    override_file: str = "<override>") -> Skill:
    """The bundled skill, replaced by a repo's override, or extended by it (`extends: true`)."""
    bundled = parse_skill(bundled_text, file)
    if not override_text or not override_text.strip():
        return bundled
    meta, body = _split(override_text, override_file)
    extends = meta.pop("extends", False)
    if not isinstance(extends, bool):
        raise SkillError(override_file, "extends", "must be true or false")
    if extends:
        meta = {"name": bundled.name, "description": bundled.description, **meta}
        body = f"{bundled.instructions}\n\n{body.strip()}"
    return _skill(meta, body, override_file, bundled.name)


def _split(text: str, file: str) -> tuple[dict, str]:
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise SkillError(file, "(front matter)", "must start with a `---` YAML block holding name and description")
    try:
        meta = yaml_bounds.safe_load(match[1]) or {}
    except yaml.YAMLError as exc:
        raise SkillError(file, "(front matter)", f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta, dict):
        raise SkillError(file, "(front matter)", "must be a mapping")
    for key in meta:
        if key not in KEYS:
            raise SkillError(file, str(key), f"unknown key (allowed: {', '.join(KEYS)})")
    return meta, match[2]


def _skill(meta: dict, body: str, file: str, expected_name: str | None) -> Skill:
    name, description, version = meta.get("name"), meta.get("description"), meta.get("version", 1)
    if not isinstance(name, str) or not NAME.match(name):
        raise SkillError(file, "name", "must be a lowercase name (letters, digits, _)")
    if expected_name is not None and name != expected_name:
        raise SkillError(file, "name", f"is {name!r} but the skill is {expected_name!r}")
    if not isinstance(description, str) or not description.strip():
        raise SkillError(file, "description", "must be a non-empty string")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SkillError(file, "version", "must be a positive whole number")
    if not body.strip():
        raise SkillError(file, "(body)", "the instructions are empty")
    return Skill(name, description.strip(), body.strip(), version, file)

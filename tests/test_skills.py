"""Skill definitions: every bundled skill loads; bad files give errors naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError
from bot.plan.core.validation import PLAN_KEYS
from bot.config.skills import SkillError, bundled_dir, bundled_skills, effective_skill, load_skill, parse_skill

GOOD = "---\nname: demo\ndescription: A demo skill.\n---\n# Demo\n\nDo the thing.\n"


@pytest.mark.parametrize("path", sorted(bundled_dir().glob("*/skill.md")), ids=lambda p: p.parent.name)
def test_every_bundled_skill_loads(path: Path) -> None:
    skill = load_skill(path.parent.name)
    assert skill.name == path.parent.name and skill.description and len(skill.instructions) > 500
    assert skill.file == str(path)


def test_the_expected_skills_are_bundled() -> None:
    assert set(bundled_skills()) >= {"pi_planning", "auto_debug", "summarize", "classify"}


def test_pi_planning_covers_perspectives_schema_and_self_checks() -> None:
    text = load_skill("pi_planning").instructions
    for needle in ("Product manager", "Architect", "Release train engineer", "FEAT_<DOMAIN>_<NNN>",
                   "ENAB_<TECH>_<NNN>", "Self-checks", "verb-object", "depends on"):
        assert needle.lower() in text.lower(), needle
    for key in PLAN_KEYS:
        assert f"`{key}`" in text or f"`{key}." in text, key


def test_parse_good_skill() -> None:
    skill = parse_skill(GOOD, "skills/demo/skill.md", expected_name="demo")
    assert (skill.name, skill.description, skill.instructions, skill.version) == (
        "demo", "A demo skill.", "# Demo\n\nDo the thing.", 1)
    assert parse_skill(GOOD.replace("\n", "\r\n")).name == "demo"


BAD = [
    ("# no front matter\n", "(front matter)", "must start with"),
    ("---\nname: [demo\n---\nbody\n", "(front matter)", "not valid YAML"),
    ("---\n- a\n---\nbody\n", "(front matter)", "must be a mapping"),
    ("---\nname: demo\ndescription: d\ncolour: red\n---\nbody\n", "colour", "unknown key"),
    ("---\ndescription: d\n---\nbody\n", "name", "must be a lowercase name"),
    ("---\nname: Demo\ndescription: d\n---\nbody\n", "name", "must be a lowercase name"),
    ("---\nname: other\ndescription: d\n---\nbody\n", "name", "is 'other' but the skill is 'demo'"),
    ("---\nname: demo\n---\nbody\n", "description", "must be a non-empty string"),
    ("---\nname: demo\ndescription: d\nversion: 0\n---\nbody\n", "version", "must be a positive whole number"),
    ("---\nname: demo\ndescription: d\n---\n   \n", "(body)", "the instructions are empty"),
    ("---\nname: demo\ndescription: d\nextends: true\n---\nbody\n", "extends", "only a repo override"),
]


@pytest.mark.parametrize(("text", "key", "message"), BAD, ids=[b[1] + ":" + b[2][:16] for b in BAD])
def test_bad_skills_name_file_and_key(text: str, key: str, message: str) -> None:
    with pytest.raises(SkillError) as caught:
        parse_skill(text, "skills/demo/skill.md", expected_name="demo")
    error = caught.value
    assert isinstance(error, ConfigError) and (error.file, error.key) == ("skills/demo/skill.md", key)
    assert error.message.startswith(message) and str(error).startswith(f"skills/demo/skill.md: {key}: ")


def test_missing_skill(tmp_path: Path) -> None:
    with pytest.raises(SkillError) as caught:
        load_skill("nope", tmp_path)
    assert caught.value.key == "(file)" and "nope" in caught.value.message


def test_repo_override_replaces_or_extends() -> None:
    assert effective_skill(GOOD) == parse_skill(GOOD, "<bundled>")
    assert effective_skill(GOOD, "\n", file="b.md") == parse_skill(GOOD, "b.md")
    replaced = effective_skill(GOOD, "---\nname: demo\ndescription: Ours.\n---\nOur rules.\n", override_file="o.md")
    assert (replaced.description, replaced.instructions, replaced.file) == ("Ours.", "Our rules.", "o.md")
    extended = effective_skill(GOOD, "---\nextends: true\n---\nAlso: use British spelling.\n")
    assert extended.description == "A demo skill."
    assert extended.instructions == "# Demo\n\nDo the thing.\n\nAlso: use British spelling."
    with pytest.raises(SkillError) as caught:
        effective_skill(GOOD, "---\nname: other\ndescription: d\n---\nx\n", override_file="o.md")
    assert (caught.value.file, caught.value.key) == ("o.md", "name")
    with pytest.raises(SkillError) as caught:
        effective_skill(GOOD, "---\nextends: yes please\n---\nx\n", override_file="o.md")
    assert caught.value.key == "extends"

"""Agent playbooks as data: the files in `workflows/*.yaml` parsed and validated into frozen dataclasses.

"Workflow" means a Gitea Actions workflow everywhere else in teabot; an agent's YAML is a playbook.
A playbook names its triggers, optional modes (e.g. draft/revise/approve), budgets and options, and
then either `steps` the agent runs in order (the planner: each step `uses` an action the agent
implements, may name a `skill`, run only in some modes (`when`), only when an option is set
(`only_if`), carry its own `budget` and say what happens `on_error`) or `phases` it switches on and
off (the auto-debug agent, whose loop is a state machine in code: `fix`, `rerun_flaky`, `deploy`,
`acceptance`). Every problem is reported as `PlaybookError(file, key, message)`.

The bundled files live at the repository root (`Path(bot.__file__).parents[1] / "workflows"`);
a repo may override one with `.gitea/teabot/workflows/<name>.yaml`, merged key by key onto the
bundled definition (mappings merge, lists and scalars replace) by `effective_playbook`, and the
result is validated as a whole: an unknown action, skill, phase or option names the file and key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

import bot
from bot.config import yaml_bounds
from bot.config.settings import ConfigError

PLAYBOOK_KEYS = ("name", "description", "triggers", "modes", "budgets", "options", "steps", "phases")
STEP_KEYS = ("id", "uses", "description", "skill", "when", "only_if", "budget", "on_error", "until", "steps")
BUDGET_KEYS = ("attempts", "tokens", "minutes")
ON_ERROR = ("fail", "report", "continue", "retry")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
USES = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?$")
# The actions each agent implements (a step's `uses`); the planner's table is checked against this one.
ACTIONS: dict[str, frozenset[str]] = {
    "plan": frozenset(f"plan.{a}" for a in ("gather", "draft", "revise", "validate", "render", "post", "stories",
                                            "tickets", "links", "board")),
}
# The phases of a playbook driven by a state machine: phase -> (allowed python types, description, default).
PHASES: dict[str, dict[str, tuple[tuple[type, ...], str, Any]]] = {
    "auto_debug": {
        "fix": ((bool,), "true or false", True),
        "rerun_flaky": ((bool,), "true or false", True),
        "deploy": ((str, type(None)), "a workflow file name or null", None),
        "acceptance": ((str, type(None)), "a workflow file name or null", None),
    },
}
# Option schemas per playbook name: option -> (allowed python types, description for messages).
OPTIONS: dict[str, dict[str, tuple[tuple[type, ...], str]]] = {
    "plan": {
        "attachment_types": ((list,), "a list of file extensions"),
        "max_attachment_kb": ((int,), "a whole number of KiB"),
        "post_board": ((bool,), "true or false"),
    },
    "auto_debug": {
        "poll_interval_seconds": ((int,), "a whole number of seconds"),
        "timeout_minutes": ((int,), "a whole number of minutes"),
        "docs_folder": ((str, type(None)), "a folder path or null"),
        "branch_prefix": ((str,), "a branch name prefix"),
    },
}


class PlaybookError(ConfigError):
    """A playbook file is invalid: `file`, the dotted `key` and what is wrong (all problems in `problems`)."""

    def __init__(self, file: str, key: str, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.file, self.key, self.message = file, key, message
        self.problems = problems or [(key, message)]
        super().__init__("\n".join(f"{file}: {k}: {m}" for k, m in self.problems))


@dataclass(frozen=True)
class BudgetOverrides:
    """Caps on a run: attempts, model tokens and wall-clock minutes (None: inherit)."""

    attempts: int | None = None
    tokens: int | None = None
    minutes: float | None = None


@dataclass(frozen=True)
class Step:
    """One step of a playbook."""

    id: str
    uses: str
    description: str = ""
    skill: str | None = None
    when: tuple[str, ...] = ()
    only_if: str | None = None
    budget: BudgetOverrides | None = None
    on_error: str = "fail"
    until: str | None = None
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Playbook:
    """A validated playbook."""

    name: str
    description: str
    commands: tuple[str, ...]
    events: tuple[str, ...]
    modes: tuple[str, ...]
    budgets: BudgetOverrides
    steps: tuple[Step, ...]
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    file: str = ""
    phases: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def steps_for(self, mode: str | None = None) -> tuple[Step, ...]:
        """The top-level steps that run in `mode` (all of them when no mode is given)."""
        return tuple(s for s in self.steps if mode is None or not s.when or mode in s.when)

    def enabled(self, step: Step) -> bool:
        """False when the step's `only_if` option is unset or empty."""
        return step.only_if is None or bool(self.options.get(step.only_if))


def bundled_dir() -> Path:
    """The bundled `workflows/` folder (the repository's top-level one, linked as bot/bundled/workflows so wheels carry it)."""
    return Path(bot.__file__).parent / "bundled" / "workflows"


def parse_playbook(text: str, file: str = "<playbook>", *, actions: set[str] | None = None,
                   skills: set[str] | None = None) -> Playbook:
    """Parse and validate one playbook; `actions`/`skills`, when given, are the names that may be used."""
    return _validate(_load_yaml(text, file), file, actions, skills)


def load_playbook(path: Path, **known: Any) -> Playbook:
    """Parse a playbook file."""
    return parse_playbook(path.read_text(encoding="utf-8"), str(path), **known)


def bundled_playbooks(**known: Any) -> dict[str, Playbook]:
    """Every bundled playbook by name."""
    flows = [load_playbook(p, **known) for p in sorted(bundled_dir().glob("*.yaml"))]
    return {flow.name: flow for flow in flows}


def effective_playbook(bundled_text: str, override_text: str | None = None, *, file: str = "<bundled>",
                       override_file: str = "<override>", **known: Any) -> Playbook:
    """The bundled playbook with a repo's override merged onto it (errors name the file the key came from)."""
    base = _load_yaml(bundled_text, file)
    if not override_text or not override_text.strip():
        return _validate(base, file, known.get("actions"), known.get("skills"))
    override = _load_yaml(override_text, override_file)
    merged = _merge(base, override)
    try:
        return _validate(merged, file, known.get("actions"), known.get("skills"))
    except PlaybookError as error:
        origin = override_file if error.key.split(".")[0].split("[")[0] in override else file
        raise PlaybookError(origin, error.key, error.message, error.problems) from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merge(base[key], value) if both else value
    return merged


def _load_yaml(text: str, file: str) -> dict[str, Any]:
    try:
        data = yaml_bounds.safe_load(text)
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml_bounds.TooDeep):
            raise PlaybookError(file, exc.key, f"nested deeper than {yaml_bounds.MAX_DEPTH} levels") from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PlaybookError(file, "(yaml)", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise PlaybookError(file, "(top)", "must be a mapping with name, description and steps")
    return data


class _Checker:
    """Collects (key, message) problems while reading a playbook."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def keys(self, data: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(path, "must be a mapping")
            return {}
        for key in data:
            if key not in allowed:
                self.fail(f"{path}.{key}" if path else str(key), f"unknown key (allowed: {', '.join(allowed)})")
        return data

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(path, key), "must be a non-empty string")
            return ""
        return value.strip()

    def names(self, data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and NAME.match(v) for v in value):
            self.fail(_join(path, key), "must be a list of lowercase names")
            return ()
        return tuple(value)

    def budgets(self, data: Any, path: str) -> BudgetOverrides:
        data = self.keys(data, path, BUDGET_KEYS)
        values = {}
        for key in BUDGET_KEYS:
            value = data.get(key)
            kinds = (int, float) if key == "minutes" else (int,)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kinds) or value <= 0):
                self.fail(f"{path}.{key}", "must be a positive number")
            elif value is not None:
                values[key] = value
        return BudgetOverrides(**values)


def _validate(data: dict[str, Any], file: str, actions: set[str] | None, skills: set[str] | None) -> Playbook:
    check = _Checker()
    check.keys(data, "", PLAYBOOK_KEYS)
    name = check.text(data, "name", "", required=True)
    if name and not NAME.match(name):
        check.fail("name", "must be a lowercase name (letters, digits, _)")
    triggers = check.keys(data.get("triggers", {}), "triggers", ("commands", "events"))
    modes = check.names(data, "modes", "")
    budgets = check.budgets(data.get("budgets", {}), "budgets")
    phases = _phases(check, name, data.get("phases"))
    steps = () if name in PHASES and "steps" not in data else _steps(check, data.get("steps"), "steps", modes,
                                                                     actions if actions is not None else ACTIONS.get(name),
                                                                     skills)
    if name in PHASES and "steps" in data:
        check.fail("steps", f"the {name} playbook has no steps: switch its phases on and off instead "
                            f"({', '.join(PHASES[name])})")
    options = _options(check, name, data.get("options", {}))
    for step in all_steps(steps):
        if step.only_if and step.only_if not in options:
            check.fail(f"steps.{step.id}.only_if", f"names no option of this playbook: {step.only_if}")
    playbook = Playbook(name, check.text(data, "description", "", required=True),
                        check.names(triggers, "commands", "triggers"), check.names(triggers, "events", "triggers"),
                        modes, budgets, steps, MappingProxyType(options), file, MappingProxyType(phases))
    if check.problems:
        key, message = check.problems[0]
        raise PlaybookError(file, key, message, check.problems)
    return playbook


def _steps(check: _Checker, value: Any, path: str, modes: tuple[str, ...], actions: set[str] | None,
           skills: set[str] | None) -> tuple[Step, ...]:
    if not isinstance(value, list) or not value:
        check.fail(path, "must be a non-empty list of steps")
        return ()
    steps = tuple(_step(check, item, f"{path}[{i}]", modes, actions, skills) for i, item in enumerate(value))
    seen: set[str] = set()
    for index, step in enumerate(steps):
        if step.id in seen:
            check.fail(f"{path}[{index}].id", f"duplicate step id {step.id}")
        seen.add(step.id)
    return steps


def _step(check: _Checker, value: Any, path: str, modes: tuple[str, ...], actions: set[str] | None,
          skills: set[str] | None) -> Step:
    if not isinstance(value, dict):
        check.fail(path, "must be a mapping")
        value = {}
    step_id = check.text(value, "id", path, required=True)
    if step_id and not NAME.match(step_id):
        check.fail(f"{path}.id", "must be a lowercase name")
    elif step_id:
        path = re.sub(r"\[\d+\]$", f".{step_id}", path)
    data = check.keys(value, path, STEP_KEYS)
    uses = check.text(data, "uses", path, required=True)
    if uses and (not USES.match(uses) or (actions is not None and uses not in actions and uses != "loop")):
        check.fail(f"{path}.uses", f"unknown action {uses!r}")
    skill = check.text(data, "skill", path) or None
    if skill and skills is not None and skill not in skills:
        check.fail(f"{path}.skill", f"no skill named {skill!r}")
    when = check.names(data, "when", path)
    for mode in when:
        if mode not in modes:
            check.fail(f"{path}.when", f"unknown mode {mode!r} (modes: {', '.join(modes) or 'none declared'})")
    on_error = data.get("on_error", "fail")
    if on_error not in ON_ERROR:
        check.fail(f"{path}.on_error", f"must be one of {'|'.join(ON_ERROR)}")
    children = _steps(check, data["steps"], f"{path}.steps", modes, actions, skills) if "steps" in data else ()
    until = check.text(data, "until", path) or None
    if (uses == "loop") != bool(children) or (uses == "loop") != bool(until):
        check.fail(f"{path}.uses", "a loop (uses: loop) needs sub-steps and `until`; only a loop has them")
    budget = check.budgets(data["budget"], f"{path}.budget") if "budget" in data else None
    return Step(step_id, uses, check.text(data, "description", path), skill, when,
                check.text(data, "only_if", path) or None, budget, str(on_error), until, children)


def all_steps(steps: tuple[Step, ...]) -> list[Step]:
    return [s for step in steps for s in (step, *all_steps(step.steps))]


def _options(check: _Checker, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        check.fail("options", "must be a mapping")
        return {}
    schema = OPTIONS.get(name)
    for key, option in value.items():
        if schema is None:
            if not isinstance(option, str | int | float | bool | type(None)):
                check.fail(f"options.{key}", "must be a plain value (text, number, true/false or null)")
        elif key not in schema:
            check.fail(f"options.{key}", f"unknown option (allowed: {', '.join(schema)})")
        elif isinstance(option, bool) != (bool in schema[key][0]) or not isinstance(option, schema[key][0]):
            check.fail(f"options.{key}", f"must be {schema[key][1]}")
        elif isinstance(option, int) and not isinstance(option, bool) and option <= 0:
            check.fail(f"options.{key}", f"must be {schema[key][1]} above zero")
        elif isinstance(option, list) and not all(isinstance(v, str) and v for v in option):
            check.fail(f"options.{key}", f"must be {schema[key][1]}")
    return dict(value)


def _phases(check: _Checker, name: str, value: Any) -> dict[str, Any]:
    """The phases of a state-machine playbook, defaults filled in; other playbooks have none."""
    schema = PHASES.get(name)
    if schema is None:
        if value is not None:
            check.fail("phases", f"the {name or 'this'} playbook has steps, not phases")
        return {}
    value = {} if value is None else value
    if not isinstance(value, dict):
        check.fail("phases", "must be a mapping")
        return {key: default for key, (_, _, default) in schema.items()}
    phases = {}
    for key, (kinds, description, default) in schema.items():
        option = value.get(key, default)
        if isinstance(option, bool) != (bool in kinds) or not isinstance(option, kinds):
            check.fail(f"phases.{key}", f"must be {description}")
            option = default
        phases[key] = option
    for key in value:
        if key not in schema:
            check.fail(f"phases.{key}", f"unknown phase (phases: {', '.join(schema)})")
    return phases


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

"""Playbook definitions: every bundled file loads; bad files give errors naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError
from bot.config.playbooks import (
    ACTIONS,
    BudgetOverrides,
    PlaybookError,
    bundled_dir,
    bundled_playbooks,
    effective_playbook,
    load_playbook,
    parse_playbook,
)

PLAN_ACTIONS = {f"plan.{a}" for a in ("gather", "draft", "revise", "validate", "render", "post", "stories", "tickets",
                                      "links", "board")}
SKILLS = {p.parent.name for p in (Path(__file__).resolve().parents[1] / "skills").glob("*/skill.md")}

MINIMAL = """
name: demo
description: A demo.
steps:
  - id: one
    uses: demo.one
"""


@pytest.mark.parametrize("path", sorted(bundled_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_playbook_loads(path: Path) -> None:
    flow = load_playbook(path, skills=SKILLS)
    assert flow.name == path.stem and flow.description and (flow.steps or flow.phases) and flow.file == str(path)


def test_the_planners_actions_are_the_ones_playbooks_may_use() -> None:
    from bot.plan.agent import STEPS

    assert set(STEPS) == set(ACTIONS["plan"]) == PLAN_ACTIONS


def test_plan_workflow_steps_and_modes() -> None:
    plan = bundled_playbooks()["plan"]
    assert plan.commands == ("plan",) and plan.modes == ("draft", "revise", "approve")
    assert [s.id for s in plan.steps_for("draft")] == ["gather", "draft", "validate", "render", "post", "draft_board"]
    assert [s.id for s in plan.steps_for("revise")] == ["gather", "revise", "validate", "render", "post", "draft_board"]
    assert [s.id for s in plan.steps_for("approve")] == ["stories", "tickets", "links", "board"]
    assert len(plan.steps_for()) == 11
    assert plan.budgets.attempts == 2 and plan.budgets.tokens > 0 and plan.budgets.minutes > 0
    board = plan.steps_for("approve")[-1]
    assert plan.enabled(board) and plan.steps[1].skill == "pi_planning" and plan.steps[1].on_error == "report"


def test_auto_debug_playbook_says_what_it_configures() -> None:
    flow = bundled_playbooks()["auto_debug"]
    assert flow.budgets == BudgetOverrides(attempts=3, tokens=200000, minutes=30)
    assert flow.options["poll_interval_seconds"] == 50 and flow.options["timeout_minutes"] == 10
    assert set(flow.events) == {"workflow_run", "workflow_job", "status"}
    assert flow.steps == () and dict(flow.phases) == {"fix": True, "rerun_flaky": True, "deploy": None, "acceptance": None}
    with pytest.raises(TypeError):
        flow.phases["deploy"] = "x"  # type: ignore[index]


def test_repo_override_merges_onto_the_bundled_file() -> None:
    bundled = (bundled_dir() / "auto_debug.yaml").read_text()
    override = "budgets:\n  attempts: 5\nphases:\n  deploy: deploy.yaml\n"
    flow = effective_playbook(bundled, override, file="workflows/auto_debug.yaml",
                              override_file=".gitea/teabot/workflows/auto_debug.yaml")
    assert flow.budgets.attempts == 5 and flow.budgets.tokens == 200000
    assert flow.phases["deploy"] == "deploy.yaml" and flow.phases["fix"] is True
    assert flow.options["poll_interval_seconds"] == 50
    assert effective_playbook(bundled, "  ").budgets.attempts == 3
    assert effective_playbook(bundled, None, file="f").file == "f"


def test_override_errors_name_the_override_file() -> None:
    bundled = (bundled_dir() / "auto_debug.yaml").read_text()
    with pytest.raises(PlaybookError) as caught:
        effective_playbook(bundled, "options:\n  poll_interval_seconds: soon\n", file="bundled.yaml",
                           override_file=".gitea/teabot/workflows/auto_debug.yaml")
    error = caught.value
    assert (error.file, error.key) == (".gitea/teabot/workflows/auto_debug.yaml", "options.poll_interval_seconds")
    assert str(error).startswith(".gitea/teabot/workflows/auto_debug.yaml: options.poll_interval_seconds: must be")
    with pytest.raises(PlaybookError) as caught:
        effective_playbook("name: Bad\ndescription: d\nsteps: [{id: a, uses: x}]\n", "description: ok\n",
                           file="bundled.yaml", override_file="over.yaml")
    assert (caught.value.file, caught.value.key) == ("bundled.yaml", "name")
    with pytest.raises(PlaybookError) as caught:
        effective_playbook(MINIMAL, "steps: [", override_file="over.yaml")
    assert caught.value.file == "over.yaml" and caught.value.key == "(yaml)"


BAD = [
    ("name: demo\ndescription: d\nsteps: [\n", "(yaml)", "not valid YAML at line"),
    ("- a list\n", "(top)", "must be a mapping"),
    (MINIMAL + "colour: blue\n", "colour", "unknown key"),
    (MINIMAL.replace("name: demo", "name: Demo"), "name", "must be a lowercase name"),
    (MINIMAL.replace("description: A demo.", "description: ''"), "description", "must be a non-empty string"),
    (MINIMAL.replace("description: A demo.\n", ""), "description", "must be a non-empty string"),
    (MINIMAL + "triggers: [plan]\n", "triggers", "must be a mapping"),
    (MINIMAL + "triggers: {commands: [Plan]}\n", "triggers.commands", "must be a list of lowercase names"),
    (MINIMAL + "triggers: {comands: [plan]}\n", "triggers.comands", "unknown key"),
    (MINIMAL + "budgets: {attempts: 0}\n", "budgets.attempts", "must be a positive number"),
    (MINIMAL + "budgets: {tokens: 1.5}\n", "budgets.tokens", "must be a positive number"),
    (MINIMAL + "budgets: {minutes: true}\n", "budgets.minutes", "must be a positive number"),
    (MINIMAL + "budgets: {hours: 1}\n", "budgets.hours", "unknown key"),
    (MINIMAL + "options: [1]\n", "options", "must be a mapping"),
    (MINIMAL + "options: {x: [1]}\n", "options.x", "must be a plain value"),
    ("name: demo\ndescription: d\nsteps: []\n", "steps", "must be a non-empty list"),
    ("name: demo\ndescription: d\nsteps:\n  - 3\n", "steps[0]", "must be a mapping"),
    ("name: demo\ndescription: d\nsteps:\n  - {uses: a.b}\n", "steps[0].id", "must be a non-empty string"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: One, uses: a.b}\n", "steps[0].id", "must be a lowercase name"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one}\n", "steps.one.uses", "must be a non-empty string"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: A-B}\n", "steps.one.uses", "unknown action"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, colour: red}\n", "steps.one.colour",
     "unknown key"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b}\n  - {id: one, uses: a.c}\n", "steps[1].id",
     "duplicate step id one"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, when: [draft]}\n", "steps.one.when",
     "unknown mode 'draft' (modes: none declared)"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, on_error: explode}\n", "steps.one.on_error",
     "must be one of fail|report|continue|retry"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: loop}\n", "steps.one.uses", "a loop (uses: loop)"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, until: green}\n", "steps.one.uses", "a loop"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, budget: {tokens: -1}}\n",
     "steps.one.budget.tokens", "must be a positive number"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: one, uses: a.b, only_if: deploy}\n", "steps.one.only_if",
     "names no option of this playbook: deploy"),
    ("name: demo\ndescription: d\nsteps:\n  - {id: fix, uses: loop, until: green, steps: [{id: two, uses: x,"
     " on_error: no}]}\n", "steps.fix.steps.two.on_error", "must be one of"),
]


@pytest.mark.parametrize(("text", "key", "message"), BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_workflows_name_file_and_key(text: str, key: str, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "workflows/demo.yaml")
    error = caught.value
    assert isinstance(error, ConfigError) and error.file == "workflows/demo.yaml"
    assert any(k == key and m.startswith(message) for k, m in error.problems), error.problems
    assert f"workflows/demo.yaml: {key}: " in str(error)


BAD_OPTIONS = [
    ("auto_debug", "poll_interval_seconds: true", "options.poll_interval_seconds", "must be a whole number"),
    ("auto_debug", "poll_interval_seconds: 0", "options.poll_interval_seconds", "must be a whole number of seconds "
                                                                                  "above zero"),
    ("auto_debug", "deploy: x.yaml", "options.deploy", "unknown option"),
    ("auto_debug", "rerun_flaky_once: true", "options.rerun_flaky_once", "unknown option"),
    ("plan", "attachment_types: [md, 3]", "options.attachment_types", "must be a list of file extensions"),
    ("plan", "attachment_types: md", "options.attachment_types", "must be a list of file extensions"),
]


@pytest.mark.parametrize(("name", "option", "key", "message"), BAD_OPTIONS)
def test_known_playbooks_validate_their_options(name: str, option: str, key: str, message: str) -> None:
    steps = "" if name == "auto_debug" else "steps:\n  - id: one\n    uses: plan.gather\n"
    text = f"name: {name}\ndescription: d\n{steps}options:\n  {option}\n"
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "w.yaml")
    assert (caught.value.key, caught.value.message[: len(message)]) == (key, message)


BAD_OVERRIDES = [
    ("plan", "steps:\n  - {id: gather, uses: plan.gather}\n  - {id: mail, uses: plan.email}\n", "steps.mail.uses",
     "unknown action 'plan.email'"),
    ("plan", "phases: {fix: true}\n", "phases", "the plan playbook has steps, not phases"),
    ("auto_debug", "phases: {fix: maybe}\n", "phases.fix", "must be true or false"),
    ("auto_debug", "phases: {deploy: 3}\n", "phases.deploy", "must be a workflow file name or null"),
    ("auto_debug", "phases: {canary: true}\n", "phases.canary", "unknown phase"),
    ("auto_debug", "steps:\n  - {id: fix, uses: debug.fix}\n", "steps", "the auto_debug playbook has no steps"),
]


@pytest.mark.parametrize(("name", "override", "key", "message"), BAD_OVERRIDES)
def test_every_repo_override_is_validated_naming_file_and_key(name: str, override: str, key: str, message: str) -> None:
    bundled = (bundled_dir() / f"{name}.yaml").read_text()
    path = f".gitea/teabot/workflows/{name}.yaml"
    with pytest.raises(PlaybookError) as caught:
        effective_playbook(bundled, override, file=f"workflows/{name}.yaml", override_file=path)
    assert caught.value.file == path
    assert any(k == key and m.startswith(message) for k, m in caught.value.problems), caught.value.problems


def test_unknown_actions_and_skills_when_the_caller_knows_them() -> None:
    text = MINIMAL.replace("uses: demo.one", "uses: demo.one\n    skill: nope")
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "w.yaml", actions={"demo.two"}, skills={"pi_planning"})
    assert [k for k, _ in caught.value.problems] == ["steps.one.uses", "steps.one.skill"]
    flow = parse_playbook(text, "w.yaml")
    assert flow.steps[0].skill == "nope" and flow.options == {} and flow.modes == ()
    assert parse_playbook(MINIMAL + "options: {retries: 2, label: x}\n").options == {"retries": 2, "label": "x"}
    assert flow.steps_for("anything") == flow.steps

"""Gitea Actions workflow files, read the way the fake Gitea test harness needs them.  PURE.

Only what the fake uses: the workflow `name`, its triggers (`on:` as a word, a list or a mapping,
with `branches` / `branches-ignore` globs for push, `types`, `branches` / `branches-ignore` and
`paths` / `paths-ignore` for pull_request, and `inputs` for workflow_dispatch), and its
jobs (`name`, `runs-on`, `needs`, `env`, `timeout-minutes`, steps with `name`, `run`, `uses`,
`env`, `if`). Of the expressions only `${{ inputs.* }}`, `${{ github.* }}` and `${{ env.* }}`
have values; any other `${{ ... }}` in a script becomes "" (as an unknown name does in Gitea).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

WORKFLOW_DIR = ".gitea/workflows/"
FALLBACK_DIR = ".github/workflows/"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = re.compile(r"(inputs|github|env)\.([A-Za-z0-9_-]+)")
# modules/actions/workflows.go `matchPullRequestEvent` (v1.25.4): without `types`, only these actions
# start a pull_request workflow; with `types`, Gitea's action names are first turned into GitHub's.
PULL_DEFAULT_TYPES = ("opened", "synchronized", "reopened")
PULL_TYPE_NAMES = {"synchronized": "synchronize", "label_updated": "labeled", "label_cleared": "unlabeled"}


def workflow_dir(files: Mapping[str, bytes]) -> str:
    """Where a snapshot's workflows live: `.gitea/workflows/`, else `.github/workflows/`.

    Gitea modules/actions/workflows.go `ListWorkflows` (v1.25.4) reads `.gitea/workflows` and only when
    that folder does not exist `.github/workflows`.
    """
    if any(p.startswith(WORKFLOW_DIR) for p in files):
        return WORKFLOW_DIR
    return FALLBACK_DIR if any(p.startswith(FALLBACK_DIR) for p in files) else WORKFLOW_DIR


def workflow_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The workflow files of a snapshot by file name (`.yml`/`.yaml`, as `ListWorkflows` filters)."""
    folder = workflow_dir(files)
    found = {p[len(folder):]: d for p, d in sorted(files.items()) if p.startswith(folder)}
    return {name: data for name, data in found.items() if name.endswith((".yml", ".yaml")) and "/" not in name}


class WorkflowFileError(ValueError):
    """A workflow file the fake cannot read (names the file and the key)."""


@dataclass(frozen=True)
class StepSpec:
    """One step: a shell script (`run`) or an action (`uses`, which the fake does not execute)."""

    name: str
    run: str | None = None
    uses: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    condition: str = "success()"


@dataclass(frozen=True)
class JobSpec:
    """One job of a workflow."""

    id: str
    name: str
    steps: tuple[StepSpec, ...]
    labels: tuple[str, ...] = ("ubuntu-latest",)
    needs: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None  # seconds


@dataclass(frozen=True)
class WorkflowSpec:
    """One workflow file: its name, triggers (event -> settings) and jobs."""

    file: str
    name: str
    events: Mapping[str, Mapping[str, Any]]
    jobs: tuple[JobSpec, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    declared_name: str = ""  # the `name:` as written ("" when absent; `name` then falls back to the stem)

    def runs_on_push(self, branch: str) -> bool:
        """True when a push to `branch` starts this workflow."""
        if "push" not in self.events:
            return False
        settings = self.events["push"]
        wanted = [str(p) for p in settings.get("branches") or ["**"]]
        ignored = [str(p) for p in settings.get("branches-ignore") or []]
        return any(glob_match(p, branch) for p in wanted) and not any(glob_match(p, branch) for p in ignored)

    def runs_on_pull_request(self, action: str, base: str, changed: Sequence[str] = ()) -> bool:
        """True when a pull request `action` ("opened", "synchronized", ...) into `base` starts this workflow.

        modules/actions/workflows.go `matchPullRequestEvent` (v1.25.4): the activity type must match and
        every other condition too; `branches` / `branches-ignore` test the BASE branch of the pull
        request, `paths` / `paths-ignore` the files `changed` since the merge base. An unknown condition
        is only logged by Gitea, so it never matches and the workflow does not start.
        """
        if "pull_request" not in self.events:
            return False
        settings = self.events["pull_request"]
        if "types" in settings:
            wanted = PULL_TYPE_NAMES.get(action, action)
            typed = any(glob_match(str(t), wanted) for t in _words(settings["types"] or ()))
        else:
            typed = action in PULL_DEFAULT_TYPES
        tests = {"branches": lambda v: filter_matches(v, [base]),
                 "branches-ignore": lambda v: not _all_match(v, [base]),
                 "paths": lambda v: filter_matches(v, changed), "paths-ignore": lambda v: not _all_match(v, changed)}
        conditions = [cond for cond in settings if cond != "types"]
        return typed and all(cond in tests and tests[cond](_words(settings[cond] or ())) for cond in conditions)

    def inputs(self, given: Mapping[str, Any]) -> dict[str, str]:
        """The workflow_dispatch inputs: declared defaults overlaid with the `given` values."""
        declared = self.events.get("workflow_dispatch", {}).get("inputs") or {}
        values = {name: (spec or {}).get("default", "") for name, spec in declared.items()}
        values.update(given)
        return {name: _text(value) for name, value in values.items()}


def glob_match(pattern: str, branch: str) -> bool:
    """GitHub/Gitea branch filter globs: `*` stops at "/", `**` does not."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wild = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.fullmatch("".join(wild.get(p, re.escape(p)) for p in parts), branch) is not None


def filter_matches(patterns: Sequence[str], names: Sequence[str]) -> bool:
    """True when some name is selected by `patterns` (in order; a `!pattern` deselects again).

    `workflowpattern.Skip` (gitea.com/gitea/act, used by Gitea's `matchPullRequestEvent`) is false
    exactly when this is true: no patterns select everything, no names select nothing.
    """
    return not patterns or any(_selected(patterns, name) for name in names)


def _all_match(patterns: Sequence[str], names: Sequence[str]) -> bool:
    """`workflowpattern.Filter` (skip): every name is selected by the ignore patterns (so also no names)."""
    return bool(patterns) and all(_selected(patterns, name) for name in names)


def _selected(patterns: Sequence[str], name: str) -> bool:
    selected = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if glob_match(pattern[1:] if negated else pattern, name):
            selected = not negated
    return selected


def expand(text: str, context: Mapping[str, Mapping[str, str]]) -> str:
    """Replace `${{ inputs.x }}`, `${{ github.x }}` and `${{ env.x }}`; any other expression becomes ""."""
    def value(match: re.Match[str]) -> str:
        name = _NAME.fullmatch(match.group(1))
        return context.get(name.group(1), {}).get(name.group(2), "") if name else ""
    return _EXPRESSION.sub(value, text)


def parse_workflow(file: str, text: bytes | str) -> WorkflowSpec:
    """The workflow in `text` (file is its name under .gitea/workflows, e.g. "ci.yml")."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: a workflow is a mapping with 'on' and 'jobs'")
    trigger = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as True
    jobs = data.get("jobs") or {}
    if not isinstance(jobs, dict):
        raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: jobs: must be a mapping of job ids to jobs")
    declared = str(data.get("name") or "")
    return WorkflowSpec(file, declared or file.rsplit(".", 1)[0], _events(file, trigger),
                        tuple(_job(file, key, value) for key, value in jobs.items()), _env(data.get("env")), declared)


def _events(file: str, trigger: Any) -> dict[str, dict[str, Any]]:
    if isinstance(trigger, str):
        return {trigger: {}}
    if isinstance(trigger, list):
        return {str(name): {} for name in trigger}
    if isinstance(trigger, dict):
        return {str(name): dict(settings or {}) for name, settings in trigger.items()}
    raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: on: must name at least one event")


def _job(file: str, key: str, spec: Any) -> JobSpec:
    if not isinstance(spec, dict) or not isinstance(spec.get("steps", []), list):
        raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: jobs.{key}: a job is a mapping with a list of steps")
    labels = spec.get("runs-on") or "ubuntu-latest"
    needs = spec.get("needs") or ()
    timeout = spec.get("timeout-minutes")
    steps = tuple(_step(file, key, index, step) for index, step in enumerate(spec.get("steps") or []))
    return JobSpec(key, str(spec.get("name") or key), steps, _words(labels), _words(needs), _env(spec.get("env")),
                   float(timeout) * 60 if timeout is not None else None)


def _step(file: str, job: str, index: int, spec: Any) -> StepSpec:
    if not isinstance(spec, dict) or not (spec.get("run") or spec.get("uses")):
        raise WorkflowFileError(f"{WORKFLOW_DIR}{file}: jobs.{job}.steps[{index}]: a step needs `run` or `uses`")
    run, uses = spec.get("run"), spec.get("uses")
    name = spec.get("name") or uses or str(run).strip().splitlines()[0]
    condition = str(spec.get("if") or "success()").replace("${{", "").replace("}}", "").strip()
    return StepSpec(str(name), str(run) if run else None, str(uses) if uses else None, _env(spec.get("env")), condition)


def _words(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _env(value: Any) -> dict[str, str]:
    return {str(k): _text(v) for k, v in (value or {}).items()} if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

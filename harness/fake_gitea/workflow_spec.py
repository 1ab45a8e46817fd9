"""Gitea Actions workflow files, read the way the fake Gitea test harness needs them.  PURE.

Only what the fake uses: the workflow `name`, its triggers (`on:` as a word, a list or a mapping,
with `branches` / `branches-ignore` globs for push and `inputs` for workflow_dispatch), and its
jobs (`name`, `runs-on`, `needs`, `env`, `timeout-minutes`, steps with `name`, `run`, `uses`,
`env`, `if`). Of the expressions only `${{ inputs.* }}`, `${{ github.* }}` and `${{ env.* }}`
have values; any other `${{ ... }}` in a script becomes "" (as an unknown name does in Gitea).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

WORKFLOW_DIR = ".gitea/workflows/"
FALLBACK_DIR = ".github/workflows/"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = re.compile(r"(inputs|github|env)\.([A-Za-z0-9_-]+)")


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

    def runs_on_push(self, branch: str) -> bool:
        """True when a push to `branch` starts this workflow."""
        if "push" not in self.events:
            return False
        settings = self.events["push"]
        wanted = [str(p) for p in settings.get("branches") or ["**"]]
        ignored = [str(p) for p in settings.get("branches-ignore") or []]
        return any(glob_match(p, branch) for p in wanted) and not any(glob_match(p, branch) for p in ignored)

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
    return WorkflowSpec(file, str(data.get("name") or file.rsplit(".", 1)[0]), _events(file, trigger),
                        tuple(_job(file, key, value) for key, value in jobs.items()), _env(data.get("env")))




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

"""Per-repository settings from `.gitea/teabot.yaml` on the default branch.  PURE (parsing).

Every key is optional; unknown keys and wrong types are rejected with a message that names the
file and the key, e.g. `.gitea/teabot.yaml: debug.budget.attempts: Input should be a valid integer`.
"""

from __future__ import annotations

from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config import yaml_bounds
from bot.config.settings import ConfigError

CONFIG_PATH = ".gitea/teabot.yaml"
Role = Literal["anyone", "read", "write", "admin"]
ROLE_RANK = {"none": 0, "anyone": 0, "read": 1, "write": 2, "admin": 3, "owner": 4}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandRule(_Strict):
    """Whether a comment command is on and who may use it."""

    enabled: bool = True
    allowed: Role = "write"
    users: tuple[str, ...] = ()  # logins allowed in addition to the role


class Commands(_Strict):
    """The comment commands. `/plan approve`, `/debug` and `/triage` always need write access."""

    plan: CommandRule = CommandRule(allowed="write")
    summarize: CommandRule = CommandRule(allowed="read")
    classify: CommandRule = CommandRule(allowed="read")
    debug: CommandRule = CommandRule(allowed="write")
    triage: CommandRule = CommandRule(allowed="write")  # corrections teach the repository's triage
    help: CommandRule = CommandRule(allowed="anyone")


class BudgetSettings(_Strict):
    """Caps on one debug session."""

    attempts: int = Field(3, ge=1, le=10)
    tokens: int = Field(200_000, ge=1_000)
    minutes: int = Field(30, ge=1, le=24 * 60)


class WorkflowRef(_Strict):
    """A workflow to dispatch (deploy or acceptance) and the inputs to give it."""

    workflow: str
    ref: str | None = None  # default: the fix branch
    inputs: dict[str, str] = {}


class ExternalCiSettings(_Strict):
    """Commit statuses from CI outside Gitea Actions (Jenkins, Drone, Woodpecker …)."""

    enabled: bool = True
    contexts: tuple[str, ...] = ()  # only these status contexts (empty: every external context)
    log_url: str = "{target_url}"  # where the log is, e.g. "{target}/consoleText" for Jenkins


class Guard(_Strict):
    """Paths the fix may change although the guard protects them (globs; `**` crosses folders)."""

    allow: tuple[str, ...] = ()  # e.g. ["tests/fixtures/**", "Makefile"]; teabot.yaml itself never opens

    @field_validator("allow")
    @classmethod
    def _relative(cls, globs: tuple[str, ...]) -> tuple[str, ...]:
        bad = [g for g in globs if not g.strip() or g.startswith(("/", "~")) or ".." in g.replace("\\", "/").split("/")]
        if bad:
            raise ValueError(f"allow globs must be repository-relative without '..': {bad}")
        return globs


class Trust(_Strict):
    """Whose code the bot may check out, branch from or push: by the author's role, never forks by default."""

    role: Role = "write"  # the commit author's (and pusher's) role in this repository
    users: tuple[str, ...] = ()  # logins trusted in addition to the role
    forks: bool = False  # pull requests from other repositories are never trusted automatically


class Limits(_Strict):
    """Model calls per UTC day; 0 turns a cap off."""

    repo_daily_calls: int = Field(300, ge=0)
    user_daily_calls: int = Field(30, ge=0)


class Debug(_Strict):
    """The auto-debug agent."""

    enabled: bool = True  # react to failed pipelines automatically
    workflows: tuple[str, ...] = ()  # only these workflow files (empty: all)
    budget: BudgetSettings = BudgetSettings()
    deploy: WorkflowRef | None = None
    acceptance: WorkflowRef | None = None
    docs_folder: str = "docs"  # prd.md, techDoc.md, testCase.md
    poll_interval_seconds: int = Field(50, ge=5)
    wait_timeout_seconds: int = Field(600, ge=30)
    sweep_window_days: int = Field(7, ge=1)  # how far back the sweep looks when no pass has completed yet
    allow_ci_edits: bool = False  # opens CI definitions only; prefer guard.allow
    guard: Guard = Guard()
    external_ci: ExternalCiSettings = ExternalCiSettings()


class Planning(_Strict):
    """The planning agent."""

    max_stories_per_feature: int = Field(3, ge=1, le=3)
    label_colors: dict[str, str] = {}  # label prefix ("type", "domain", "priority", "status") -> hex colour


class RepoConfig(_Strict):
    """Everything `.gitea/teabot.yaml` may say."""

    commands: Commands = Commands()
    debug: Debug = Debug()
    planning: Planning = Planning()
    trust: Trust = Trust()
    limits: Limits = Limits()

    def may(self, command: str, role: str, login: str) -> bool:
        """True when a user with repository `role` may run `command`."""
        rule: CommandRule | None = getattr(self.commands, command, None)
        if rule is None or not rule.enabled:
            return False
        if login.lower() in (u.lower() for u in rule.users):
            return True
        return ROLE_RANK.get(role, 0) >= ROLE_RANK[rule.allowed]

    def enabled_commands(self) -> set[str]:
        """Names of the commands that are on."""
        return {name for name, rule in self.commands if rule.enabled}


def parse_repo_config(text: str | bytes | None, *, path: str = CONFIG_PATH) -> RepoConfig:
    """Parse and validate the file; None or an empty file means all defaults."""
    if text is None:
        return RepoConfig()
    try:
        data = yaml_bounds.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys (commands, debug, planning, trust, limits)")
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None


def _message(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling against README.md)"
    return str(err["msg"])

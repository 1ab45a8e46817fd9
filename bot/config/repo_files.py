"""Reading teabot's per-repository files through the Gitea API, from the default branch, cached per commit.

`.gitea/teabot.yaml` (settings), `.gitea/teabot/workflows/<name>.yaml` (merged onto the bundled
workflow) and `.gitea/teabot/skills/<name>/skill.md` (replacing the bundled skill). Errors name the
file and the key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config.settings import ConfigError
from bot.forge.client import GiteaClient
from bot.forge.errors import EmptyRepository
from bot.config.repo import CONFIG_PATH, RepoConfig, parse_repo_config
from bot.config.skills import Skill, effective_skill
from bot.config.skills import bundled_dir as skills_dir
from bot.config.playbooks import Playbook, effective_playbook
from bot.config.playbooks import bundled_dir as playbooks_dir

PLAYBOOK_OVERRIDE = ".gitea/teabot/workflows/{name}.yaml"
SKILL_OVERRIDE = ".gitea/teabot/skills/{name}/skill.md"
_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_lock = threading.Lock()
T = TypeVar("T")


class RepoFileError(ConfigError):
    """One of teabot's files in the repository is invalid; the message names the file and the key."""


def default_branch_head(client: GiteaClient, repo: str) -> tuple[str, str]:
    """(default branch name, its head commit sha); the sha is "" in an empty repository (no commits yet)."""
    info = client.get_repo(repo)
    branch = str(info.get("default_branch") or "main")
    if info.get("empty"):  # Gitea answers 404 for the default branch of an empty repository (`GetBranch`)
        return branch, ""
    try:
        return branch, str(client.get_branch(repo, branch)["commit"]["id"])
    except EmptyRepository:
        return branch, ""


@dataclass(frozen=True)
class RepoFiles:
    """teabot's files of one repository at one commit of its default branch."""

    client: GiteaClient
    repo: str
    sha: str

    def config(self) -> RepoConfig:
        """The validated `.gitea/teabot.yaml` (defaults when absent)."""
        return self._cached(CONFIG_PATH, lambda text: parse_repo_config(text))

    def playbook(self, name: str) -> Playbook:
        """The bundled workflow `name` with the repository's override merged onto it."""
        path = PLAYBOOK_OVERRIDE.format(name=name)
        bundled = (playbooks_dir() / f"{name}.yaml").read_text(encoding="utf-8")
        return self._cached(path, lambda text: effective_playbook(
            bundled, _text(text), file=f"workflows/{name}.yaml", override_file=path))

    def skill(self, name: str) -> Skill:
        """The bundled skill `name`, or the repository's own when it has one."""
        path = SKILL_OVERRIDE.format(name=name)
        bundled = (skills_dir() / name / "skill.md").read_text(encoding="utf-8")
        return self._cached(path, lambda text: effective_skill(
            bundled, _text(text), file=f"skills/{name}/skill.md", override_file=path))

    def _cached(self, path: str, parse: Callable[[bytes | None], T]) -> T:
        key = (self.repo, self.sha, path)
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        try:
            value = parse(self.client.get_file(self.repo, path, ref=self.sha) if self.sha else None)
        except ConfigError as exc:
            raise RepoFileError(str(exc)) from None
        with _lock:
            _cache[key] = value
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return value


def repo_files(client: GiteaClient, repo: str) -> RepoFiles:
    """teabot's files at the head of the repository's default branch."""
    return RepoFiles(client, repo, default_branch_head(client, repo)[1])


def load_repo_config(client: GiteaClient, repo: str) -> RepoConfig:
    """The validated `.gitea/teabot.yaml` of the default branch; raises ConfigError naming file and key."""
    return repo_files(client, repo).config()


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")

"""Reading teabot's per-repository files (`.gitea/teabot.yaml`) through the Gitea API, cached per commit."""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.forge.client import GiteaClient
from bot.repo_config import CONFIG_PATH, RepoConfig, parse_repo_config

_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, str], RepoConfig] = OrderedDict()
_lock = threading.Lock()


def default_branch_head(client: GiteaClient, repo: str) -> tuple[str, str]:
    """(default branch name, its head commit sha)."""
    branch = str(client.get_repo(repo).get("default_branch") or "main")
    return branch, str(client.get_branch(repo, branch)["commit"]["id"])


def load_repo_config(client: GiteaClient, repo: str) -> RepoConfig:
    """The validated `.gitea/teabot.yaml` of the default branch; raises ConfigError naming file and key."""
    _, sha = default_branch_head(client, repo)
    with _lock:
        if (repo, sha) in _cache:
            _cache.move_to_end((repo, sha))
            return _cache[(repo, sha)]
    config = parse_repo_config(client.get_file(repo, CONFIG_PATH, ref=sha))
    with _lock:
        _cache[(repo, sha)] = config
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return config

"""Repository paths: normalising the ones a model names, and telling test, CI and runner config apart."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# Directory names that hold tests by convention (pytest, jest `__tests__`, rspec `spec`, Maven `src/test`).
TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec"})
_TEST_NAME = re.compile(
    r"^(?:test_.*\.py|.*_test\.py|conftest\.py|.*_test\.go|.*\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|.*(?:Test|Tests|IT)\.(?:java|kt|scala|groovy)|.*_spec\.rb|.*_test\.rb|.*Tests?\.cs|.*_test\.rs)$"
)
CI_DIRS = (".gitea/workflows/", ".github/workflows/", ".forgejo/workflows/", ".circleci/", ".woodpecker/",
           ".gitea/actions/", ".github/actions/")
CI_FILES = frozenset({".gitlab-ci.yml", "Jenkinsfile", ".travis.yml", "azure-pipelines.yml", ".drone.yml",
                      ".woodpecker.yml", "bitbucket-pipelines.yml", "appveyor.yml", ".appveyor.yml"})
# The bot's own per-repo settings: editing them could raise its budgets or allow CI edits.
BOT_CONFIG = (".gitea/teabot.yaml", ".gitea/teabot/")
RUNNER_CONFIG = frozenset({"pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", "conftest.py", "package.json",
                           "jest.config.js", "jest.config.ts", "jest.config.cjs", "jest.config.mjs",
                           "vitest.config.ts", "vitest.config.js", "karma.conf.js", ".mocharc.yml", ".mocharc.json"})
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class PathError(ValueError):
    """A path the bot must not write: absolute, escaping the repository, or inside `.git/`."""


def normalise_path(path: str) -> str:
    """The repository-relative POSIX form of `path`; PathError when it is unsafe or empty."""
    text = str(path).strip().replace("\\", "/")
    if not text or "\x00" in text:
        raise PathError(f"invalid path {path!r}: empty or holds a NUL character")
    if text.startswith("/") or _WINDOWS_DRIVE.match(text):
        raise PathError(f"invalid path {path!r}: absolute paths are not allowed, use a repository-relative path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PathError(f"invalid path {path!r}: '..' may not leave the repository")
    if ".git" in parts:
        raise PathError(f"invalid path {path!r}: files inside .git/ are not part of the tree")
    if not parts:
        raise PathError(f"invalid path {path!r}: names no file")
    return "/".join(parts)


def is_test_path(path: str) -> bool:
    """True when the path holds tests by the usual conventions of its language."""
    parts = PurePosixPath(path).parts
    return bool(_TEST_NAME.match(parts[-1])) or any(part in TEST_DIRS for part in parts[:-1])


def is_ci_config(path: str) -> bool:
    """True for CI pipeline definitions (Gitea/GitHub/Forgejo Actions, GitLab, Jenkins, Travis …)."""
    return path.startswith(CI_DIRS) or PurePosixPath(path).name in CI_FILES


def is_bot_config(path: str) -> bool:
    """True for the bot's own per-repository settings."""
    return path == BOT_CONFIG[0] or path.startswith(BOT_CONFIG[1])


def is_runner_config(path: str) -> bool:
    """True for test-runner configuration that can deselect or ignore tests."""
    return PurePosixPath(path).name in RUNNER_CONFIG


def language(path: str) -> str:
    """A coarse language name from the file extension ("" when unknown)."""
    suffix = PurePosixPath(path).suffix.lower()
    return _LANGUAGES.get(suffix, "")


_LANGUAGES = {".py": "python", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "java", ".scala": "java",
              ".groovy": "java", ".js": "js", ".jsx": "js", ".ts": "js", ".tsx": "js", ".mjs": "js", ".cjs": "js",
              ".mts": "js", ".cts": "js", ".rb": "ruby", ".cs": "csharp"}


def workflow_stem(workflow: str) -> str:
    """The workflow's file name without folder and .yml/.yaml, made safe for refs and keys.

    A name that is not a workflow file (an external CI's status context such as "ci/jenkins") is kept
    whole, its slashes made dashes, so two contexts ending alike stay apart.
    """
    name = str(workflow).strip().replace("\\", "/")
    if re.search(r"\.ya?ml$", name, flags=re.IGNORECASE):
        name = name.rsplit("/", 1)[-1]
    name = re.sub(r"\.ya?ml$", "", name, flags=re.IGNORECASE).lower()
    name = re.sub(r"[^a-z0-9._-]+", "-", name)
    name = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", name)).strip(".-")
    return name or "workflow"

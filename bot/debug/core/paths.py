"""Repository paths: normalising the ones a model names, and telling tests, CI and build files apart.

Classification compares canonical keys (`bot.security.paths.path_key`), so `.GITEA/Workflows/ci.yml`,
`Tests./test_a.py` or a fullwidth `ｃｏｎｆｔｅｓｔ.py` are what they alias. `protection(path)` says why a
fix may not touch a path by default (the guard's first rule): tests, test configuration, CI
definitions, build and test scripts, interpreter start-up hooks, and teabot's own settings.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import PurePosixPath

from bot.security.paths import PathError, normalise_path, path_key

__all__ = ["PathError", "Protection", "normalise_path", "protection", "is_test_path", "is_ci_config",
           "is_bot_config", "is_runner_config", "language", "workflow_stem"]

# Directory names that hold tests by convention (pytest, jest `__tests__`, rspec `spec`, Maven `src/test`).
TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "testing"})
_TEST_NAME = re.compile(
    r"^(?:test_.*\.py|.*_test\.py|tests?\.py|conftest\.py|.*_test\.go|.*\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|.*(?:test|tests|it)\.(?:java|kt|scala|groovy)|.*_spec\.rb|.*_test\.rb|.*tests?\.cs|.*_test\.rs)$"
)
CI_DIRS = (".gitea/", ".github/", ".forgejo/", ".circleci/", ".woodpecker/", ".ci/", "ci/", ".gitlab/",
           ".buildkite/", ".azure-pipelines/", ".teamcity/", ".semaphore/")
CI_FILES = frozenset({".gitlab-ci.yml", "jenkinsfile", ".travis.yml", "azure-pipelines.yml", ".drone.yml",
                      ".woodpecker.yml", "bitbucket-pipelines.yml", "appveyor.yml", ".appveyor.yml",
                      ".pre-commit-config.yaml", "cloudbuild.yaml", "codecov.yml", ".codecov.yml"})
# The bot's own per-repo settings: editing them could raise its budgets or open the guard.
BOT_CONFIG = (".gitea/teabot.yaml", ".gitea/teabot/")
# Files that only configure test runners, linters and coverage: changed by people, never by a fix.
TEST_CONFIG = frozenset({"pytest.ini", "tox.ini", "noxfile.py", ".coveragerc", "conftest.py", ".noserc",
                         "jest.config.js", "jest.config.ts", "jest.config.cjs", "jest.config.mjs", "jest.config.json",
                         "vitest.config.ts", "vitest.config.js", "vitest.config.mjs", "karma.conf.js", ".mocharc.yml",
                         ".mocharc.json", ".mocharc.js", "phpunit.xml", "phpunit.xml.dist", ".rspec", "mypy.ini",
                         ".flake8", ".pylintrc", "pylintrc", "ruff.toml", ".ruff.toml", ".golangci.yml",
                         ".golangci.yaml", ".eslintrc", ".eslintrc.js", ".eslintrc.json", ".eslintrc.yml",
                         "eslint.config.js", "eslint.config.mjs", ".prettierrc", "cypress.config.js",
                         "playwright.config.ts", "playwright.config.js", "requirements-test.txt",
                         "requirements-dev.txt", "test-requirements.txt", "dev-requirements.txt"})
# Build and task scripts CI runs: a `|| true` or a changed target turns a red run green.
BUILD_FILES = frozenset({"makefile", "gnumakefile", "justfile", "taskfile.yml", "taskfile.yaml", "rakefile",
                         "build.gradle", "build.gradle.kts", "settings.gradle", "pom.xml", "build.sbt",
                         "cmakelists.txt", "meson.build", "dockerfile", "containerfile", "docker-compose.yml",
                         "docker-compose.yaml", "compose.yml", "compose.yaml", "setup.py", "build.sh", "run_tests.sh",
                         "runtests.py", "run_tests.py", "manage.py", "gradlew", "mvnw", "dodo.py", "pavement.py"})
_SCRIPT_DIRS = ("scripts/", "script/", "bin/", "tools/", "ci/", "hack/", "dev/")
_SCRIPT_NAME = re.compile(r"^(?:test|tests|ci|check|checks|lint|build|run|verify|pre[-_]?commit|cibuild)(?:[-_.].*)?$")
# Run by the interpreter before any test: a fix could patch pytest from here.
STARTUP = re.compile(r"^(?:sitecustomize\.py|usercustomize\.py|.*\.pth|pytest_.*\.py)$")


class Protection(str, Enum):
    """Why a fix may not change a path unless `.gitea/teabot.yaml` opens it with `debug.guard.allow`."""

    BOT_CONFIG = "bot_config"  # never opened, not even by the allow-list
    TEST = "test"
    TEST_CONFIG = "test_config"
    CI = "ci"
    BUILD = "build"
    STARTUP = "startup"


def protection(path: str) -> Protection | None:
    """What protects `path` from a fix (by canonical key), or None for ordinary code."""
    key = path_key(path)
    name = key.rsplit("/", 1)[-1]
    if key == BOT_CONFIG[0] or key.startswith(BOT_CONFIG[1]):
        return Protection.BOT_CONFIG
    if _is_test_key(key):
        return Protection.TEST
    if name in TEST_CONFIG or name.endswith(".mk"):
        return Protection.TEST_CONFIG if name in TEST_CONFIG else Protection.BUILD
    if key.startswith(CI_DIRS) or name in CI_FILES:
        return Protection.CI
    if name in BUILD_FILES or name.startswith(("dockerfile", "makefile")) or _is_script(key, name):
        return Protection.BUILD
    if STARTUP.match(name):
        return Protection.STARTUP
    return None


def _is_script(key: str, name: str) -> bool:
    stem = name.split(".", 1)[0]
    return (key.startswith(_SCRIPT_DIRS) or "/scripts/" in key or "/bin/" in key) and bool(_SCRIPT_NAME.match(stem)) \
        or name.endswith((".sh", ".bash", ".ps1", ".bat", ".cmd")) and bool(_SCRIPT_NAME.match(stem))


def _is_test_key(key: str) -> bool:
    parts = key.split("/")
    return bool(_TEST_NAME.match(parts[-1])) or any(part in TEST_DIRS for part in parts[:-1]) \
        or (len(parts) > 2 and parts[-3:-1] == ["src", "test"])


def is_test_path(path: str) -> bool:
    """True when the path holds tests by the usual conventions of its language."""
    return _is_test_key(path_key(path))


def is_ci_config(path: str) -> bool:
    """True for CI pipeline definitions (Gitea/GitHub/Forgejo Actions, GitLab, Jenkins, Travis …)."""
    key = path_key(path)
    return key.startswith((".gitea/workflows/", ".github/workflows/", ".forgejo/workflows/", ".gitea/actions/",
                           ".github/actions/")) or key.startswith(CI_DIRS[3:]) or key.rsplit("/", 1)[-1] in CI_FILES


def is_bot_config(path: str) -> bool:
    """True for the bot's own per-repository settings."""
    return protection(path) is Protection.BOT_CONFIG


RUNNER_CONFIG = TEST_CONFIG | {"pyproject.toml", "setup.cfg", "package.json"}


def is_runner_config(path: str) -> bool:
    """True for test-runner configuration that can deselect or ignore tests."""
    return path_key(path).rsplit("/", 1)[-1] in RUNNER_CONFIG


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

"""Alias-proof paths and the confinement of the model's file tools."""

from __future__ import annotations

import pytest

from bot.debug.core.paths import Protection, protection
from bot.security.paths import PathError, confine, confine_folder, normalise_path, path_key

TREE = ["src/calc.py", "src/pkg/__init__.py", "tests/test_calc.py", "README.md"]


@pytest.mark.parametrize("path, reason", [
    ("../../other/repo/secret", "'..'"), ("src/../../x", "'..'"), ("..\\..\\x", "'..'"), ("src/…/x", "'..'"),
    ("/etc/passwd", "absolute"), ("C:/Windows/win.ini", "absolute"), ("\\\\server\\share", "absolute"),
    ("~/.ssh/id_rsa", "absolute"), ("%2e%2e/%2e%2e/etc/passwd", "percent-encoded"), ("src%2fcalc.py", "percent-encoded"),
    (".git/config", ".git/"), (".GIT/config", ".git/"), (".git./config", ".git/"), (".git /config", ".git/"),
    ("ｓｒｃ/../../x", "'..'"), ("．ｇｉｔ/config", ".git/"), (".g\u200bit/config", ".git/"), ("git~1/config", "short name"),
    ("tests/NUL", "device"), ("src/calc.py:hidden", "data stream"), ("src/calc.py.", "trailing dots"),
    ("src\u202e/calc.py", "invisible"), ("a\x00b", "control"), ("a\nb", "control"), ("", "empty"), ("./", "names no file"),
])
def test_unsafe_paths_are_refused(path, reason):
    with pytest.raises(PathError, match=reason.replace(".", r"\.").replace("(", r"\(")):
        normalise_path(path)


@pytest.mark.parametrize("path, expected", [
    ("src/calc.py", "src/calc.py"), ("./src//calc.py", "src/calc.py"), ("src\\calc.py", "src/calc.py"),
    (" README.md ", "README.md"), ("docs/über.md", "docs/über.md"),
])
def test_safe_paths_are_normalised(path, expected):
    assert normalise_path(path) == expected


@pytest.mark.parametrize("path, key", [
    (".GITEA./Workflows/CI.yml", ".gitea/workflows/ci.yml"), ("ｔｅｓｔｓ/Test_A.py", "tests/test_a.py"),
    (".g\u0456tea/x", ".gitea/x"), ("te\u200bsts\\a.py", "tests/a.py"), ("ＭＡＫＥＦＩＬＥ", "makefile"),
])
def test_path_keys_see_through_aliases(path, key):
    assert path_key(path) == key


@pytest.mark.parametrize("path, kind", [
    ("tests/test_calc.py", Protection.TEST), ("pkg/calc_test.py", Protection.TEST), ("conftest.py", Protection.TEST),
    ("pytest.ini", Protection.TEST_CONFIG), ("tox.ini", Protection.TEST_CONFIG), ("noxfile.py", Protection.TEST_CONFIG),
    (".gitea/workflows/ci.yml", Protection.CI), (".github/workflows/x.yml", Protection.CI), (".ci/run", Protection.CI),
    (".gitlab-ci.yml", Protection.CI), ("Jenkinsfile", Protection.CI), ("Makefile", Protection.BUILD),
    ("scripts/test.sh", Protection.BUILD), ("scripts/test", Protection.BUILD), ("tools/ci.py", Protection.BUILD),
    ("Dockerfile.test", Protection.BUILD), ("rules.mk", Protection.BUILD), ("src/sitecustomize.py", Protection.STARTUP),
    ("lib/x.pth", Protection.STARTUP), (".gitea/teabot.yaml", Protection.BOT_CONFIG), (".GITEA/TEABOT.YAML", Protection.BOT_CONFIG),
    ("src/calc.py", None), ("README.md", None), ("pyproject.toml", None), ("src/contest.py", None), ("docs/testing.md", None),
])
def test_protection(path, kind):
    assert protection(path) is kind


@pytest.mark.parametrize("path, expected", [
    ("src/calc.py", "src/calc.py"), ("/src/calc.py".lstrip("/"), "src/calc.py"), ("src", "src"), ("src/pkg", "src/pkg"),
])
def test_confine_accepts_files_and_folders_of_the_tree(path, expected):
    assert confine(path, TREE) == expected


@pytest.mark.parametrize("path", ["../../other/repo/x", "/etc/passwd", "%2e%2e/x", "src/missing.py", "docs"])
def test_confine_refuses_the_rest(path):
    with pytest.raises(PathError):
        confine(path, TREE)


def test_confine_folder():
    assert [confine_folder(p) for p in (None, "", ".", "/", "src/")] == ["", "", "", "", "src"]
    with pytest.raises(PathError):
        confine_folder("../x")

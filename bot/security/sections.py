"""Test-runner settings inside shared files: pyproject.toml, setup.cfg and package.json.  PURE.

These files also carry package metadata a fix may need to change, so they are not protected
whole; only their test and task sections are: pyproject's `[tool.pytest*]`, `[tool.tox*]`,
`[tool.nox*]`, `[tool.coverage*]`, `[tool.hatch.envs*]`, `[tool.poe*]`, `[tool.pdm.scripts*]`;
setup.cfg's `[tool:pytest]`, `[pytest]`, `[tox*]`, `[coverage:*]`, `[flake8]`, `[mypy*]`; and
package.json's `scripts`, `jest`, `mocha`, `ava`, `vitest`, `c8`, `nyc` keys.
"""

from __future__ import annotations

import json
import re

_TOML_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_PYPROJECT = re.compile(r"^tool\.(?:pytest|tox|nox|coverage|hatch\.envs|poe|pdm\.scripts|ruff|mypy|pylint)\b")
_SETUP_CFG = re.compile(r"^(?:tool:pytest|pytest|tox|testenv|coverage:|flake8|mypy|pycodestyle|pylint)", re.I)
PACKAGE_KEYS = ("scripts", "jest", "mocha", "ava", "vitest", "c8", "nyc", "pre-commit", "husky")


def _sections(text: str, wanted: re.Pattern[str]) -> dict[str, list[str]]:
    """The lines of each wanted section (by header), and dotted top-level keys of TOML that point into one."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in (text or "").splitlines():
        header = _TOML_HEADER.match(line)
        if header:
            current = header.group(1).strip().strip('"')
            continue
        key = line.split("=", 1)[0].strip().strip('"') if "=" in line and not current else ""
        name = current or key
        if name and wanted.match(name):
            found.setdefault(name, []).append(line.strip())
    return {name: [ln for ln in lines if ln and not ln.startswith("#")] for name, lines in found.items()}


def runner_settings_change(name: str, before: str | None, after: str | None) -> str:
    """What test configuration an edit of a shared file changes ("" when none)."""
    if name == "pyproject.toml":
        return _diff(_sections(before or "", _PYPROJECT), _sections(after or "", _PYPROJECT))
    if name == "setup.cfg":
        return _diff(_sections(before or "", _SETUP_CFG), _sections(after or "", _SETUP_CFG))
    if name == "package.json":
        return _package(before, after)
    return ""


def _diff(old: dict[str, list[str]], new: dict[str, list[str]]) -> str:
    changed = sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))
    return f"changes the test settings in [{'], ['.join(changed)}]" if changed else ""


def _package(before: str | None, after: str | None) -> str:
    old, new = _json(before), _json(after)
    if new is None and after is not None:
        return "package.json is not valid JSON after the edit"
    changed = [key for key in PACKAGE_KEYS if (old or {}).get(key) != (new or {}).get(key)]
    return f"changes package.json {', '.join(changed)}" if changed else ""


def _json(text: str | None) -> dict | None:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None

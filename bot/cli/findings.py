"""What `teabot check` reports: findings of three levels, each saying what was found and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How bad a finding is; any ERROR makes `teabot check` exit 1."""

    OK = "ok"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One thing `teabot check` found, and how to fix it."""

    level: Level
    what: str
    fix: str = ""

    def line(self) -> str:
        """The finding as one line of output."""
        text = f"{self.level.value:<5} {self.what}"
        return f"{text} — {self.fix}" if self.fix else text


def ok(what: str, fix: str = "") -> Finding:
    """An OK finding."""
    return Finding(Level.OK, what, fix)


def warn(what: str, fix: str = "") -> Finding:
    """A warning: teabot works, but not fully."""
    return Finding(Level.WARN, what, fix)


def error(what: str, fix: str = "") -> Finding:
    """An error: teabot will not work until it is fixed."""
    return Finding(Level.ERROR, what, fix)


def failed(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.level is Level.ERROR for f in findings)

"""Names for what the bot pushes: conventional commit messages and its fix branches.

Commit messages follow Conventional Commits (https://www.conventionalcommits.org/en/v1.0.0/):
`type(scope)!: subject`, subject at most 72 characters with no trailing period. Branch names obey
git-check-ref-format (https://git-scm.com/docs/git-check-ref-format). A fix commit ends with a
git trailer naming its session and attempt, so a round run again after a crash finds its own push.
"""

from __future__ import annotations

import re

from bot.debug.core.paths import workflow_stem

TYPES = ("feat", "fix", "refactor", "docs", "style", "test", "perf", "chore", "revert", "build", "ci")
BOT_PREFIX = "teabot/"
FIX_PREFIX = "teabot/fix/"
MAX_SUBJECT = 72
_HEADER = re.compile(r"^(?P<type>" + "|".join(TYPES) + r")(?:\((?P<scope>[\w./-]+)\))?!?: (?P<subject>\S.*)$")


def commit_message(kind: str, scope: str, subject: str, body: str = "") -> str:
    """A conventional commit message; the subject is cut to one line of at most 72 characters."""
    if kind not in TYPES:
        raise ValueError(f"commit type {kind!r} is not one of {', '.join(TYPES)}")
    clean_scope = re.sub(r"[^\w./-]+", "-", scope.strip()).strip("-")
    header = f"{kind}({clean_scope}): " if clean_scope else f"{kind}: "
    message = header + _subject(subject)
    return f"{message}\n\n{body.strip()}" if body.strip() else message


def is_conventional(message: str) -> bool:
    """True when the first line is `type(scope)?: subject` with a valid type and a short, unpunctuated subject."""
    first = message.split("\n", 1)[0].rstrip()
    match = _HEADER.match(first)
    return bool(match) and len(match["subject"]) <= MAX_SUBJECT and not match["subject"].endswith(".")


def coerce_message(proposed: str | None, *, scope: str, fallback: str) -> str:
    """The model's message when it is conventional, else `fix(scope): <its first line or fallback>`."""
    text = (proposed or "").strip()
    if text and is_conventional(text):
        return text
    first = _HEADER.sub(lambda m: m["subject"], text.split("\n", 1)[0]) if text else ""
    return commit_message("fix", scope, first or fallback)


def attempt_trailer(key: str, n: int) -> str:
    """The trailer line that marks a fix commit as attempt `n` of session `key`."""
    return f"Teabot-Attempt: {key} #{n}"


def fix_branch(workflow: str, run_number: int | str, prefix: str = FIX_PREFIX) -> str:
    """The bot's branch for fixing one run: `teabot/fix/<workflow-stem>-<run>` (`prefix` must be under teabot/)."""
    run = re.sub(r"[^A-Za-z0-9]+", "-", str(run_number)).strip("-") or "0"
    return f"{prefix}{workflow_stem(workflow)}-{run}"


def is_bot_branch(name: str) -> bool:
    """True for branches the bot owns (under `teabot/`, with or without `refs/heads/`)."""
    return name.removeprefix("refs/heads/").startswith(BOT_PREFIX)


def _subject(text: str) -> str:
    line = " ".join(text.strip().split("\n", 1)[0].split()).rstrip(".").rstrip() or "fix the failing pipeline"
    if len(line) <= MAX_SUBJECT:
        return line
    cut = line[:MAX_SUBJECT + 1].rsplit(" ", 1)[0] if " " in line[:MAX_SUBJECT + 1] else line[:MAX_SUBJECT]
    return cut[:MAX_SUBJECT].rstrip(" .,;:")

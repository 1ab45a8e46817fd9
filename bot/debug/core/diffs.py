"""Unified diffs: a strict parser and hunk applier for the patches a model proposes.

Written here rather than taken from PyPI: `unidiff` parses but does not apply; `patch`/`patch-ng`
patch files on disk and fuzz; `whatthepatch` and `purepatch` apply in memory but either fuzz by design
or report a failure without the path and the lines that did not match. The bot needs an applier that
works on strings fetched through the Gitea API, never fuzzes context, refuses an ambiguous match, and
says which lines were not found so the model can correct itself — about a hundred lines.

Strictness: every context and removed line must equal the file's line (line endings aside). A hunk
is tried at its stated line first, elsewhere only where its lines occur exactly once further down.
Hunk header counts are not trusted (models miscount); the hunk body is. Git's `a/` and `b/` prefixes
are stripped from header paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.debug.core.paths import PathError, normalise_path

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
BARE = "="  # an empty line inside a hunk: context for an empty line, which models often send without its space


@dataclass(frozen=True)
class Hunk:
    """One `@@` block: the stated old start and length, and its (tag, text) lines with newlines."""

    old_start: int
    old_len: int
    lines: tuple[tuple[str, str], ...]

    def old_lines(self) -> list[str]:
        """The lines the file must hold where the hunk applies."""
        return [text for tag, text in self.lines if tag != "+"]


@dataclass(frozen=True)
class FilePatch:
    """The hunks of one file; `old_path` None creates the file, `new_path` None deletes it."""

    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...]


def parse_diff(text: str) -> tuple[list[FilePatch], list[str]]:
    """The file patches of a unified diff, and what could not be parsed."""
    lines, patches, errors, i = text.splitlines(), [], [], 0
    while i < len(lines):
        if not _file_header(lines, i):
            i += 1
            continue
        (old, new), problem = _header_paths(lines[i], lines[i + 1])
        hunks, i = _hunks(lines, i + 2, errors)
        if problem:
            errors.append(problem)
        elif not hunks and old is not None:
            errors.append(f"{new or old}: the diff has a file header but no @@ hunk")
        else:
            patches.append(FilePatch(old, new, hunks))
    if not patches and not errors:
        errors.append("the diff names no file: start it with '--- a/<path>' and '+++ b/<path>' lines")
    return patches, errors


def parse_hunks(text: str) -> tuple[tuple[Hunk, ...], list[str]]:
    """The hunks of a diff body without file headers (the path is given elsewhere)."""
    errors: list[str] = []
    hunks, _ = _hunks(text.splitlines(), 0, errors)
    if not hunks and not errors:
        errors.append("the patch has no @@ hunk")
    return hunks, errors


def apply_hunks(text: str, hunks: tuple[Hunk, ...]) -> tuple[str | None, str]:
    """`text` with the hunks applied, or None and why the first failing hunk does not apply."""
    src = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for number, hunk in enumerate(hunks, 1):
        at, problem = _locate(src, hunk, pos)
        if problem:
            return None, f"hunk {number} (@@ -{hunk.old_start},{hunk.old_len}) {problem}"
        out.extend(src[pos:at])
        for tag, line in hunk.lines:
            if tag != "-":
                out.append(line if tag == "+" else src[at])
            at += tag != "+"
        pos = at
    out.extend(src[pos:])
    return "".join(line if line.endswith("\n") or k == len(out) - 1 else line + "\n"
                   for k, line in enumerate(out)), ""


def _file_header(lines: list[str], i: int) -> bool:
    return lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def _hunks(lines: list[str], i: int, errors: list[str]) -> tuple[tuple[Hunk, ...], int]:
    hunks: list[Hunk] = []
    while i < len(lines) and not _file_header(lines, i):
        match = _HUNK.match(lines[i])
        i += 1
        if match is None:
            continue  # git's extended headers (index, mode) or prose between files
        body, i = _body(lines, i)
        old_len = int(match.group(2) if match.group(2) is not None else 1)
        if not body:
            errors.append(f"hunk {lines[i - 1]!r} has no lines")
            continue
        hunks.append(Hunk(int(match.group(1)), old_len, _trim(body, old_len)))
    return tuple(hunks), i


def _body(lines: list[str], i: int) -> tuple[list[tuple[str, str]], int]:
    body: list[tuple[str, str]] = []
    while i < len(lines) and not _file_header(lines, i) and not lines[i].startswith("@@"):
        line = lines[i]
        if line.startswith("\\"):  # "\ No newline at end of file" belongs to the line before it
            if body:
                body[-1] = (body[-1][0], body[-1][1].rstrip("\n"))
        elif line == "":
            body.append((BARE, "\n"))
        elif line[0] in " -+":
            body.append((line[0], line[1:] + "\n"))
        else:
            break
        i += 1
    return body, i


def _trim(body: list[tuple[str, str]], old_len: int) -> tuple[tuple[str, str], ...]:
    """Drop trailing bare empty lines beyond the stated length: they separate files, not lines."""
    while body and body[-1][0] == BARE and sum(tag != "+" for tag, _ in body) > old_len:
        body.pop()
    return tuple(body)


def _header_paths(minus: str, plus: str) -> tuple[tuple[str | None, str | None], str]:
    try:
        old, new = _header_path(minus[4:], "a/"), _header_path(plus[4:], "b/")
    except PathError as exc:
        return (None, None), str(exc)
    if old is None and new is None:
        return (None, None), "a diff header names /dev/null on both sides"
    if old is not None and new is not None and old != new:
        return (old, new), (f"renames are not supported ({old} -> {new}): edit {old} in place, "
                            f"or delete it and create {new}")
    return (old, new), ""


def _header_path(raw: str, prefix: str) -> str | None:
    path = raw.split("\t")[0].strip().strip('"')
    if path == "/dev/null":
        return None
    return normalise_path(path[len(prefix):] if path.startswith(prefix) else path)


def _locate(src: list[str], hunk: Hunk, pos: int) -> tuple[int, str]:
    old = [line.rstrip("\r\n") for line in hunk.old_lines()]
    hint = hunk.old_start - 1 if old else hunk.old_start
    if not old:
        if pos <= hint <= len(src):
            return hint, ""
        return 0, f"inserts after line {hunk.old_start}, outside the file's remaining {len(src)} lines"
    if hint >= pos and _matches(src, old, hint):
        return hint, ""
    found = [k for k in range(pos, len(src) - len(old) + 1) if _matches(src, old, k)]
    if len(found) == 1:
        return found[0], ""
    if found:
        where = ", ".join(str(k + 1) for k in found[:5])
        return 0, f"is ambiguous: its lines occur at lines {where}; add context lines so it matches once"
    have = {line.rstrip("\r\n") for line in src}
    missing = next((line for line in old if line not in have), None)
    if missing is not None:
        return 0, f"does not apply: the file has no line {_cut(missing)}"
    return 0, f"does not apply: its lines are not consecutive in the file, starting at {_cut(old[0])}"


def _matches(src: list[str], old: list[str], at: int) -> bool:
    return at + len(old) <= len(src) and all(src[at + k].rstrip("\r\n") == line for k, line in enumerate(old))


def _cut(line: str, limit: int = 80) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "…")

"""The edits a model proposes: parsed from its reply and applied, cleanly or not at all.

Two forms are accepted. Search/replace blocks, `{"edits": [{"path", "search", "replace"}]}`, where
an empty `search` on a path that does not exist creates the file and `{"path", "delete": true}`
deletes one; and unified diffs, either a whole reply (optionally fenced as ```diff) or per edit as
`{"path", "patch": "<diff>"}`. Every path is normalised; `..`, absolute paths and `.git/` are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.debug.core.diffs import FilePatch, Hunk, apply_hunks, parse_diff, parse_hunks
from bot.debug.core.paths import PathError, normalise_path
from bot.llm.reply import find_json

_FENCE = re.compile(r"```[ \t]*([A-Za-z]*)[ \t]*\n(.*?)```", re.DOTALL)
_DIFF_START = re.compile(r"^(?:diff --git |--- |@@ -)", re.MULTILINE)


class EditKind(str, Enum):
    """How an edit changes its file."""

    REPLACE = "replace"
    PATCH = "patch"
    DELETE = "delete"


@dataclass(frozen=True)
class Edit:
    """One change to one file: a search/replace block, the hunks of a diff, or a deletion."""

    path: str
    kind: EditKind = EditKind.REPLACE
    search: str = ""
    replace: str = ""
    hunks: tuple[Hunk, ...] = ()
    create: bool = False  # a diff from /dev/null: the file must not exist yet


def parse_edits(reply_text: str) -> tuple[list[Edit], list[str]]:
    """The edits in a model reply (JSON object or unified diff), and what was wrong with it."""
    data = load_json(reply_text)
    if isinstance(data, Mapping):
        return edits_from_data(data)
    diff = diff_text(reply_text)
    if diff is not None:
        return _from_diff(diff)
    return [], ['reply: no edits found; send {"edits": [{"path", "search", "replace"}]} or a unified diff']


def edits_from_data(data: Mapping[str, Any]) -> tuple[list[Edit], list[str]]:
    """The edits of a decoded reply object (`edits` list, or a whole diff under `patch`/`diff`)."""
    whole = data.get("patch", data.get("diff"))
    raw = data.get("edits", [] if whole is None else whole)
    if isinstance(raw, str):
        return _from_diff(raw)
    if not isinstance(raw, list):
        return [], [f"edits: must be a list of objects, got {type(raw).__name__}"]
    edits: list[Edit] = []
    errors: list[str] = []
    for i, item in enumerate(raw):
        found, problems = _item(item, f"edits[{i}]")
        edits.extend(found)
        errors.extend(problems)
    return edits, errors


def apply_edits(files: Mapping[str, str | None], edits: Sequence[Edit]) -> tuple[dict[str, str | None], list[str]]:
    """New contents of the changed files (None = deleted), or {} and every edit that does not apply.

    `files` must hold each path the edits touch; a missing key or None is a file that does not exist.
    """
    current: dict[str, str | None] = dict(files)
    errors: list[str] = []
    for number, edit in enumerate(edits, 1):
        after, problem = _apply(edit, current.get(edit.path))
        if problem:
            errors.append(f"edit {number} ({edit.path}): {problem}")
        else:
            current[edit.path] = after
    if errors:
        return {}, errors
    return {path: text for path, text in current.items() if text != files.get(path)}, []


def touched_paths(edits: Sequence[Edit]) -> list[str]:
    """The distinct paths the edits change, in order: the files to load before applying them."""
    return list(dict.fromkeys(edit.path for edit in edits))


def load_json(text: str) -> Any:
    """The JSON value of a reply (see `bot.llm.reply.find_json`); None when there is none."""
    return find_json(text)


def diff_text(text: str) -> str | None:
    """The unified diff in a reply (a ```diff/```patch fence or bare), or None."""
    for lang, body in _FENCE.findall(text):
        if lang.lower() in ("diff", "patch", "udiff") or (not lang and _DIFF_START.search(body)):
            return body
    match = _DIFF_START.search(text)
    return text[match.start():] if match else None


def _from_diff(text: str) -> tuple[list[Edit], list[str]]:
    patches, errors = parse_diff(text)
    return [_patch_edit(p) for p in patches], errors


def _patch_edit(patch: FilePatch) -> Edit:
    if patch.new_path is None:
        return Edit(str(patch.old_path), EditKind.DELETE)
    return Edit(patch.new_path, EditKind.PATCH, hunks=patch.hunks, create=patch.old_path is None)


def _item(item: Any, where: str) -> tuple[list[Edit], list[str]]:
    if not isinstance(item, Mapping):
        return [], [f"{where}: must be an object with a path, got {type(item).__name__}"]
    try:
        path = normalise_path(item["path"]) if isinstance(item.get("path"), str) else None
    except PathError as exc:
        return [], [f"{where}.path: {exc}"]
    if path is None:
        return [], [f"{where}.path: required, a repository-relative file path"]
    patch = item.get("patch", item.get("diff"))
    if item.get("delete") is True:
        return [Edit(path, EditKind.DELETE)], []
    if isinstance(patch, str):
        return _item_patch(path, patch, where)
    search, replace = item.get("search", ""), item.get("replace")
    if not isinstance(search, str) or not isinstance(replace, str):
        return [], [f"{where}: needs 'search' and 'replace' strings, a 'patch' diff, or 'delete': true"]
    return [Edit(path, EditKind.REPLACE, search=search, replace=replace, create=search == "")], []


def _item_patch(path: str, patch: str, where: str) -> tuple[list[Edit], list[str]]:
    if not re.search(r"^--- ", patch, re.MULTILINE):
        hunks, errors = parse_hunks(patch)
        found = [] if errors else [Edit(path, EditKind.PATCH, hunks=hunks)]
        return found, [f"{where}.patch: {e}" for e in errors]
    edits, errors = _from_diff(patch)
    stray = [e.path for e in edits if e.path != path]
    if stray:
        errors.append(f"patch names {', '.join(stray)} but the edit's path is {path}")
    return ([] if errors else edits), [f"{where}.patch: {e}" for e in errors]


def _apply(edit: Edit, before: str | None) -> tuple[str | None, str]:
    if edit.kind is EditKind.DELETE:
        return (None, "") if before is not None else (None, "cannot delete: the file does not exist")
    if edit.create and before is not None:
        return None, "the file already exists; an empty search (or a diff from /dev/null) only creates new files"
    if edit.create:
        return (edit.replace, "") if edit.kind is EditKind.REPLACE else apply_hunks("", edit.hunks)
    if before is None:
        return None, "the file does not exist (to create it, send an empty search)"
    if edit.kind is EditKind.PATCH:
        return apply_hunks(before, edit.hunks)
    return _replace(before, edit.search, edit.replace)


def _replace(text: str, search: str, replace: str) -> tuple[str | None, str]:
    if search not in text and "\r\n" in text:  # a CRLF file edited with LF lines
        search, replace = search.replace("\n", "\r\n"), replace.replace("\n", "\r\n")
    count = text.count(search)
    if count == 1:
        return text.replace(search, replace, 1), ""
    if count == 0:
        return None, f"search text not found: {snippet(search)} (copy it exactly from the file, with indentation)"
    return None, f"search text occurs {count} times: {snippet(search)} (include more lines so it occurs once)"


def snippet(text: str, limit: int = 80) -> str:
    """The first non-blank line of a text, cut to `limit` characters, quoted, for error messages."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), text.strip())
    return repr(line if len(line) <= limit else line[:limit] + "…")

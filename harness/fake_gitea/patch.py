"""Apply a unified diff to a snapshot of files, for the fake Gitea's `POST /diffpatch`.

Strict like `git apply`: every context and removed line must match, or the patch is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """The patch is malformed or does not apply."""


def _strip(name: str) -> str | None:
    name = name.split("\t", 1)[0].strip()
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def _file_sections(patch: str) -> list[tuple[str | None, str | None, list[str]]]:
    """(old path, new path, hunk lines) for each file in the patch."""
    sections: list[tuple[str | None, str | None, list[str]]] = []
    lines = patch.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            sections.append((_strip(lines[i][4:]), _strip(lines[i + 1][4:]), []))
            i += 2
            continue
        if sections and (lines[i].startswith(("@@", " ", "+", "-", "\\")) or lines[i] == ""):
            sections[-1][2].append(lines[i])
        i += 1
    if not sections:
        raise PatchError("no file headers (--- / +++) found in the patch")
    return sections


def _apply_hunks(text: str, hunks: list[str], path: str) -> str:
    old = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(hunks):
        match = _HUNK.match(hunks[i])
        if not match:
            i += 1
            continue
        start = max(int(match[1]) - 1, 0) if match[2] != "0" else int(match[1])
        if start < pos or start > len(old):
            raise PatchError(f"hunk at line {match[1]} of {path} is out of order or past the end")
        out.extend(old[pos:start])
        pos = start
        i += 1
        while i < len(hunks) and not hunks[i].startswith("@@"):
            line = hunks[i]
            tag, body = (line[:1], line[1:]) if line else (" ", "")
            if tag in " -":
                if pos >= len(old) or old[pos].rstrip("\r\n") != body:
                    raise PatchError(f"patch does not apply to {path} at line {pos + 1}")
                if tag == " ":
                    out.append(old[pos])
                pos += 1
            elif tag == "+":
                out.append(body + "\n")
            elif tag == "\\" and out and out[-1].endswith("\n"):
                out[-1] = out[-1][:-1]  # "\ No newline at end of file" after an added line
            i += 1
    out.extend(old[pos:])
    return "".join(out)


def apply_patch(files: Mapping[str, bytes], patch: str) -> dict[str, bytes]:
    """The snapshot after applying `patch` to `files`."""
    result = dict(files)
    for old_path, new_path, hunks in _file_sections(patch):
        if old_path is not None and old_path not in result:
            raise PatchError(f"{old_path} does not exist")
        if new_path is None:
            del result[old_path]  # type: ignore[arg-type]
            continue
        if old_path is None and new_path in result:
            raise PatchError(f"{new_path} already exists")
        source = result.pop(old_path).decode() if old_path else ""
        result[new_path] = _apply_hunks(source, hunks, new_path).encode()
    return result

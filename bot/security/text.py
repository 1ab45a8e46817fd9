"""Characters and terminal tricks that hide text from a human but not from a model.  PURE.

`visible_chars` keeps what a person sees in Gitea's issue view or its Actions log viewer:
format characters (Unicode Cf: soft hyphen, zero-width space/joiners, bidi embeddings, overrides
and isolates, tag characters, word joiner …), variation selectors, the combining grapheme joiner
U+034F, Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), C0/C1 controls and DEL are removed; ANSI
escape sequences are removed and text between SGR 8 (conceal) and its reset is dropped; on a line
rewritten with CR only the last segment stays (as Gitea's log viewer shows it); workflow
commands the viewer does not print (`::add-mask::`, `::stop-commands::`, `##[debug]` …) are dropped
and `##[group]` bodies, collapsed in the viewer, are replaced by a note.
"""

from __future__ import annotations

import re
import unicodedata

_ANSI = re.compile(r"\x1b\[[0-9;:?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]"
                   r"|\x9b[0-9;:?]*[ -/]*[@-~]")
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_COMMAND = re.compile(r"^\s*(?:::(?:add-mask|stop-commands|save-state|set-output|set-env|add-path|debug|echo)\b.*"
                      r"|##\[(?:debug|add-mask|endgroup)\].*|::endgroup::.*|::[0-9a-f]{16,}::)\s*$", re.IGNORECASE)
_GROUP = re.compile(r"^\s*(?:##\[group\]|::group::)(.*)$", re.IGNORECASE)
_END_GROUP = re.compile(r"^\s*(?:##\[endgroup\]|::endgroup::)\s*$", re.IGNORECASE)
_FILLERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")


def invisible(char: str) -> bool:
    """True for a character that renders as nothing (or reorders text) in Gitea."""
    code = ord(char)
    if char in "\n\t":
        return False
    if code < 0x20 or 0x7F <= code <= 0x9F or char in _FILLERS:
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0xE0000 <= code <= 0xE007F:
        return True
    return unicodedata.category(char) in ("Cf", "Co", "Cn", "Cs")


def _conceal(text: str) -> str:
    """Drop text shown with SGR 8 (conceal) up to the next SGR 0, 28 or a bare reset, then the other escapes."""
    out, hidden, last = [], False, 0
    for match in _SGR.finditer(text):
        if not hidden:
            out.append(text[last:match.start()])
        codes = [c for c in re.split(r"[;:]", match.group(1))] or ["0"]
        if "8" in codes:
            hidden = True
        elif hidden and any(c in ("", "0", "28") for c in codes):
            hidden = False
        last = match.end()
    if not hidden:
        out.append(text[last:])
    return _ANSI.sub("", "".join(out))


def _overwrite(line: str) -> str:
    """A line as shown after carriage returns: the last non-empty segment."""
    segments = [s for s in line.rstrip("\r").split("\r") if s]
    return segments[-1] if segments else ""


def _groups(lines: list[str]) -> list[str]:
    """Lines with collapsed group bodies replaced by a note and hidden workflow commands dropped."""
    out: list[str] = []
    in_group = 0
    for line in lines:
        start = _GROUP.match(line)
        if start and not in_group:
            out.append(start.group(1))
            in_group = 1
            continue
        if in_group and _END_GROUP.match(line):
            out.append(f"({in_group - 1} collapsed lines not shown)" if in_group > 1 else "")
            in_group = 0
            continue
        if in_group:
            in_group += 1
        elif not _COMMAND.match(line):
            out.append(line)
    if in_group > 1:
        out.append(f"({in_group - 1} collapsed lines not shown)")
    return [line for line in out if line != ""] if any(_GROUP.match(x) for x in lines) else out


def visible_chars(text: str) -> str:
    """`text` without invisible characters, concealed or overwritten terminal text and hidden log commands."""
    if not text:
        return text
    lines = [_overwrite(line) for line in _conceal(text).split("\n")]
    lines = _groups(lines)
    return "".join(c if not invisible(c) else "" for c in "\n".join(lines))

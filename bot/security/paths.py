"""Repository paths made alias-proof: one canonical key per file, and confinement of the model's tools.  PURE.

Git stores paths byte for byte, but the checkouts that CI and people use do not: case-insensitive
file systems (macOS, Windows), NTFS 8.3 short names (`GIT~1`), Windows dropping trailing dots and
spaces, HFS+ ignoring zero-width characters, and NFKC-equivalent spellings (fullwidth `．ｇｉｔ`).
Git itself refuses `.git` under all of these (`verify_path`, core.protectNTFS/HFS); teabot compares
every path by `path_key`, so a rule written for `.gitea/` also holds for `.GITEA./` or `.gitea\u200c/`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

_DRIVE = re.compile(r"^[A-Za-z]:")
_SHORT_NAME = re.compile(r"^[^.~]{1,6}~\d+(?:\.[^.]{0,3})?$")  # NTFS 8.3 alias such as GIT~1 or TESTS~2.PY
_DEVICE = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$", re.IGNORECASE)
# Letters of other scripts that render like ASCII ones; enough to see `.gіtea` (Cyrillic і) as `.gitea`.
_CONFUSABLES = str.maketrans({
    "а": "a", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "о": "o", "р": "p",
    "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ɡ": "g", "ӏ": "l", "ո": "n", "ս": "u",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ı": "i", "ȷ": "j", "ℓ": "l", "ѵ": "v", "ԝ": "w",
})


class PathError(ValueError):
    """A path the bot must not read or write: absolute, escaping the repository, inside `.git/`, or aliased."""


def _invisible(char: str) -> bool:
    """Characters file systems or eyes ignore: format (Cf), HFS+ ignorables, Hangul fillers, CGJ, variation selectors."""
    return unicodedata.category(char) == "Cf" or char in "\u034f\u115f\u1160\u3164\uffa0" or \
        "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def split_path(path: str) -> list[str]:
    """The components of a repository path; PathError when it is absolute, escapes, or names an alias."""
    text = str(path)
    if not text.strip() or "\x00" in text or any(ord(c) < 0x20 for c in text):
        raise PathError(f"invalid path {path!r}: empty or holds control characters (NUL, C0)")
    if "%" in text and unquote(text) != text:
        raise PathError(f"invalid path {path!r}: percent-encoded paths are not accepted, give the plain path")
    text = text.strip().replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text) or text.startswith("~"):
        raise PathError(f"invalid path {path!r}: absolute paths are not allowed, use a repository-relative path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    for part in parts:
        _check_part(path, part)
    if not parts:
        raise PathError(f"invalid path {path!r}: names no file")
    return parts


def _check_part(path: str, part: str) -> None:
    key = component_key(part)
    if key in ("..", "...") or key.strip(".") == "" and part != ".":
        raise PathError(f"invalid path {path!r}: '..' may not leave the repository")
    if key == ".git" or key.startswith(".git/"):
        raise PathError(f"invalid path {path!r}: files inside .git/ are not part of the tree")
    if ":" in part:
        raise PathError(f"invalid path {path!r}: ':' names an alternate data stream on Windows")
    if _SHORT_NAME.match(part) or _DEVICE.match(key):
        raise PathError(f"invalid path {path!r}: {part!r} is a Windows short name or device alias")
    if part != part.rstrip(". ") or any(_invisible(c) for c in part):
        raise PathError(f"invalid path {path!r}: trailing dots, spaces or invisible characters alias another file")


def component_key(part: str) -> str:
    """One component as file systems compare it: NFKC, invisibles dropped, lookalikes mapped, case folded."""
    text = unicodedata.normalize("NFKC", part)
    text = "".join(c for c in text if not _invisible(c)).translate(_CONFUSABLES).casefold()
    return text.rstrip(". ") or text


def path_key(path: str) -> str:
    """The canonical comparison key of a (possibly hostile) path, for matching protected paths."""
    text = unicodedata.normalize("NFKC", str(path)).replace("\\", "/")
    return "/".join(component_key(p) for p in text.split("/") if p not in ("", "."))


def normalise_path(path: str) -> str:
    """The repository-relative POSIX form of `path`; PathError when it is unsafe, aliased or empty."""
    return "/".join(split_path(path))


def confine(path: str, tree: Iterable[str] | None = None) -> str:
    """The normalised path a model tool may read; PathError outside the repository or not in `tree`."""
    clean = normalise_path(path)
    if tree is not None:
        known = {path_key(p): p for p in tree}
        folders = {path_key(p).rsplit("/", 1)[0] for p in known.values() if "/" in p}
        key = path_key(clean)
        if key in known:
            return known[key] if known[key] == clean else clean
        if key not in folders and not any(f.startswith(key + "/") for f in folders):
            raise PathError(f"{clean!r} is not in the repository at this commit")
    return clean


def confine_folder(path: str | None) -> str:
    """A folder for `list_dir`: "" for the repository root, else the normalised path."""
    text = str(path or "").strip()
    return "" if text in ("", ".", "/", "./") else normalise_path(text)

"""Which source files a failure points at: paths and lines from stack frames and test ids in an excerpt.

    refs = files_from_stack(triage.excerpt)          # FileRef("src/calc.py", 12), …
    refs = resolve_refs(refs, repository_paths)      # matched to real paths of the tree
    text = window(source, [12], radius=20)           # numbered lines around line 12

Python tracebacks and pytest locations, JS/TS `at f (file:line:col)`, Go `file.go:line`, Java
`at pkg.Class.method(File.java:line)`, Rust `--> src/lib.rs:line:col` and `panicked at file:line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_REFS = 12
_EXT = r"(?:py|pyi|go|rs|[cm]?[jt]sx?|java|kt|kts|scala|groovy|rb|cs|php|swift|c|cc|cpp|cxx|h|hpp|ex|exs|erl)"
_PATTERNS = (
    re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)'),  # Python traceback
    re.compile(r"\bat (?:[\w.$-]+/)?[\w$.<>]+\.[\w$<>]+"  # JVM frame: at [module/]pkg.Class.method(File.java:7)
               r"\((?P<file>[\w$-]+\.(?:java|kt|scala|groovy)):(?P<line>\d+)\)"),
    re.compile(r"(?P<path>(?:[A-Za-z]:)?[\w.@~/\\-]*[\w-]\." + _EXT + r"):(?P<line>\d+)(?::\d+)?"),  # path:line[:col]
    re.compile(r"(?P<path>[\w./-]+\.py)::(?P<test>[\w\[\]:.-]+)"),  # pytest test id
)
_LIBRARY = re.compile(r"site-packages|dist-packages|node_modules|/usr/(?:local/)?lib/|/lib/python\d|\.cargo/registry"
                      r"|/go/pkg/mod/|/usr/local/go/|/rustc/|<frozen |internal/|^<|/jdk[\w.-]*/|/\.pyenv/|/\.nvm/")
_JVM_LIBRARY = re.compile(r"^(?:java|javax|jdk|sun|com/sun|kotlin|kotlinx|scala|org/junit|org/apache/maven|org/gradle"
                          r"|org/testng|org/opentest4j|org/assertj|org/mockito)/")


@dataclass(frozen=True)
class FileRef:
    """A file a failure points at; `partial` when the path may lack its leading folders or carry a foreign
    prefix (an absolute CI path, a Java package path) and must be matched against the tree."""

    path: str
    line: int | None = None
    partial: bool = False


def files_from_stack(excerpt: str) -> list[FileRef]:
    """Distinct (path, line) references in an excerpt, in order of appearance, library frames left out."""
    found: dict[tuple[str, int | None], FileRef] = {}
    for text in excerpt.splitlines():
        for ref in _refs(_strip_number(text)):
            found.setdefault((ref.path, ref.line), ref)
    return list(found.values())[:MAX_REFS]


def resolve_refs(refs: Iterable[FileRef], tree: Iterable[str]) -> list[FileRef]:
    """The references that name files of the tree, with the tree's path (longest matching suffix wins)."""
    paths = list(tree)
    out: dict[tuple[str, int | None], FileRef] = {}
    for ref in refs:
        path = ref.path if ref.path in paths else _by_suffix(ref.path, paths)
        if path is not None:
            out.setdefault((path, ref.line), FileRef(path, ref.line))
    return list(out.values())


def window(text: str, lines: Sequence[int], *, radius: int = 20, max_chars: int = 6000) -> str:
    """Numbered lines of `text` around `lines` (the whole file when `lines` is empty), cut to `max_chars`."""
    source = text.splitlines()
    keep = _spans(lines, radius, len(source)) if lines else [(1, len(source))]
    out: list[str] = []
    for start, end in keep:
        if start > 1 or out:
            out.append("…")
        out.extend(f"{n:>4}| {source[n - 1]}" for n in range(start, end + 1))
    if keep and keep[-1][1] < len(source):
        out.append("…")
    body = "\n".join(out)
    return body if len(body) <= max_chars else body[:max_chars].rsplit("\n", 1)[0] + "\n… (cut)"


def _strip_number(text: str) -> str:
    """Drop the `  123 | ` prefix of a triage excerpt line."""
    return re.sub(r"^\s*\d*\s*\| ", "", text, count=1)


def _refs(text: str) -> Iterable[FileRef]:
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in spans):
                continue  # already read by an earlier, more specific pattern
            spans.append(match.span())
            ref = _ref(match, text)
            if ref is not None:
                yield ref


def _ref(match: re.Match[str], text: str) -> FileRef | None:
    groups = match.groupdict()
    line = int(groups["line"]) if groups.get("line") else None
    if groups.get("file"):
        package = re.search(r"at (?:[\w.$-]+/)?((?:[a-z_][\w]*\.)+)[A-Z$][\w$]*\.", text[match.start():])
        prefix = package.group(1).replace(".", "/") if package else ""
        return None if _JVM_LIBRARY.match(prefix) else FileRef(prefix + groups["file"], line, partial=True)
    path = groups["path"].replace("\\", "/")
    if _LIBRARY.search(path):
        return None
    partial = path.startswith("/") or bool(re.match(r"[A-Za-z]:", path))
    path = re.sub(r"^(?:\./)+", "", path)
    return FileRef(path, line, partial=partial)


def _by_suffix(path: str, paths: list[str]) -> str | None:
    parts = path.strip("/").split("/")
    for size in range(len(parts), 0, -1):
        tail = "/".join(parts[-size:])
        matches = [p for p in paths if p == tail or p.endswith("/" + tail)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None  # ambiguous at this length: a longer suffix did not match, a shorter one cannot help
    return None


def _spans(lines: Sequence[int], radius: int, total: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in sorted({n for n in lines if 1 <= n <= total}):
        start, end = max(1, line - radius), min(total, line + radius)
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans

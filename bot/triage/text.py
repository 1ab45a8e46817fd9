"""Line text: decode, strip ANSI escapes and CI prefixes, and normalise for comparison."""

from __future__ import annotations

import re

# CSI / OSC / two-byte escape sequences, and orphaned "[31m" fragments whose ESC was lost.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[()][A-Za-z0-9]|\x1b[@-_]"
    r"|(?<![\w\]])\[(?:\d{1,3}(?:;\d{1,3})*)?[mK](?=\S|$)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIMESTAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_PREFIX = re.compile(
    r"^(?:[^\t]{1,200}\t[^\t]{0,200}\t(?=\d{4}-))?"        # GitHub "job<TAB>step<TAB>" download prefix
    r"(?:\ufeff)?(?:\[?" + _TIMESTAMP + r"\]?\s?)?"           # Actions / Gitea / Jenkins timestamps
    r"(?:\d\d[OE]\+?\s)?"                                     # GitLab stream marker after the timestamp
)
_TRAVIS = re.compile(r"^(?:travis_(?:fold|time):(?:start|end):[\w.\-]+(?::start=\d+,finish=\d+,duration=\d+"
                     r"(?:,event=\w+)?)?\r?)+")
# Travis macOS logs prefix some lines with a literal "nl" (the `nl` line-numbering command's name).
_NL_ARTIFACT = re.compile(rb"^nl(?=[\s\x1b]|$)")
_SPACE = re.compile(r"[ \t]+$")


def decode(raw: bytes) -> str:
    """Bytes to text; invalid UTF-8 becomes U+FFFD."""
    return raw.decode("utf-8", "replace")


def clean(raw: bytes) -> str:
    """The visible text of one raw line: no ANSI, no CI prefixes, the last `\\r` screen."""
    text = decode(raw[2:] if raw.startswith(b"nl") and _NL_ARTIFACT.match(raw) else raw)
    if "\x1b" in text or "[" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        screens = [s for s in text.split("\r") if s.strip()]
        text = screens[-1] if screens else ""
    if not text.isprintable():
        text = _CONTROL.sub("", text)
    text = _PREFIX.sub("", text, count=1)
    if text.startswith("travis_"):
        text = _TRAVIS.sub("", text, count=1)
    return text.rstrip()


def display(raw: bytes) -> str:
    """Text for an excerpt: ANSI and control bytes removed, `\\r` screens collapsed to the last."""
    return clean(raw)


# Normalisation for "is this the same line as in the passing run": volatile parts only.
_VOLATILE = [
    (re.compile(_TIMESTAMP), "<ts>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b(?:0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I), "<hex>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|min|mins|minutes?|h|µs|us|ns)\b"), "<dur>"),
    (re.compile(r"(?:/tmp|/var/folders|/private/var|C:\\Users\\[^\\]+\\AppData\\Local\\Temp)[/\\][^\s:'\"]*"),
     "<tmp>"),
    (re.compile(r"\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d+"), r"\1:<port>"),
    (re.compile(r"\b\d{5,}\b"), "<n>"),
]


def normalise(text: str) -> str:
    """Replace timestamps, durations, hex ids, UUIDs, temp paths, ports and long numbers."""
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text.strip()


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")
_STOP = frozenset({"the", "and", "for", "with", "from", "not", "was", "are", "this", "that", "line",
                   "at", "in", "of", "to", "is", "on", "by", "an", "or", "as", "be", "it", "n"})


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of normalised text, without digits, hex ids or stop words."""
    return [t for t in (w.lower() for w in _TOKEN.findall(normalise(text))) if t not in _STOP]

"""Line shapes: a log line with its volatile parts masked, so that a recurring failure matches itself.

`shape("src/a.c:12:3: error: 'foo' undeclared")` -> `"<path>:<n>:<n>: error: <q> undeclared"`.
Digits, paths, hashes, hex ids, UUIDs, quoted strings, URLs and temp dirs are masked; what stays is the
wording a tool uses for a kind of failure. Shapes hold no secrets: the text is redacted before masking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.redact import redact

MAX_SHAPE = 160          # characters of a shape kept (the start of a line says what kind it is)
MIN_LETTERS = 4          # a shape with fewer letters than this says nothing ("<n>", "---")
COARSE_WORDS = 4         # words of a shape compared when the whole shape does not match

_MASKS = (
    (re.compile(r"\b[a-z][\w+.-]*://\S+", re.I), "<url>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]{7,}\b", re.I), "<hex>"),
    (re.compile(r"\"[^\"]*\"|'[^'\s][^']*'|`[^`]*`|‘[^’]*’|“[^”]*”"), "<q>"),
    # a path: anything with a slash or backslash in it, or a file name with an extension
    (re.compile(r"(?:[A-Za-z]:)?(?:[\w.@~+-]*[/\\])+[\w.@~+-]*|\b[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{1,5}\b(?=[:(\s,]|$)"),
     "<path>"),
    (re.compile(r"\d+(?:[.,]\d+)*"), "<n>"),
)
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[A-Za-z]")


def shape(text: str) -> str:
    """The masked form of one cleaned log line ("" when nothing recognisable is left)."""
    text = redact(text.strip())[:MAX_SHAPE * 2]
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    text = _SPACE.sub(" ", text).strip()[:MAX_SHAPE]
    letters = len(_LETTER.findall(re.sub(r"<\w+>", "", text)))
    return text if letters >= MIN_LETTERS else ""


def coarse(shaped: str) -> str:
    """The first few words of a shape: matches the same message about other things."""
    words = shaped.split(" ")
    if len(words) <= COARSE_WORDS:
        return ""        # a short shape is only ever matched whole
    head = " ".join(words[:COARSE_WORDS])
    return head if len(_LETTER.findall(re.sub(r"<\w+>", "", head))) >= 2 * MIN_LETTERS else ""


@dataclass(frozen=True)
class Learned:
    """What a repository's users confirmed: shapes of cause lines, whole and coarse."""

    shapes: frozenset[str] = frozenset()
    heads: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.shapes)

    def match(self, text: str) -> int:
        """2 when the line's whole shape was confirmed before, 1 when its head was, else 0."""
        shaped = shape(text)
        if not shaped:
            return 0
        if shaped in self.shapes:
            return 2
        head = coarse(shaped)
        return 1 if head and head in self.heads else 0


def learned_from(shapes: Iterable[str]) -> Learned:
    """A `Learned` from stored shapes."""
    whole = frozenset(s for s in shapes if s)
    return Learned(whole, frozenset(h for h in map(coarse, whole) if h))

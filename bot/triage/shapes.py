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
_MASK = re.compile(r"<\w+>")


def shape(text: str, *, stored: bool = True) -> str:
    """The masked form of one cleaned log line ("" when nothing recognisable is left).

    `stored=False` skips redaction, for matching only: a shape that is compared and thrown away holds
    nothing to protect, and a line with a secret in it cannot match a stored (redacted) shape anyway.
    """
    text = (redact(text.strip()) if stored else text.strip())[:MAX_SHAPE * 2]
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    text = _SPACE.sub(" ", text).strip()[:MAX_SHAPE]
    letters = len(_LETTER.findall(_MASK.sub("", text)))
    return text if letters >= MIN_LETTERS else ""


def coarse(shaped: str) -> str:
    """The first few words of a shape: matches the same message about other things."""
    words = shaped.split(" ")
    if len(words) <= COARSE_WORDS:
        return ""        # a short shape is only ever matched whole
    head = " ".join(words[:COARSE_WORDS])
    return head if len(_LETTER.findall(_MASK.sub("", head))) >= 2 * MIN_LETTERS else ""


HEAD, BODY, KIN = 3, 2, 1     # what a learned shape says of a line: it opens a cause, continues one, or is akin


@dataclass(frozen=True)
class Learned:
    """What a repository's users confirmed: the shapes of the lines that open a cause (`heads`), of
    the lines that continue one (`bodies`), and the first words of the heads (`kin`)."""

    heads: frozenset[str] = frozenset()
    bodies: frozenset[str] = frozenset()
    kin: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.heads or self.bodies)

    def match(self, text: str) -> int:
        """HEAD, BODY or KIN when the line's shape (or its first words) was confirmed before, else 0."""
        shaped = shape(text, stored=False)
        if not shaped:
            return 0
        if shaped in self.heads:
            return HEAD
        if shaped in self.bodies:
            return BODY
        start = coarse(shaped)
        return KIN if start and start in self.kin else 0


def learned_from(heads: Iterable[str], bodies: Iterable[str] = ()) -> Learned:
    """A `Learned` from stored head and body shapes."""
    head_set = frozenset(s for s in heads if s)
    return Learned(head_set, frozenset(s for s in bodies if s) - head_set,
                   frozenset(h for h in map(coarse, head_set) if h))

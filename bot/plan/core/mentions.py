"""Dependency phrases in prose ("depends on X", "after X", "needed by X") matched to plan items by title words.

A forward phrase on item A naming B ("A depends on / requires / comes after B") makes A depend on B;
a reverse phrase ("A is needed by / blocks / comes before B") makes B depend on A. Strong phrases
match an item when half of its significant title words appear; weak ones ("after", "needs",
"before") only when all of them do, or when the item's id is written out, so that "log out after
30 minutes" never becomes a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.plan.core.phrases import significant

PHRASES = (  # (regex, reverse?, strong?)
    (r"depends? (?:up)?on|dependent on|blocked by|builds? (?:up)?on|relies on|relying on|waits? for|"
     r"prerequisites?:?", False, True),
    (r"requires|required:|needs|after|following|once", False, False),
    (r"needed by|required by|blocks|prerequisite (?:for|of)|must (?:come|be done|be ready) before", True, True),
    (r"before|enables|unblocks", True, False),
)
PATTERN = re.compile("|".join(f"(?P<p{i}>\\b(?:{regex}))" for i, (regex, _, _) in enumerate(PHRASES)), re.I)
ITEM_ID = re.compile(r"\b(?:FEAT|ENAB)_[A-Z0-9_]+_\d{3}\b")
CLAUSE_END = re.compile(r"[.;!?)\]]|,\s|\s(?:and|but|so|because|since|while)\s")


@dataclass(frozen=True)
class Candidate:
    """A plan item that phrases may name: its id and the words of its title."""

    item_id: str
    words: frozenset[str]


@dataclass(frozen=True)
class Mention:
    """A dependency phrase in a line: the text before and after it, its direction and strength."""

    before: str
    after: str
    reverse: bool
    strong: bool
    leading: bool  # the phrase opens the line ("Depends on the user store")


def find_mentions(line: str) -> list[Mention]:
    """Every dependency phrase in `line`."""
    mentions = []
    for match in PATTERN.finditer(line):
        index = int(next(name for name, value in match.groupdict().items() if value)[1:])
        _, reverse, strong = PHRASES[index]
        after = CLAUSE_END.split(line[match.end():], maxsplit=1)[0]
        before = line[:match.start()]
        mentions.append(Mention(before, after.strip(), reverse, strong, not re.search(r"\w", before)))
    return mentions


def match_item(text: str, candidates: Sequence[Candidate], *, strong: bool, exclude: str = "") -> str | None:
    """The candidate whose title `text` names best (see the module docstring), or None."""
    ids = set(ITEM_ID.findall(text))
    for candidate in candidates:
        if candidate.item_id in ids and candidate.item_id != exclude:
            return candidate.item_id
    found = set(significant(text))
    best, best_score = None, 0.0
    for candidate in candidates:
        if candidate.item_id == exclude or not candidate.words:
            continue
        score = len(candidate.words & found) / len(candidate.words)
        if score > best_score:
            best, best_score = candidate.item_id, score
    return best if best_score >= (0.5 if strong else 1.0) else None


def dependencies_in(line: str, source: str | None, candidates: Sequence[Candidate]) -> list[tuple[str, str]]:
    """(source_id, target_id) pairs stated in `line`; `source` is the item the line belongs to, if any."""
    pairs = []
    for mention in find_mentions(line):
        here = source or match_item(mention.before, candidates, strong=True)
        if here is None:
            continue
        other = match_item(mention.after, candidates, strong=mention.strong, exclude=here)
        if other is not None:
            pairs.append((other, here) if mention.reverse else (here, other))
    return pairs

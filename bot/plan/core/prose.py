"""Units of work named in prose, for epics whose lists state no open work.

Read only when no list states open work (a list always wins: prose beside a list is context).
Three shapes, each a class of real epics:
- reference lines: a short line relating two or more `#N` sub-issues ("#681 depends on #682");
- enumerations: a sentence that lists three or more parts after a lead-in ("…, including A, B,
  and C", "… — A, B, C etc.", "…：A、B、C"); a sentence that says they shipped makes them done;
- the title, when it is itself such an enumeration ("Roles, groups and users").
A list of what is absent ("no accounts, no billing") names no work and is left out.
"""

from __future__ import annotations

import re

from bot.plan.core import vocabulary as vocab
from bot.plan.core.markdown import clean_text
from bot.plan.core.units import HEADING, ITEM, REF, Unit, plain

LEAD_IN = re.compile(r"[:：]\s|[:：]$|\s[—–-]\s|——|\b(?:including|such as|namely|like|e\.g\.,?)\s|"
                     r"包括|包含|例如|比如|など|를 포함|incluyendo|como\s|y\s+como|notamment|dont\s|einschließlich|"
                     r"wie\s|incluindo|включая|такие как|w tym|m\.in\.\s", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[A-ZÀ-ÖØ-ÞА-ЯĄĆĘŁŃÓŚŹŻ])|[。！？]")
LAST_JOIN = re.compile(r"^(?:(?:and|or|as well as|und|oder|et|ou|y|o|e|и|или|i|oraz|lub)\s+|(?:和|与|及|以及|或)\s*)", re.I)
INNER_JOIN = re.compile(r"\s+(?:and|und|et|y|e|и|i|oraz)\s+|(?<=[^\x00-\x7f])(?:和|与|及|以及)(?=[^\x00-\x7f])", re.I)
OPEN_END = re.compile(r"[\s,，、]*(?:etc\.?|and so on|usw\.?|etc\.|itd\.?|itp\.?|и т\.\s?д\.?|等等?|など|…|\.\.\.)\s*$",
                      re.I)
ARTICLE = re.compile(r"^(?:a|an|the|un|une|le|la|les|el|los|las|der|die|das|ein|eine|o|os|as|um|uma)\s+", re.I)
NEGATED = re.compile(r"^(?:no|not|without|never|kein\w*|nicht|sans|pas de|sin|sem|nenhum\w*|без|нет|bez|brak|"
                     r"无|没有|不|なし|없)\b", re.I)
CLOSING = re.compile(r"[,，、]\s*(?:and|or|und|et|y|e|и|i|oraz)\s|[,，、][^,，、]*(?:\s(?:and|und|et|y|e|и|i|oraz)\s|(?<=[^\x00-\x7f])(?:和|与|及|以及))",
                     re.I)
COMMA = set(",，、;；")
MIN_PARTS = 3
MAX_PART_WORDS = 12
RELATION_WORDS = 3  # a reference line has at most this many words besides its references


def prose_units(text: str, title: str = "") -> list[Unit]:
    """The units prose names: reference lines, then enumerations, then the title's own enumeration."""
    lines = clean_text(text).split("\n")
    units = _reference_lines(lines) or _enumerations(lines)
    if not units:
        units = [Unit(part, "", "open", line=-1) for part in enumeration(plain(title))]
    return units


def _reference_lines(lines: list[str]) -> list[Unit]:
    """Each `#N` of a short line that relates references to each other (`#681 depends on #682`)."""
    units: list[Unit] = []
    for number, line in enumerate(lines):
        refs = REF.findall(line)
        rest = REF.sub(" ", plain(line)).split()
        if len(refs) >= 2 and len(rest) <= RELATION_WORDS and not ITEM.match(line):
            units += [Unit(f"#{n}", "", "open", int(n), line=number) for n in refs
                      if all(u.issue != int(n) for u in units)]
    return units


def _enumerations(lines: list[str]) -> list[Unit]:
    """The parts of every enumerating sentence outside the sections that are not work."""
    units: list[Unit] = []
    heading, kind = "", "work"
    for number, line in enumerate(lines):
        found = HEADING.match(line)
        if found:
            heading = plain(found[2])
            kind = vocab.section_kind(heading)
            continue
        if not line.strip() or ITEM.match(line) or kind == "outside" or "|" in line:
            continue
        for sentence in SENTENCE_END.split(plain(line)):
            status = "done" if vocab.is_done(sentence) else "postponed" if vocab.is_postponed(sentence) else "open"
            units += [Unit(part, heading, status, line=number) for part in enumeration(sentence)]
    return units


def enumeration(sentence: str) -> list[str]:
    """The parts a sentence enumerates after its lead-in (at least three), else none."""
    sentence = vocab.strip_links(sentence).strip()
    lead = None
    for lead in LEAD_IN.finditer(sentence):
        pass  # the last lead-in starts the list: what comes before it introduces it
    tail = sentence[lead.end():] if lead else sentence
    open_end = OPEN_END.search(tail.rstrip(" .。"))
    parts = _split(OPEN_END.sub("", tail.rstrip(" .。")))
    if not (lead or open_end or CLOSING.search(tail)):
        return []  # without a lead-in only "A, B and C" or "A, B, C etc." is a list ("a free, public release" is not)
    if len(parts) < MIN_PARTS or any(NEGATED.match(p) for p in parts):
        return []
    if any(len(p.split()) > MAX_PART_WORDS for p in parts):
        return []
    return parts


def _split(tail: str) -> list[str]:
    """Comma-separated parts outside brackets; the last one's conjunction is dropped, and so is what follows it."""
    parts, depth, current = [], 0, ""
    for char in tail:
        depth += char in "(（["
        depth -= char in ")）]" and depth > 0
        if char in COMMA and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    parts = [p.strip() for p in parts]
    if len(parts) < 2:
        return _split_last(parts)
    for index, part in enumerate(parts[1:], start=1):
        if LAST_JOIN.match(part):  # "…, and C" closes the list: later commas start another clause
            parts = parts[:index] + [LAST_JOIN.sub("", part)]
            break
    else:
        parts = parts[:-1] + _split_last(parts[-1:])
    return [ARTICLE.sub("", p).strip(" .") for p in parts if p.strip(" .")]


def _split_last(parts: list[str]) -> list[str]:
    """The last part split once at its conjunction ("B and C", "B和C")."""
    if not parts:
        return parts
    pieces = INNER_JOIN.split(parts[-1], maxsplit=1)
    return parts[:-1] + [p.strip() for p in pieces if p.strip()]

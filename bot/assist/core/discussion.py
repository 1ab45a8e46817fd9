"""`/summarize` and `/classify` without a model: cue words over the thread, and their comments.

A summary holds requirement items, decisions reached and open questions with who owns them (the
first @mention in the question, else nobody yet). A classification marks each requirement
functional or non-functional, with a reason naming the words that decided it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.plan.core.markdown import BULLET, clean_text, strip_marker
from bot.plan.core.model import Post
from bot.plan.core.phrases import PERF, SECURITY

DECISION = re.compile(r"\b(decided|decision|agreed|we will|we'll|let's go with|going with|settled on|resolved|"
                      r"approved|conclusion|final answer)\b", re.I)
QUESTION = re.compile(r"\?(?=\s|$)|^\s*(?:open question|question|tbd|to be decided|unclear)\b", re.I)
REQUIREMENT = re.compile(r"\b(must|shall|should|needs? to|has to|have to|required|requires|as an? \w+,? i want|"
                         r"users? can|allow|support)\b", re.I)
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]*)")
NFR_VOCABULARY = (  # (category, pattern)
    ("performance", PERF),
    ("security", SECURITY),
    ("reliability", re.compile(r"\b(uptime|availability|failover|backup|recover\w*|redundan\w*|durab\w*|retr(y|ies))\b",
                               re.I)),
    ("usability", re.compile(r"\b(accessib\w*|wcag|usabilit\w*|responsive|mobile[- ]friendly|i18n|locali[sz]\w*)\b",
                             re.I)),
    ("compliance", re.compile(r"\b(gdpr|hipaa|sox|iso\s*27001|compliance|regulat\w*|audit\w*)\b", re.I)),
    ("maintainability", re.compile(r"\b(maintainab\w*|test coverage|coverage|documented|observab\w*|monitor\w*|"
                                   r"logging|metrics)\b", re.I)),
)


@dataclass(frozen=True)
class Note:
    """A requirement or decision, with who said it."""

    text: str
    author: str = ""


@dataclass(frozen=True)
class Question:
    """An open question, who asked it and who owns the answer (None: nobody yet)."""

    text: str
    asked_by: str = ""
    owner: str | None = None


@dataclass(frozen=True)
class Summary:
    """What a thread amounts to."""

    requirements: tuple[Note, ...]
    decisions: tuple[Note, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Classified:
    """A requirement, its kind (functional | non-functional), category and the reason."""

    text: str
    kind: str
    category: str
    reason: str


def thread_lines(body: str) -> list[str]:
    """The meaningful lines of a post: no hidden comments, quotes, code, headings or list markers."""
    lines, in_code = [], False
    for line in clean_text(body).split("\n"):
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
        elif line.strip() and not in_code and not line.lstrip().startswith((">", "#", "|")):
            lines.append(strip_marker(line).strip())
    return lines


def requirement_lines(text: str) -> list[str]:
    """Requirement statements in a text: list items and sentences with must/shall/should/…"""
    found = []
    for raw, line in ((raw, strip_marker(raw)) for raw in clean_text(text).split("\n")):
        if line and (BULLET.match(raw) or REQUIREMENT.search(line)) and not QUESTION.search(line):
            found.append(line.strip())
    return list(dict.fromkeys(found))


def summarize_outline(thread: Sequence[Post]) -> Summary:
    """Requirements, decisions and open questions picked out of a thread by cue words."""
    requirements, decisions, questions = [], [], []
    for post in thread:
        for line in thread_lines(post.body):
            if QUESTION.search(line):
                owner = next((m for m in MENTION.findall(line) if m != post.author), None)
                questions.append(Question(line, post.author, owner))
            elif DECISION.search(line):
                decisions.append(Note(line, post.author))
            elif REQUIREMENT.search(line) or _is_item(post.body, line):
                requirements.append(Note(line, post.author))
    return Summary(_unique(requirements), _unique(decisions), tuple(dict.fromkeys(questions)))


def _is_item(body: str, line: str) -> bool:
    return any(BULLET.match(raw) and strip_marker(raw).strip() == line for raw in body.split("\n"))


def _unique(notes: list[Note]) -> tuple[Note, ...]:
    seen: set[str] = set()
    return tuple(n for n in notes if not (n.text.lower() in seen or seen.add(n.text.lower())))


def classify_outline(requirements: Sequence[str]) -> list[Classified]:
    """Each requirement as functional or non-functional (by NFR vocabulary and numbers), with a reason."""
    return [_classify(text) for text in requirements]


def _classify(text: str) -> Classified:
    for category, pattern in NFR_VOCABULARY:
        match = pattern.search(text)
        if match:
            number = re.search(r"\d+(?:\.\d+)?\s*\S*", text)
            target = f" and a measurable target ('{number[0].strip()}')" if number else " (no number yet: add a target)"
            return Classified(text, "non-functional", category,
                              f"states a {category} quality ('{match[0]}'){target}")
    return Classified(text, "functional", "behaviour", "describes what the system does for its users")


def render_summary(summary: Summary, *, model_free: bool = False) -> str:
    """The /summarize comment."""
    parts = ["## Thread summary"]
    if model_free:
        parts.append("_Picked out by cue words (must/should, decided/agreed, questions), without a model._")
    parts.append("### Requirements\n\n" + _notes(summary.requirements, "_none found_"))
    parts.append("### Decisions reached\n\n" + _notes(summary.decisions, "_none yet_"))
    questions = [f"- [ ] {q.text} — owner: {('@' + q.owner) if q.owner else 'unassigned'}"
                 + (f" (asked by @{q.asked_by})" if q.asked_by else "") for q in summary.questions]
    parts.append("### Open questions\n\n" + ("\n".join(questions) or "_none_"))
    return "\n\n".join(parts) + "\n"


def _notes(notes: Sequence[Note], empty: str) -> str:
    return "\n".join(f"- {n.text}" + (f" (@{n.author})" if n.author else "") for n in notes) or empty


def render_classification(items: Sequence[Classified], *, model_free: bool = False) -> str:
    """The /classify comment: a table of requirement, kind, category and reason."""
    lines = ["## Requirements by kind", ""]
    if model_free:
        lines += ["_Classified by NFR vocabulary and numbers, without a model._", ""]
    if not items:
        return "\n".join(lines + ["_No requirements found: list them as bullets or `must`/`should` sentences._"]) + "\n"
    lines += ["| Requirement | Kind | Category | Reason |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(i.text)} | {i.kind} | {i.category} | {_cell(i.reason)} |" for i in items]
    counts = sum(i.kind == "functional" for i in items)
    return "\n".join(lines + ["", f"{counts} functional, {len(items) - counts} non-functional."]) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")

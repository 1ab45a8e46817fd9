"""Pieces of the model-free planner: titles from bullets, risks, milestones, and plan data from an outline."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.plan.core import phrases
from bot.plan.core.mentions import Candidate, dependencies_in
from bot.plan.core.model import Risk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.plan.core.outline import Outline

TITLE_SPLIT = re.compile(r"\s*(?::\s|\s[-–—]\s)\s*")
RESOURCE = re.compile(r"\b(team|people|staff|developers?|engineers?|capacity|hiring|hire|vacation|leave|budget|headcount|skills?|"
                      r"availability of)\b", re.I)
INTEGRATION = re.compile(r"\b(integrat\w*|api|apis|third[- ]party|vendor|partner|external|upstream|provider)\b", re.I)
MITIGATION = re.compile(r"\s*(?:[-–—]|;|\()?\s*mitigat(?:ion|e|ed by)\s*:?\s*", re.I)
TARGET = re.compile(r"\b(?:week|sprint|iteration|month)\s*\d+\b|\b\d{4}-\d{2}-\d{2}\b|\bQ[1-4](?:\s*\d{4})?\b", re.I)
MAX_TITLE_WORDS = 8


def split_title(text: str) -> tuple[str, str]:
    """`Title: explanation` → (title, explanation); a long line without one → (its first words, line)."""
    parts = TITLE_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and parts[0] and len(parts[0].split()) <= MAX_TITLE_WORDS:
        return parts[0].strip(), parts[1].strip()
    head = text.split()
    if len(head) <= MAX_TITLE_WORDS:
        return text, ""
    return " ".join(head[:MAX_TITLE_WORDS]).rstrip(",;:"), text


def risk_from(text: str) -> Risk:
    """A risk from a bullet: category by its words, mitigation after `mitigation:`."""
    description, *rest = MITIGATION.split(text, maxsplit=1)
    mitigation = rest[0] if rest else ""
    category = "resource" if RESOURCE.search(text) else "integration" if INTEGRATION.search(text) else "technical"
    return Risk(description.strip().rstrip(";,-–—(").strip() or text, category, mitigation.strip().rstrip(")"))


def milestone_from(text: str) -> dict[str, Any]:
    """A milestone from a bullet: the line as its name, `week 4` / `2025-03-01` / `Q3` as its target."""
    target = TARGET.search(text)
    return {"name": text, "target": target[0] if target else "", "items": []}


def assemble(out: Outline, epic_title: str) -> tuple[dict[str, Any], list[str]]:
    """Plan data (for `validate_plan`) and the author hints, from a finished outline."""
    candidates = candidates_of(out)
    vision = out.vision[0] if out.vision else epic_title
    data = {
        "pi_vision": vision,
        "features": [_feature(d, vision) for d in out.features],
        "enablers": [_enabler(d) for d in out.enablers],
        "nfrs": out.nfrs,
        "dependencies": [{"source_id": s, "target_id": t, "reason": f"the epic says: \"{_short(line, 160)}\""}
                         for s, t, line in out.pairs],
        "risks": [vars(r).copy() for r in out.risks],
        "milestones": [{**m, "items": _named(m["name"], candidates)} for m in out.milestones],
    }
    return data, out.hints + _coverage_hints(out, data, bool(out.vision))


def candidates_of(out: Outline) -> list[Candidate]:
    """The outline's items as candidates for dependency phrases."""
    return [Candidate(d.item_id, frozenset(phrases.significant(d.source))) for d in out.features + out.enablers]


def dependency_pairs(out: Outline, candidates: list[Candidate]) -> list[tuple[str, str, str]]:
    """(source, target, the line that says so) from the items' own lines and the dependencies section."""
    found: list[tuple[str, str, str]] = []
    for draft in out.features + out.enablers:
        for line in draft.lines:
            found += [(s, t, line) for s, t in dependencies_in(line, draft.item_id, candidates)]
    for line in out.dependency_lines:
        found += [(s, t, line) for s, t in dependencies_in(line, None, candidates)]
    seen: set[tuple[str, str]] = set()
    unique = []
    for source, target, line in found:
        if (source, target) not in seen:
            seen.add((source, target))
            unique.append((source, target, line))
    return unique


def _feature(draft: Any, vision: str) -> dict[str, Any]:
    return {
        "feature_id": draft.item_id,
        "title": draft.title,
        "benefit_hypothesis": draft.about or f"Moves the epic towards its vision: {_short(vision, 160)}",
        "acceptance_criteria": draft.criteria,
        "priority": draft.priority or "medium",
        "estimate_hours": draft.estimate,
    }


def _enabler(draft: Any) -> dict[str, Any]:
    purpose = draft.about or f"Runway that the features need first: {draft.source}"
    return {"enabler_id": draft.item_id, "title": draft.title, "architectural_purpose": purpose,
            "estimate_hours": draft.estimate}


def _named(text: str, candidates: list[Candidate]) -> list[str]:
    found = set(phrases.significant(text))
    return [c.item_id for c in candidates if c.words and c.words <= found]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _coverage_hints(out: Outline, data: dict[str, Any], has_vision: bool) -> list[str]:
    checks = [
        (has_vision, "No vision: add a paragraph before the first heading saying what the epic achieves, for whom."),
        (len(out.features) <= 4, f"{len(out.features)} features: a PI epic usually splits into 2–4; consider "
                                 "merging some."),
        (bool(out.enablers), "No technical section: add `## Technical` listing the infrastructure the features "
                             "need first (each bullet becomes an enabler)."),
        (bool(out.nfrs["performance"]), "No performance target with a number: add e.g. `p99 < 300 ms at 200 QPS`."),
        (bool(out.nfrs["security"]), "No security requirement with a number: add e.g. `TLS 1.3 only`, "
                                     "`sessions expire after 30 min`."),
        (bool(data["dependencies"]) or len(data["features"]) + len(data["enablers"]) < 2,
         "No dependencies found: write `depends on <item>` where one item needs another first."),
        (any(d.estimate for d in out.features + out.enablers), "No estimates: add `(16h)` or `(3d)` to headings "
                                                               "for an hour-weighted critical path."),
    ]
    return [hint for ok, hint in checks if not ok]

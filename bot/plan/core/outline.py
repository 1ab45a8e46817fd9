"""`outline_plan(title, body, comments)`: a valid plan from the epic's own structure, without a model.

Features come from sections (## headings, or the bullets of a "Features"/"Scope" section),
acceptance criteria from their bullets or checkboxes, enablers from a technical / infrastructure /
architecture section, NFRs from lines that carry numbers, dependencies from "depends on / after /
requires X" phrases (see `mentions`). The hints say what the author could add to improve the plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.plan.core import phrases
from bot.plan.core.markdown import Bullet, Section, parse_sections, strip_marker
from bot.plan.core.mentions import find_mentions
from bot.plan.core.model import Plan, Risk
from bot.plan.core.outline_parts import assemble, candidates_of, dependency_pairs, milestone_from, risk_from, split_title
from bot.plan.core.validation import validate_plan

META_LINE = re.compile(r"^\s*(?:estimate[ds]?|effort|size|priority)\s*[:=]", re.I)
BENEFIT_LINE = re.compile(r"^\s*(?:so that|benefit|value|why|in order to)\b\s*:?\s*(.+)", re.I)
EPIC_PREFIX = re.compile(r"^\s*(?:\[?epic\]?\s*[:\-–—]?\s*)", re.I)


@dataclass
class Draft:
    """A feature or enabler being assembled from the epic's text."""

    kind: str  # "feature" | "enabler"
    source: str
    title: str
    criteria: list[str] = field(default_factory=list)
    about: str = ""
    lines: list[str] = field(default_factory=list)
    priority: str | None = None
    estimate: float | None = None
    item_id: str = ""


@dataclass
class Outline:
    """Everything gathered from the epic before it becomes plan data."""

    features: list[Draft] = field(default_factory=list)
    enablers: list[Draft] = field(default_factory=list)
    nfrs: dict[str, list[str]] = field(default_factory=lambda: {"performance": [], "security": []})
    vision: list[str] = field(default_factory=list)
    epic_criteria: list[str] = field(default_factory=list)
    dependency_lines: list[str] = field(default_factory=list)
    free_lines: list[str] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    milestones: list[dict] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, the line saying so)


def outline_plan(title: str, body: str, comments: Sequence[str] = ()) -> tuple[Plan, list[str]]:
    """A valid plan built from the epic's headings, lists and checklists, and hints for the author."""
    epic_title = EPIC_PREFIX.sub("", title).strip() or "the epic"
    root = _unwrap(parse_sections(body))
    out = Outline()
    out.free_lines += root.text_lines() if not root.children else [strip_marker(x) for x in root.lines if x.strip()]
    for text in comments:
        extra = parse_sections(text)
        root.children += extra.children
        out.free_lines += [strip_marker(x) for x in extra.lines if x.strip()]
    for section in root.children:
        _take(out, section, phrases.section_kind(section.heading), None)
    out.vision += root.paragraphs()[:1]
    if not out.features:
        out.features.append(_title_feature(out, epic_title, root))
    _assign_epic_criteria(out)
    _finish_items(out, epic_title)
    _scan_nfrs(out)
    return _build(out, epic_title)


def _unwrap(root: Section) -> Section:
    """Step into a lone top heading that holds the whole epic (`# Epic title` then `## Sections`)."""
    only = root.children[0] if len(root.children) == 1 else None
    if only is not None and only.children and not any(line.strip() for line in root.lines):
        return Section(lines=only.lines, children=only.children)
    return root


def _take(out: Outline, section: Section, kind: str, default_priority: str | None) -> None:
    """Route one section by its kind."""
    if kind == "feature":
        _feature_section(out, section, default_priority)
    elif kind == "container":
        _container(out, section, phrases.priority(section.heading) or default_priority)
    elif kind == "tech":
        _tech(out, section)
    elif kind == "nfr":
        _nfr_section(out, section)
    elif kind in ("risk", "milestone"):
        builder = risk_from if kind == "risk" else milestone_from
        target = out.risks if kind == "risk" else out.milestones
        target += [builder(b.text) for s in section.walk() for b in s.bullets()]
    elif kind == "deps":
        out.dependency_lines += section.text_lines()
    elif kind == "vision":
        out.vision += [p for s in section.walk() for p in s.paragraphs()] or section.text_lines()[:1]
    elif kind == "acceptance":
        out.epic_criteria += [b.text for s in section.walk() for b in s.bullets()]


def _container(out: Outline, section: Section, default_priority: str | None) -> None:
    """A "Features" / "Scope" section: its sub-sections and its top-level bullets are features."""
    for child in section.children:
        _take(out, child, phrases.section_kind(child.heading), default_priority)
    bullets = section.bullets()
    for index, bullet in enumerate(bullets):
        if bullet.depth == 0:
            nested = [b.text for b in _nested(bullets, index)]
            out.features.append(_bullet_item("feature", bullet, nested, default_priority))


def _nested(bullets: list[Bullet], index: int) -> list[Bullet]:
    """The bullets nested under bullets[index]."""
    nested = []
    for bullet in bullets[index + 1:]:
        if bullet.depth == 0:
            break
        nested.append(bullet)
    return nested


def _bullet_item(kind: str, bullet: Bullet, nested: list[str], default_priority: str | None) -> Draft:
    """A feature or enabler from one bullet: `Title: explanation`, nested bullets as criteria."""
    head, rest = split_title(phrases.clean_title(bullet.text))
    rest = phrases.clean_title(rest)
    draft = Draft(kind, head, head, lines=[bullet.text, *nested],
                  priority=phrases.priority(bullet.text) or default_priority,
                  estimate=phrases.estimate_hours(bullet.text))
    draft.criteria = [c for c in nested if not _is_meta(c)] or ([bullet.text] if kind == "feature" else [])
    draft.about = rest or (" ".join(nested) if kind == "enabler" else "")
    return draft


def _feature_section(out: Outline, section: Section, default_priority: str | None) -> None:
    """A feature from a section; its sub-sections of other kinds are routed on their own."""
    parts = [section]
    for child in section.children:
        kind = phrases.section_kind(child.heading)
        if kind in ("feature", "acceptance"):
            parts.append(child)
        else:
            _take(out, child, kind, None)
    source = phrases.clean_title(section.heading)
    draft = Draft("feature", source, source,
                  priority=phrases.priority(section.heading) or default_priority,
                  estimate=phrases.estimate_hours(section.heading))
    _read_body(draft, parts)
    out.features.append(draft)


def _read_body(draft: Draft, parts: list[Section]) -> None:
    """Criteria, benefit, meta and dependency lines from a feature's sections."""
    bullets = [b for s in parts for b in s.bullets()]
    marked = [b for b in bullets if _is_acceptance_label(b.label)]
    accepted = marked or [b for b in bullets if _is_plain_label(b.label)]
    for part in parts:
        draft.lines += part.text_lines()
    for line in draft.lines:
        draft.priority = draft.priority or (phrases.priority(line) if _is_meta(line) else None)
        draft.estimate = draft.estimate or (phrases.estimate_hours(line) if _is_meta(line) else None)
    draft.criteria = [b.text for b in accepted if not _is_meta(b.text)]
    prose = [p for s in parts for p in s.paragraphs() if not _is_meta(p)]
    benefit = [m[1] for line in draft.lines if (m := BENEFIT_LINE.match(line))]
    draft.about = (benefit or prose or [""])[0]


def _tech(out: Outline, section: Section) -> None:
    """Enablers from a technical section: one per sub-section and one per top-level bullet."""
    for child in section.children:
        kind = phrases.section_kind(child.heading)
        if kind in ("feature", "tech"):
            source, lines = phrases.clean_title(child.heading), child.text_lines()
            about = phrases.clean_title((child.paragraphs() + [b.text for b in child.bullets()] or [""])[0])
            estimate = next((h for h in map(phrases.estimate_hours, [child.heading, *lines]) if h), None)
            out.enablers.append(Draft("enabler", source, source, about=about, lines=lines, estimate=estimate))
        else:
            _take(out, child, kind, None)
    bullets = section.bullets()
    for index, bullet in enumerate(bullets):
        if bullet.depth == 0 and not _is_dependency(bullet.text):
            out.enablers.append(_bullet_item("enabler", bullet, [b.text for b in _nested(bullets, index)], None))
        elif bullet.depth == 0:
            out.dependency_lines.append(bullet.text)


def _nfr_section(out: Outline, section: Section) -> None:
    """NFR lines: any line with a number; a Security/Performance sub-heading decides the kind."""
    for part in section.walk():
        forced = {"security": "security", "performance": "performance"}
        heading_kind = next((forced[w] for w in phrases.words(part.heading) if w in forced), None)
        for line in (strip_marker(x) for x in part.lines if x.strip()):
            kind = phrases.nfr_kind(line, in_nfr_section=True)
            if kind is None:
                out.hints.append(f"NFR without a number: \"{line}\" — state a measurable target (e.g. p99 < 200 ms).")
            elif line not in out.nfrs[heading_kind or kind]:
                out.nfrs[heading_kind or kind].append(line)


def _scan_nfrs(out: Outline) -> None:
    """Quantified NFR lines stated anywhere else (in features, enablers, intro, comments)."""
    lines = [line for draft in out.features + out.enablers for line in draft.lines] + out.free_lines
    for line in lines:
        kind = phrases.nfr_kind(line)
        if kind and line not in out.nfrs["performance"] + out.nfrs["security"]:
            out.nfrs[kind].append(line)


def _title_feature(out: Outline, epic_title: str, root: Section) -> Draft:
    """With no feature sections: one feature named after the epic, criteria from its checklist."""
    criteria = out.epic_criteria or [b.text for b in root.bullets() if not _is_dependency(b.text)]
    out.epic_criteria = []
    out.hints.append("No feature sections found, so the plan has one feature named after the epic: add a "
                     "`## <feature>` heading per feature (2–4), each with its acceptance criteria as bullets.")
    source = phrases.clean_title(epic_title)
    return Draft("feature", source, source, criteria=criteria, lines=[epic_title])


def _assign_epic_criteria(out: Outline) -> None:
    """Epic-level acceptance criteria go to the feature whose title they name best (else the first)."""
    for criterion in out.epic_criteria:
        found = set(phrases.significant(criterion))
        scores = [len(found & set(phrases.significant(f.source))) for f in out.features]
        out.features[scores.index(max(scores))].criteria.append(criterion)


def _finish_items(out: Outline, epic_title: str) -> None:
    """Titles, ids, fallbacks for missing benefit or criteria, and hints about them."""
    counters: dict[str, int] = {}
    for draft in out.features + out.enablers:
        prefix, verb = ("FEAT", "Deliver") if draft.kind == "feature" else ("ENAB", "Establish")
        draft.title = phrases.verb_object(draft.title or epic_title, verb)
        part = phrases.id_part(draft.source, "CORE" if draft.kind == "feature" else "PLATFORM")
        counters[f"{prefix}_{part}"] = counters.get(f"{prefix}_{part}", 0) + 1
        draft.item_id = f"{prefix}_{part}_{counters[prefix + '_' + part]:03d}"
    out.pairs = dependency_pairs(out, candidates_of(out))
    stated = {line for _, _, line in out.pairs if any(m.leading for m in find_mentions(line))}
    for draft in out.features:
        draft.criteria = [c for c in draft.criteria if c not in stated]
        _fill_feature(out, draft)


def _fill_feature(out: Outline, draft: Draft) -> None:
    if not draft.criteria:
        draft.criteria = [f"{draft.title} works end to end as the epic describes"]
        out.hints.append(f"`{draft.item_id}` ({draft.source}): no acceptance criteria found — "
                         "add bullets or checkboxes under its heading.")
    if not draft.about:
        out.hints.append(f"`{draft.item_id}` ({draft.source}): no benefit stated — add a sentence under its "
                         "heading saying who gains what (\"so that …\").")


def _is_meta(text: str) -> bool:
    return bool(META_LINE.match(text))


def _is_dependency(text: str) -> bool:
    return any(m.leading and m.strong for m in find_mentions(text))


def _is_acceptance_label(label: str) -> bool:
    return phrases.section_kind(label) == "acceptance" or label in ("ac", "acs", "done when")


def _is_plain_label(label: str) -> bool:
    return not label or (phrases.section_kind(label) in ("feature", "container")
                         and bool(set(phrases.words(label)) - phrases.FILLER))


def _build(out: Outline, epic_title: str) -> tuple[Plan, list[str]]:
    """Plan data from the outline, validated; dependency cycles are broken and reported as hints."""
    data, hints = assemble(out, epic_title)
    plan, errors = validate_plan(data)
    while plan is None and errors and errors[0].startswith("dependencies: cycle: "):
        data, hint = _break_cycle(data, errors[0])
        hints.append(hint)
        plan, errors = validate_plan(data)
    if plan is None:
        raise ValueError(f"outline planner produced an invalid plan: {errors}")
    return plan, hints


def _break_cycle(data: dict, error: str) -> tuple[dict, str]:
    ids = error.removeprefix("dependencies: cycle: ").split(" -> ")
    last = (ids[-2], ids[-1])
    data["dependencies"] = [d for d in data["dependencies"] if (d["source_id"], d["target_id"]) != last]
    return data, (f"The epic's dependencies form a cycle ({' -> '.join(ids)}); `{last[0]}` depends on `{last[1]}` "
                  "was left out — say which must come first.")

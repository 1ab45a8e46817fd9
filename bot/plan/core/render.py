"""`render_blueprint(plan, ...)`: the plan as the Markdown comment posted on the epic."""

from __future__ import annotations

from collections.abc import Sequence

from bot.plan.core.graph import critical_path, execution_order
from bot.plan.core.model import Enabler, Feature, Plan

HOW_TO = ("Reply `/plan <feedback>` to revise this plan, or `/plan approve` to create the tickets "
          "(stories in execution order, labelled and linked).")
MODEL_FREE = ("Built without a model, from the epic's own structure: features from its sections, "
              "acceptance criteria from their bullets and checkboxes, enablers from its technical section, "
              "NFRs from lines that state a quantity with a unit, dependencies only where the text states an order "
              "(\"depends on\", \"after\", \"blocked by\", a list it calls an order, in any language).")


def render_blueprint(plan: Plan, *, version: int, model_free: bool = False, changes: Sequence[str] | None = None,
                     hints: Sequence[str] = (), status: str = "draft") -> str:
    """The blueprint: every section of SPEC §2, plus what changed and how to improve a model-free plan."""
    parts = [f"## PI plan v{version} ({status})", f"_{HOW_TO}_"]
    if model_free:
        parts.append(f"> {MODEL_FREE}")
    if changes:
        parts.append(_section("What changed", _bullets(changes)))
    if model_free and hints:
        parts.append(_section("What to add to improve this plan", _bullets(hints)))
    parts += [
        _section("Vision", plan.pi_vision),
        *_perspectives(plan),
        _section("Features", "\n\n".join(_feature(plan, f) for f in plan.features)),
        _section("Enablers", _enabler_table(plan)),
        _section("Non-functional requirements", _nfrs(plan)),
        _section("Dependencies", _dependency_table(plan)),
        _section("Execution order", _order(plan)),
        _section("Critical path", _critical(plan)),
        *_rte(plan),
        _section("Quality gate", _quality_gate(plan)),
    ]
    return "\n\n".join(parts) + "\n"


def cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "—"


def hours(value: float | None) -> str:
    """`12 h`, `2.5 h`, or `—` when unknown."""
    return "—" if value is None else f"{value:g} h"


def _section(title: str, body: str) -> str:
    return f"### {title}\n\n{body}"


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _perspectives(plan: Plan) -> list[str]:
    p = plan.perspectives
    if p is None or not (p.pm or p.architect or p.rte):
        return []
    rows = [(name, text) for name, text in (("PM", p.pm), ("Architect", p.architect), ("RTE", p.rte)) if text]
    return [_section("Perspectives", "\n\n".join(f"**{name}.** {text}" for name, text in rows))]


def _feature(plan: Plan, feature: Feature) -> str:
    facts = [f"priority {feature.priority}", f"domain `{feature.area}`"]
    if feature.estimate_hours is not None:
        facts.append(f"estimate {hours(feature.estimate_hours)}")
    needs = [d.first for d in plan.dependencies if d.then == feature.feature_id]
    if needs:
        facts.append("depends on " + ", ".join(f"`{n}`" for n in needs))
    criteria = "\n".join(f"- [ ] {c}" for c in feature.acceptance_criteria)
    return (f"#### `{feature.feature_id}` {feature.title}\n{' · '.join(facts)}\n\n"
            f"**Benefit hypothesis:** {feature.benefit_hypothesis}\n\n**Acceptance criteria**\n{criteria}")


def _enabler_table(plan: Plan) -> str:
    if not plan.enablers:
        return "_No enablers: no architectural runway was identified._"
    rows = [f"| `{e.enabler_id}` | {cell(e.title)} | {cell(e.architectural_purpose)} | {hours(e.estimate_hours)} |"
            for e in plan.enablers]
    return "\n".join(["| Enabler | Title | Architectural purpose | Estimate |", "| --- | --- | --- | --- |", *rows])


def _nfrs(plan: Plan) -> str:
    blocks = []
    for name, lines in (("Performance", plan.nfrs.performance), ("Security", plan.nfrs.security)):
        body = _bullets(lines) if lines else "- _none stated: add a measurable target_"
        blocks.append(f"**{name}**\n{body}")
    return "\n\n".join(blocks)


def _dependency_table(plan: Plan) -> str:
    if not plan.dependencies:
        return "_No dependencies: every item can start independently._"
    rows = [f"| `{d.first}` | `{d.then}` | {cell(d.reason)} |" for d in plan.dependencies]
    return "\n".join(["| Done first (source) | Then (target, needs it) | Reason |", "| --- | --- | --- |", *rows])


def _order(plan: Plan) -> str:
    lines = []
    for step, item_id in enumerate(execution_order(plan), start=1):
        item = plan.item(item_id)
        kind = "enabler" if isinstance(item, Enabler) else "feature"
        lines.append(f"{step}. `{item_id}` {item.title} ({kind})")
    return "\n".join(lines)


def _critical(plan: Plan) -> str:
    path = critical_path(plan)
    chain = " → ".join(f"`{i}`" for i in path.ids)
    if path.basis == "items":
        return f"{chain} ({len(path.ids)} item{'s' * (len(path.ids) != 1)}; no estimates given, so counted by items)"
    note = f"; {', '.join(path.assumed)} without estimate counted as the average" if path.assumed else ""
    return f"{chain} ({hours(round(path.length, 1))}{note})"


def _rte(plan: Plan) -> list[str]:
    parts = []
    if plan.risks:
        parts.append(_section("Risks", _bullets([
            f"**{r.category}**: {r.description}" + (f" — mitigation: {r.mitigation}" if r.mitigation else "")
            for r in plan.risks])))
    if plan.milestones:
        parts.append(_section("Milestones", _bullets([
            f"**{m.name}**" + (f" ({m.target})" if m.target else "") + (": " + ", ".join(f"`{i}`" for i in m.items)
                                                                          if m.items else "")
            for m in plan.milestones])))
    return parts


def _quality_gate(plan: Plan) -> str:
    lines = [f"- [ ] `{f.feature_id}`: {c}" for f in plan.features for c in f.acceptance_criteria]
    perf = "; ".join(plan.nfrs.performance) or "no target stated yet: agree one and measure it"
    sec = "; ".join(plan.nfrs.security) or "no requirement stated yet: review authentication, transport and data"
    lines.append(f"- [ ] Performance check: {perf}")
    lines.append(f"- [ ] Security check: {sec}")
    return "\n".join(lines)

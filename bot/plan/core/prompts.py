"""Messages for the model and parsers for its JSON replies (pure: the model client lives in bot/llm).

Every builder returns OpenAI-style chat messages (`[{"role": ..., "content": ...}]`). The skill's
Markdown is the system message; the schema the reply must follow is appended to it. Epic and
thread text has its hidden HTML comments and zero-width characters stripped before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.llm.reply import find_json
from bot.plan.core.markdown import clean_text
from bot.plan.core.model import Plan
from bot.plan.core.stories import Story
from bot.plan.core.story_check import validate_stories
from bot.plan.core.validation import validate_plan

Message = dict[str, str]

PLAN_SHAPE = """{
  "pi_vision": "one or two sentences: what the epic achieves and for whom",
  "perspectives": {"pm": "…", "architect": "…", "rte": "…"},
  "features": [{"feature_id": "FEAT_<DOMAIN>_<NNN>", "title": "Verb object", "benefit_hypothesis": "…",
                "acceptance_criteria": ["testable statement", "…"], "domain": "area (optional)",
                "priority": "high|medium|low", "estimate_hours": 40}],
  "enablers": [{"enabler_id": "ENAB_<TECH>_<NNN>", "title": "Verb object", "architectural_purpose": "…",
                "estimate_hours": 16}],
  "nfrs": {"performance": "p99 < 300 ms at 200 QPS", "security": "TLS 1.3 only"},
  "dependencies": [{"source_id": "ENAB_…", "target_id": "FEAT_…", "reason": "why the target needs the source first"}],
  "risks": [{"description": "…", "category": "technical|resource|integration|other", "mitigation": "…"}],
  "milestones": [{"name": "…", "target": "week 4", "items": ["ENAB_…"]}]
}
Rules: at least one feature; ids unique; a dependency means the SOURCE IS DONE FIRST and the TARGET needs
it (an enabler is usually a source) and names known ids with a reason; each NFR (one string or a list) carries
a number; no dependency cycle; features/enablers may add "status": "open|done|postponed" for work the epic
marks done or postponed, "issue": N for an existing issue #N, "group": the epic's heading; no other keys."""

STORY_SHAPE = """{"stories": [{"key": "<parent_id>/S<n>", "parent_id": "FEAT_… or ENAB_…", "kind": "story|enabler|spike",
  "title": "Verb object", "context": "…", "acceptance_criteria": ["…"], "nfrs": ["…"], "approach": "…",
  "estimate_hours": 8, "labels": ["domain/<area>", "priority/high|medium|low"], "depends_on": ["<key>"]}]}
Rules: 1–3 stories per feature (kind story or spike), 1–2 per enabler (kind enabler or spike); every plan
item gets at least one; keys are stable <parent_id>/S1, /S2 …; depends_on names keys of this reply."""

def system_message(skill_text: str, shape: str) -> Message:
    """The skill as the system message, with the JSON shape the reply must follow."""
    return {"role": "system", "content": f"{skill_text.strip()}\n\n## Reply format\n\nReply with ONE JSON object "
                                         f"and nothing else, shaped like this:\n\n{shape}"}


def draft_messages(skill_text: str, epic_text: str, extra_instructions: str = "") -> list[Message]:
    """Ask for a first plan of the epic."""
    user = f"# Epic\n\n{clean_text(epic_text).strip()}"
    if extra_instructions.strip():
        user += f"\n\n# Extra instructions from the requester\n\n{clean_text(extra_instructions).strip()}"
    return [system_message(skill_text, PLAN_SHAPE), {"role": "user", "content": user}]


def revise_messages(skill_text: str, current_plan_json: str, feedback: str, epic_text: str = "") -> list[Message]:
    """Ask for a revision: the current plan is the input, the feedback says what to change."""
    user = ("# Current plan (revise this; keep ids of items that stay)\n\n```json\n"
            f"{current_plan_json.strip()}\n```\n\n# Feedback\n\n{clean_text(feedback).strip()}")
    if epic_text.strip():
        user += f"\n\n# Epic (for reference)\n\n{clean_text(epic_text).strip()}"
    return [system_message(skill_text, PLAN_SHAPE), {"role": "user", "content": user}]


def repair_messages(previous_reply: str, errors: Sequence[str], *, base: Sequence[Message] = ()) -> list[Message]:
    """`base` plus the invalid reply and a request to fix exactly these errors."""
    listed = "\n".join(f"- {error}" for error in errors)
    return [*base, {"role": "assistant", "content": previous_reply},
            {"role": "user", "content": f"That reply is invalid:\n{listed}\n\nReply again with the whole corrected "
                                        "JSON object and nothing else."}]


def stories_messages(skill_text: str, plan: Plan) -> list[Message]:
    """Ask for the stories of an approved plan."""
    plan_json = json.dumps(plan.to_dict(), indent=2, ensure_ascii=False)
    return [system_message(skill_text, STORY_SHAPE),
            {"role": "user", "content": f"# Approved plan\n\n```json\n{plan_json}\n```\n\nSplit it into stories."}]


def parse_json(text: str) -> tuple[Any, list[str]]:
    """The JSON object in a reply (bare, fenced, or amid prose), or None and why not."""
    value = find_json(text)
    if value is None:
        return None, ["reply: not a JSON object (reply with the JSON object only)"]
    return value, []


def parse_plan_reply(text: str) -> tuple[Plan | None, list[str]]:
    """A validated plan from a model reply."""
    data, errors = parse_json(text)
    return (None, errors) if errors else validate_plan(data)


def parse_stories_reply(text: str, plan: Plan) -> tuple[list[Story] | None, list[str]]:
    """Validated stories from a model reply."""
    data, errors = parse_json(text)
    return (None, errors) if errors else validate_stories(data, plan)

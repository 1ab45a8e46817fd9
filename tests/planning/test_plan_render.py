"""The blueprint (every SPEC §2 section) and the list of changes between versions."""

from __future__ import annotations

import dataclasses

from bot.plan.core.diff import diff_plans
from bot.plan.core.model import Nfrs, Perspectives, Plan
from bot.plan.core.render import MODEL_FREE, cell, hours, render_blueprint
from tests.planning.conftest import make_plan, minimal, plan_data

SECTIONS = ["### Vision", "### Features", "### Enablers", "### Non-functional requirements", "### Dependencies",
            "### Execution order", "### Critical path", "### Quality gate"]


def _section(text: str, title: str) -> str:
    return text.split(f"### {title}\n\n", 1)[1].split("\n### ", 1)[0]


def test_every_section_in_order(plan: Plan) -> None:
    text = render_blueprint(plan, version=3)
    positions = [text.index(title) for title in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("## PI plan v3 (draft)") and "/plan approve" in text
    assert MODEL_FREE not in text and "What changed" not in text


def test_features_criteria_are_checkboxes(plan: Plan) -> None:
    features = _section(render_blueprint(plan, version=1), "Features")
    assert "#### `FEAT_AUTH_001` Sign in with email" in features
    assert "- [ ] Lockout after 5 failed attempts" in features
    assert "priority high · domain `auth` · estimate 24 h" in features
    assert "depends on `FEAT_AUTH_001`, `ENAB_MAIL_001`" in features
    assert "**Benefit hypothesis:** Fewer support calls." in features


def test_tables_order_path_and_gate(plan: Plan) -> None:
    text = render_blueprint(plan, version=1)
    assert "| `ENAB_MAIL_001` | Connect the mail relay | SMTP sending | — |" in _section(text, "Enablers")
    assert "| `FEAT_AUTH_001` | `FEAT_AUTH_002` | reset needs sign-in |" in _section(text, "Dependencies")
    assert _section(text, "Execution order").splitlines()[:2] == [
        "1. `ENAB_DB_001` Set up the user store (enabler)", "2. `ENAB_MAIL_001` Connect the mail relay (enabler)"]
    critical = _section(text, "Critical path")
    assert critical.startswith("`ENAB_DB_001` → `FEAT_AUTH_001` → `FEAT_AUTH_002` (44 h)")
    gate = _section(text, "Quality gate").splitlines()
    assert len(gate) == 9 + 2
    assert gate[-2] == "- [ ] Performance check: p99 < 300 ms at 200 QPS"
    assert gate[-1] == "- [ ] Security check: TLS 1.3 only"
    assert "**integration**: SMTP vendor is slow to onboard — mitigation: start with a sandbox" in text
    assert "- **Sign-in live** (week 4): `FEAT_AUTH_001`" in text


def test_model_free_hints_changes_and_status(plan: Plan) -> None:
    text = render_blueprint(plan, version=2, model_free=True, changes=["added feature"], hints=["add NFRs"],
                            status="approved")
    assert text.startswith("## PI plan v2 (approved)")
    assert MODEL_FREE in text and "- added feature" in text and "- add NFRs" in text
    assert "What to add" not in render_blueprint(plan, version=2, hints=["add NFRs"])


def test_sparse_plan_says_what_is_missing() -> None:
    sparse = minimal("FEAT_A_001")
    text = render_blueprint(sparse, version=1)
    assert "_No enablers" in text and "_No dependencies" in text
    assert "- _none stated: add a measurable target_" in text
    assert "(1 item; no estimates given, so counted by items)" in text
    assert "Performance check: no target stated yet" in text and "### Risks" not in text
    two = minimal("FEAT_A_001", "FEAT_B_001", deps=(("FEAT_A_001", "FEAT_B_001"),), hours={"FEAT_A_001": 4})
    assert "(8 h; FEAT_B_001 without estimate counted as the average)" in render_blueprint(two, version=1)
    assert "(2 items;" in render_blueprint(minimal("FEAT_A_001", "FEAT_B_001", deps=(("FEAT_B_001", "FEAT_A_001"),)),
                                           version=1)


def test_perspectives_section() -> None:
    plan = make_plan()
    assert "### Perspectives" not in render_blueprint(plan, version=1)
    empty = dataclasses.replace(plan, perspectives=Perspectives())
    assert "### Perspectives" not in render_blueprint(empty, version=1)
    written = dataclasses.replace(plan, perspectives=Perspectives(pm="Two features first.", rte="Mail is late."))
    text = render_blueprint(written, version=1)
    assert "**PM.** Two features first.\n\n**RTE.** Mail is late." in text and "**Architect.**" not in text


def test_milestone_without_target_or_items() -> None:
    data = plan_data()
    data["milestones"] = ["Beta"]
    data["risks"] = [{"description": "Staff leave", "category": "resource"}]
    text = render_blueprint(make_plan(data), version=1)
    assert "- **Beta**\n" in text and "- **resource**: Staff leave\n" in text


def test_cell_and_hours() -> None:
    assert cell("a | b\nc") == "a \\| b c" and cell("  ") == "—"
    assert hours(None) == "—" and hours(2.5) == "2.5 h" and hours(12.0) == "12 h"


def test_diff_plans_lists_changes(plan: Plan) -> None:
    data = plan_data()
    data["pi_vision"] = "New vision."
    data["features"][0]["title"] = "Sign in with email or phone"
    data["features"][0]["acceptance_criteria"][1] = "Lockout after 3 failed attempts"
    data["features"][0]["priority"] = "medium"
    data["features"][1]["estimate_hours"] = 12
    data["enablers"][0]["estimate_hours"] = None
    data["features"].pop(2)
    data["features"].append({"feature_id": "FEAT_MOBILE_001", "title": "Ship a mobile client",
                             "benefit_hypothesis": "b", "acceptance_criteria": ["c"]})
    data["dependencies"][2] = {"source_id": "FEAT_AUTH_001", "target_id": "FEAT_MOBILE_001", "reason": "r"}
    data["nfrs"]["performance"] = ["p99 < 200 ms"]
    data["nfrs"]["security"].append("MFA for 100% of admins")
    data["risks"] = []
    data["milestones"].append({"name": "Mobile beta"})
    changes = diff_plans(plan, make_plan(data))
    assert changes == [
        "vision reworded",
        "added feature `FEAT_MOBILE_001` Ship a mobile client",
        "removed feature `FEAT_PROFILE_001` Edit the profile",
        "renamed `FEAT_AUTH_001`: Sign in with email → Sign in with email or phone",
        "`FEAT_AUTH_001` priority: high → medium",
        "added `FEAT_AUTH_001` criterion: Lockout after 3 failed attempts",
        "removed `FEAT_AUTH_001` criterion: Lockout after 5 failed attempts",
        "`FEAT_AUTH_002` estimate: 8 h → 12 h",
        "`ENAB_DB_001` estimate: 12 h → none",
        "added performance NFR: p99 < 200 ms",
        "removed performance NFR: p99 < 300 ms at 200 QPS",
        "added security NFR: MFA for 100% of admins",
        "added dependency `FEAT_MOBILE_001` needs `FEAT_AUTH_001` first",
        "removed dependency `FEAT_AUTH_002` needs `ENAB_MAIL_001` first",
        "removed risk: SMTP vendor is slow to onboard",
        "added milestone: Mobile beta",
    ]


def test_diff_of_equal_plans_is_empty(plan: Plan) -> None:
    assert diff_plans(plan, make_plan()) == []
    assert diff_plans(plan, dataclasses.replace(plan, nfrs=Nfrs())) == [
        "removed performance NFR: p99 < 300 ms at 200 QPS", "removed security NFR: TLS 1.3 only"]

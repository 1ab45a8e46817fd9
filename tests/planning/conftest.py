"""Plan data shared by the planning tests: a small valid plan as JSON-like data and as a Plan."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.plan.core.model import Plan
from bot.plan.core.validation import validate_plan

PLAN_DATA: dict[str, Any] = {
    "pi_vision": "Customers manage their own accounts, cutting support tickets by 30%.",
    "features": [
        {"feature_id": "FEAT_AUTH_001", "title": "Sign in with email", "benefit_hypothesis": "Users reach data fast.",
         "acceptance_criteria": ["User signs in with email and password", "Lockout after 5 failed attempts",
                                 "Session expires after 30 min"],
         "priority": "high", "estimate_hours": 24},
        {"feature_id": "FEAT_AUTH_002", "title": "Reset a password", "benefit_hypothesis": "Fewer support calls.",
         "acceptance_criteria": ["Reset link arrives within 1 minute"], "estimate_hours": 8},
        {"feature_id": "FEAT_PROFILE_001", "title": "Edit the profile", "benefit_hypothesis": "Data stays current.",
         "acceptance_criteria": ["Name can be changed", "Avatar can be uploaded", "Email change is confirmed",
                                 "Changes show at once", "Old avatars are deleted"],
         "domain": "profile", "priority": "low"},
    ],
    "enablers": [
        {"enabler_id": "ENAB_DB_001", "title": "Set up the user store", "architectural_purpose": "Accounts table",
         "estimate_hours": 12},
        {"enabler_id": "ENAB_MAIL_001", "title": "Connect the mail relay", "architectural_purpose": "SMTP sending"},
    ],
    "nfrs": {"performance": ["p99 < 300 ms at 200 QPS"], "security": ["TLS 1.3 only"]},
    "dependencies": [
        {"source_id": "ENAB_DB_001", "target_id": "FEAT_AUTH_001", "reason": "accounts live there"},
        {"source_id": "FEAT_AUTH_001", "target_id": "FEAT_AUTH_002", "reason": "reset needs sign-in"},
        {"source_id": "ENAB_MAIL_001", "target_id": "FEAT_AUTH_002", "reason": "the link is mailed"},
    ],
    "risks": [{"description": "SMTP vendor is slow to onboard", "category": "integration",
               "mitigation": "start with a sandbox"}],
    "milestones": [{"name": "Sign-in live", "target": "week 4", "items": ["FEAT_AUTH_001"]}],
}


def plan_data() -> dict[str, Any]:
    """A fresh deep copy of the sample plan data."""
    return copy.deepcopy(PLAN_DATA)


def make_plan(data: dict[str, Any] | None = None) -> Plan:
    """A validated Plan (fails the test with the errors when invalid)."""
    plan, errors = validate_plan(plan_data() if data is None else data)
    assert plan is not None, errors
    return plan


@pytest.fixture
def plan() -> Plan:
    """The sample plan."""
    return make_plan()


def minimal(*features: str, enablers: tuple[str, ...] = (), deps: tuple[tuple[str, str], ...] = (),
            hours: dict[str, float] | None = None) -> Plan:
    """A plan with just these item ids and dependencies (first, then)."""
    hours = hours or {}
    data = {
        "pi_vision": "v",
        "features": [{"feature_id": f, "title": f"Do {f}", "benefit_hypothesis": "b", "acceptance_criteria": ["c"],
                      "estimate_hours": hours.get(f)} for f in features],
        "enablers": [{"enabler_id": e, "title": f"Build {e}", "architectural_purpose": "p",
                      "estimate_hours": hours.get(e)} for e in enablers],
        "dependencies": [{"source_id": s, "target_id": t, "reason": "r"} for s, t in deps],
    }
    return make_plan(data)

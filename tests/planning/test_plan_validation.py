"""validate_plan: every SPEC §2 rule, each message naming its field path."""

from __future__ import annotations

from typing import Any

import pytest

from bot.plan.core.model import Plan
from bot.plan.core.validation import validate_plan
from tests.planning.conftest import plan_data


def _with(change: Any) -> dict[str, Any]:
    data = plan_data()
    change(data)
    return data


CASES = [
    ("missing criteria", lambda d: d["features"][2].update(acceptance_criteria=[]),
     "features[2].acceptance_criteria: at least one criterion"),
    ("criteria absent", lambda d: d["features"][1].pop("acceptance_criteria"),
     "features[1].acceptance_criteria: at least one criterion"),
    ("blank criterion", lambda d: d["features"][0]["acceptance_criteria"].append("  "),
     "features[0].acceptance_criteria[3]: must be a non-empty string"),
    ("criteria not a list", lambda d: d["features"][0].update(acceptance_criteria="x"),
     "features[0].acceptance_criteria: must be a list"),
    ("no features", lambda d: d.update(features=[]), "features: at least one feature"),
    ("features absent", lambda d: d.pop("features"), "features: at least one feature"),
    ("features not a list", lambda d: d.update(features={"a": 1}), "features: must be a list"),
    ("feature not an object", lambda d: d["features"].append("FEAT_X_001"), "features[3]: must be an object"),
    ("bad feature id", lambda d: d["features"][0].update(feature_id="FEAT-AUTH-1"),
     "features[0].feature_id: must look like FEAT_<DOMAIN>_<NNN>"),
    ("enabler not an object", lambda d: d["enablers"].append(None), "enablers[2]: must be an object"),
    ("risk not an object", lambda d: d["risks"].append(5), "risks[1]: must be an object"),
    ("missing id", lambda d: d["features"][0].pop("feature_id"), "features[0].feature_id: required"),
    ("bad enabler id", lambda d: d["enablers"][1].update(enabler_id="ENAB_mail_1"),
     "enablers[1].enabler_id: must look like ENAB_<TECH>_<NNN>"),
    ("duplicate id", lambda d: d["features"][1].update(feature_id="FEAT_AUTH_001"),
     "features[1].feature_id: duplicate id FEAT_AUTH_001 (also features[0])"),
    ("duplicate across kinds", lambda d: d["enablers"].append(dict(d["enablers"][0])),
     "enablers[2].enabler_id: duplicate id ENAB_DB_001 (also enablers[0])"),
    ("title not verb-object", lambda d: d["features"][0].update(title="Login"),
     "features[0].title: must be verb-object"),
    ("title starts with digit", lambda d: d["enablers"][0].update(title="2 databases"),
     "enablers[0].title: must be verb-object"),
    ("title wrong type", lambda d: d["features"][0].update(title=3), "features[0].title: must be a string, got int"),
    ("missing benefit", lambda d: d["features"][0].pop("benefit_hypothesis"),
     "features[0].benefit_hypothesis: required"),
    ("missing purpose", lambda d: d["enablers"][0].update(architectural_purpose=""),
     "enablers[0].architectural_purpose: required"),
    ("missing vision", lambda d: d.pop("pi_vision"), "pi_vision: required"),
    ("bad priority", lambda d: d["features"][0].update(priority="urgent"),
     "features[0].priority: must be one of medium|high|low, got 'urgent'"),
    ("negative estimate", lambda d: d["features"][0].update(estimate_hours=-1),
     "features[0].estimate_hours: must be a positive number of hours"),
    ("bool estimate", lambda d: d["enablers"][0].update(estimate_hours=True),
     "enablers[0].estimate_hours: must be a positive number of hours"),
    ("unknown feature key", lambda d: d["features"][0].update(owner="x"), "features[0].owner: unknown key"),
    ("unknown top key", lambda d: d.update(epic=1), "epic: unknown key"),
    ("unknown dependency id", lambda d: d["dependencies"][0].update(target_id="ENAB_X_009"),
     "dependencies[0].target_id: unknown id ENAB_X_009"),
    ("unknown source id", lambda d: d["dependencies"][2].update(source_id="FEAT_X_009"),
     "dependencies[2].source_id: unknown id FEAT_X_009"),
    ("no reason", lambda d: d["dependencies"][1].pop("reason"), "dependencies[1].reason: required"),
    ("self dependency", lambda d: d["dependencies"][0].update(source_id="FEAT_AUTH_001"),
     "dependencies[0]: FEAT_AUTH_001 cannot depend on itself"),
    ("duplicate dependency", lambda d: d["dependencies"].append(dict(d["dependencies"][1])),
     "dependencies[3]: duplicate of dependencies[1]"),
    ("dependency not an object", lambda d: d["dependencies"].append(["a", "b"]),
     "dependencies[3]: must be an object"),
    ("performance without number", lambda d: d["nfrs"]["performance"].append("fast"),
     "nfrs.performance[1]: must carry a number"),
    ("security without number", lambda d: d["nfrs"].update(security=["strong crypto"]),
     "nfrs.security[0]: must carry a number"),
    ("nfrs not an object", lambda d: d.update(nfrs=["p99 1 ms"]), "nfrs: must be an object"),
    ("unknown nfr kind", lambda d: d["nfrs"].update(usability=["WCAG 2.1"]), "nfrs.usability: unknown key"),
    ("bad risk category", lambda d: d["risks"][0].update(category="legal"),
     "risks[0].category: must be one of technical|resource|integration|other"),
    ("risk without text", lambda d: d["risks"].append({"category": "resource"}), "risks[1].description: required"),
    ("milestone unknown item", lambda d: d["milestones"][0]["items"].append("FEAT_NOPE_001"),
     "milestones[0].items[1]: unknown id FEAT_NOPE_001"),
    ("milestone wrong type", lambda d: d["milestones"].append(7), "milestones[1]: must be an object"),
    ("perspectives wrong", lambda d: d.update(perspectives={"pm": 1}), "perspectives.pm: must be a string, got int"),
    ("perspectives list", lambda d: d.update(perspectives=["pm"]), "perspectives: must be an object"),
    ("cycle", lambda d: d["dependencies"].append({"source_id": "FEAT_AUTH_002", "target_id": "ENAB_DB_001",
                                                  "reason": "r"}),
     "dependencies: cycle: FEAT_AUTH_001 -> FEAT_AUTH_002 -> ENAB_DB_001 -> FEAT_AUTH_001"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_its_field(change: Any, message: str) -> None:
    plan, errors = validate_plan(_with(change))
    assert plan is None
    assert any(error.startswith(message) for error in errors), errors


def test_not_an_object() -> None:
    assert validate_plan(["x"]) == (None, ["plan: must be an object"])


def test_valid_plan_and_round_trip() -> None:
    plan, errors = validate_plan(plan_data())
    assert errors == [] and isinstance(plan, Plan)
    assert [f.feature_id for f in plan.features] == ["FEAT_AUTH_001", "FEAT_AUTH_002", "FEAT_PROFILE_001"]
    assert plan.features[1].priority == "medium" and plan.features[2].domain == "profile"
    assert validate_plan(plan.to_dict()) == (plan, [])


def test_optional_parts_may_be_absent_or_simple() -> None:
    data = plan_data()
    for key in ("enablers", "nfrs", "dependencies", "milestones"):
        data.pop(key)
    data["risks"] = ["Only one backend developer"]
    data["milestones"] = ["Beta"]
    data["perspectives"] = {"pm": "two features first"}
    plan, errors = validate_plan(data)
    assert errors == []
    assert plan.risks[0].description == "Only one backend developer" and plan.risks[0].category == "technical"
    assert plan.milestones[0].name == "Beta" and plan.perspectives.architect == ""
    assert validate_plan(plan.to_dict())[0] == plan


def test_every_error_is_reported_at_once() -> None:
    data = plan_data()
    data["features"][0]["acceptance_criteria"] = []
    data["dependencies"][0]["reason"] = ""
    data["nfrs"]["security"] = ["strict"]
    _, errors = validate_plan(data)
    assert len(errors) == 3


def test_item_lookup_and_area(plan: Plan) -> None:
    assert plan.item("ENAB_MAIL_001").title == "Connect the mail relay"
    assert plan.item("FEAT_AUTH_001").area == "auth" and plan.item("FEAT_PROFILE_001").area == "profile"
    assert plan.item("ENAB_DB_001").area == "db"
    with pytest.raises(KeyError):
        plan.item("FEAT_NONE_001")

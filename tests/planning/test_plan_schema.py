"""schemas/pi_plan.schema.json and the validator agree on the plan's shape (the design's contract included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.plan.core.outline import outline_plan
from bot.plan.core.validation import validate_plan
from tests.planning.conftest import plan_data

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "pi_plan.schema.json").read_text(encoding="utf-8"))
CONTRACT = {  # a plan exactly as written for publish_pi_plan: NFRs as strings, the enabler as the source
    "pi_vision": "Vehicles update over the air.",
    "features": [{"feature_id": "FEAT_OTA_001", "title": "Push firmware updates", "benefit_hypothesis": "b",
                  "acceptance_criteria": ["an update reaches 95% of cars in 24 h"]}],
    "enablers": [{"enabler_id": "ENAB_KAFKA_001", "title": "Set up Kafka", "architectural_purpose": "events"}],
    "nfrs": {"performance": "p99 < 200 ms at 500 QPS", "security": "TLS 1.3 only"},
    "dependencies": [{"source_id": "ENAB_KAFKA_001", "target_id": "FEAT_OTA_001", "reason": "updates ride on it"}],
}


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("data", [plan_data(), CONTRACT], ids=["teabot", "contract"])
def test_plans_the_validator_accepts_fit_the_schema(data: dict[str, Any]) -> None:
    plan, errors = validate_plan(data)
    assert errors == []
    jsonschema.validate(data, SCHEMA)
    jsonschema.validate(plan.to_dict(), SCHEMA)


def test_outline_plans_fit_the_schema() -> None:
    plan, _ = outline_plan("E", "- [x] #3 Done already\n- [ ] Build the store\n- [ ] Use it, after #3\n")
    jsonschema.validate(plan.to_dict(), SCHEMA)


@pytest.mark.parametrize("change", [
    lambda d: d.update(features=[]), lambda d: d["nfrs"].update(performance=7), lambda d: d.update(extra=1),
    lambda d: d["dependencies"][0].pop("reason"), lambda d: d["features"][0].update(feature_id="F1"),
])
def test_shapes_the_schema_rejects_the_validator_rejects_too(change: Any) -> None:
    data = json.loads(json.dumps(CONTRACT))
    change(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    assert validate_plan(data)[0] is None

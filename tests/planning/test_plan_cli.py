"""`teabot plan check|render` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.planning.conftest import plan_data


def _write(tmp_path: Path, data: object, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_check_valid(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "check", _write(tmp_path, plan_data())])
    assert result.exit_code == 0
    assert result.output == "plan is valid: 3 features, 2 enablers, 3 dependencies\n"


def test_check_invalid_prints_every_error(tmp_path: Path) -> None:
    data = plan_data()
    data["features"][2]["acceptance_criteria"] = []
    data["nfrs"]["performance"] = ["fast"]
    result = CliRunner().invoke(main, ["plan", "check", _write(tmp_path, data)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "features[2].acceptance_criteria: at least one criterion",
        "nfrs.performance[0]: must carry a number (e.g. 'p99 < 200 ms at 500 QPS'), got 'fast'"]


def test_check_not_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "check", _write(tmp_path, "{nope")])
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_render(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", "render", "--version", "2", "--model-free", _write(tmp_path, plan_data())])
    assert result.exit_code == 0
    assert result.output.startswith("## PI plan v2 (draft)") and "### Critical path" in result.output
    assert "Built without a model" in result.output


def test_render_cycle_prints_the_cycle(tmp_path: Path) -> None:
    data = plan_data()
    data["dependencies"].append({"source_id": "FEAT_AUTH_002", "target_id": "ENAB_DB_001", "reason": "r"})
    result = CliRunner().invoke(main, ["plan", "render", _write(tmp_path, data)])
    assert result.exit_code == 1
    assert "cycle: FEAT_AUTH_001 -> FEAT_AUTH_002 -> ENAB_DB_001 -> FEAT_AUTH_001" in result.output
    assert "## PI plan" not in result.output

"""Execution order, cycles and the critical path."""

from __future__ import annotations

import pytest

from bot.plan.core.graph import CycleError, critical_path, execution_order, find_cycle, prerequisites, ranks
from bot.plan.core.model import Dependency, Plan
from tests.planning.conftest import minimal


def test_order_of_the_sample_plan(plan: Plan) -> None:
    assert execution_order(plan) == ["ENAB_DB_001", "ENAB_MAIL_001", "FEAT_PROFILE_001", "FEAT_AUTH_001",
                                     "FEAT_AUTH_002"]


def test_independent_items_keep_input_order_with_enablers_first() -> None:
    plan = minimal("FEAT_C_001", "FEAT_A_001", "FEAT_B_001", enablers=("ENAB_Z_001", "ENAB_Y_001"))
    assert execution_order(plan) == ["ENAB_Z_001", "ENAB_Y_001", "FEAT_C_001", "FEAT_A_001", "FEAT_B_001"]


def test_a_feature_needed_first_comes_before_an_enabler_of_higher_rank() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", enablers=("ENAB_X_001",),
                   deps=(("FEAT_A_001", "ENAB_X_001"), ("ENAB_X_001", "FEAT_B_001")))
    assert execution_order(plan) == ["FEAT_A_001", "ENAB_X_001", "FEAT_B_001"]
    assert ranks(plan) == {"FEAT_A_001": 0, "ENAB_X_001": 1, "FEAT_B_001": 2}


def test_duplicate_edges_count_once() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", deps=(("FEAT_A_001", "FEAT_B_001"),))
    doubled = Plan(plan.pi_vision, plan.features, dependencies=plan.dependencies * 2)
    assert prerequisites(doubled) == {"FEAT_A_001": [], "FEAT_B_001": ["FEAT_A_001"]}


@pytest.mark.parametrize(("deps", "cycle"), [
    ((("FEAT_A_001", "FEAT_C_001"), ("FEAT_C_001", "FEAT_A_001")), ["FEAT_A_001", "FEAT_C_001", "FEAT_A_001"]),
    ((("FEAT_A_001", "ENAB_B_001"), ("ENAB_B_001", "FEAT_C_001"), ("FEAT_C_001", "ENAB_B_001")),
     ["FEAT_C_001", "ENAB_B_001", "FEAT_C_001"]),
    ((("FEAT_C_001", "FEAT_A_001"),), None),
])
def test_find_cycle_names_it(deps: tuple, cycle: list[str] | None) -> None:
    plan = minimal("FEAT_A_001", "FEAT_C_001", enablers=("ENAB_B_001",))
    looped = Plan(plan.pi_vision, plan.features, plan.enablers,
                  dependencies=tuple(Dependency(s, t, "r") for s, t in deps))
    assert find_cycle(looped) == cycle
    if cycle:
        with pytest.raises(CycleError) as caught:
            execution_order(looped)
        assert caught.value.cycle == cycle and str(caught.value) == "cycle: " + " -> ".join(cycle)


def test_critical_path_by_hours_where_known(plan: Plan) -> None:
    path = critical_path(plan)
    assert path.ids == ("ENAB_DB_001", "FEAT_AUTH_001", "FEAT_AUTH_002")
    assert path.basis == "hours" and path.length == 44 and path.assumed == ()


def test_critical_path_prefers_the_heavier_chain() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", "FEAT_C_001", enablers=("ENAB_X_001",),
                   deps=(("FEAT_A_001", "FEAT_C_001"), ("FEAT_B_001", "FEAT_C_001")),
                   hours={"FEAT_A_001": 2, "FEAT_B_001": 30, "FEAT_C_001": 1, "ENAB_X_001": 20})
    path = critical_path(plan)
    assert path.ids == ("FEAT_B_001", "FEAT_C_001") and path.length == 31


def test_critical_path_counts_items_without_estimates() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", "FEAT_C_001", deps=(("FEAT_B_001", "FEAT_C_001"),))
    path = critical_path(plan)
    assert path.ids == ("FEAT_B_001", "FEAT_C_001") and path.basis == "items" and path.length == 2


def test_critical_path_assumes_average_for_unknown_estimates() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", deps=(("FEAT_A_001", "FEAT_B_001"),), hours={"FEAT_A_001": 10})
    path = critical_path(plan)
    assert path.ids == ("FEAT_A_001", "FEAT_B_001") and path.length == 20 and path.assumed == ("FEAT_B_001",)


def test_ties_go_to_the_earlier_item() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", "FEAT_C_001",
                   deps=(("FEAT_B_001", "FEAT_C_001"), ("FEAT_A_001", "FEAT_C_001")))
    assert critical_path(plan).ids == ("FEAT_A_001", "FEAT_C_001")
    single = minimal("FEAT_A_001", "FEAT_B_001")
    assert critical_path(single).ids == ("FEAT_A_001",)

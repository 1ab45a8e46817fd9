"""The draft-vs-created board: a revised plan against the tickets of the last approval."""

from __future__ import annotations

from bot.plan.core.board import draft_board, render_draft_board
from bot.plan.core.reconcile import ExistingTicket
from bot.plan.core.tickets import item_marker
from bot.plan.core.validation import validate_plan

PID = "acme/widget#1"


def ticket(number: int, key: str, plan_id: str = PID) -> ExistingTicket:
    return ExistingTicket(number, "t", f"body\n{item_marker(plan_id, key)}\n", (), f"http://g/{number}")


def plan():
    data = {"pi_vision": "v", "nfrs": {"performance": [], "security": []},
            "enablers": [{"enabler_id": "ENAB_DB_001", "title": "Create store", "architectural_purpose": "p"}],
            "features": [{"feature_id": "FEAT_A_001", "title": "Add login", "benefit_hypothesis": "b",
                          "acceptance_criteria": ["c"]},
                         {"feature_id": "FEAT_B_001", "title": "Add export", "benefit_hypothesis": "b",
                          "acceptance_criteria": ["c"]},
                         {"feature_id": "FEAT_C_001", "title": "Ship reports", "benefit_hypothesis": "b",
                          "acceptance_criteria": ["c"], "status": "done"},
                         {"feature_id": "FEAT_D_001", "title": "Fix sync", "benefit_hypothesis": "b",
                          "acceptance_criteria": ["c"], "issue": 77}],
            "dependencies": [{"source_id": "ENAB_DB_001", "target_id": "FEAT_A_001", "reason": "r"}]}
    result, errors = validate_plan(data)
    assert result is not None, errors
    return result


def test_items_are_created_draft_linked_or_done_and_dropped_tickets_are_listed() -> None:
    existing = [ticket(10, "ENAB_DB_001/S1"), ticket(11, "ENAB_DB_001/S2"), ticket(12, "FEAT_A_001/S1"),
                ticket(13, "FEAT_OLD_001/S1"), ticket(14, "FEAT_B_001/S1", plan_id="acme/widget#2")]
    board = draft_board(plan(), 3, existing, plan_id=PID)
    states = {r.item_id: (r.state, [n for n, _ in r.tickets]) for r in board.rows}
    assert states == {"ENAB_DB_001": ("created", [10, 11]), "FEAT_A_001": ("created", [12]),
                      "FEAT_B_001": ("draft", []), "FEAT_C_001": ("done", []), "FEAT_D_001": ("linked", [77])}
    order = [r.item_id for r in board.rows]
    assert order.index("ENAB_DB_001") < order.index("FEAT_A_001")  # execution order: the source first
    assert board.dropped == (("FEAT_OLD_001", 13, "http://g/13"),)


def test_the_rendered_board_says_it_is_a_draft() -> None:
    text = render_draft_board(draft_board(plan(), 3, [ticket(12, "FEAT_A_001/S1"), ticket(13, "FEAT_X_001/S1")],
                                          plan_id=PID))
    assert text.startswith("## Plan board\n\n**Plan v3 is a draft.** Items with tickets: 1; draft only: 2; "
                           "tickets that would leave the plan: 1.")
    assert "| 5 | 🔴 `FEAT_A_001` | Add login (feature) | created | [#12](http://g/12) |" in text
    assert "`FEAT_B_001` | Add export (feature) | **draft** (new, not created) | — |" in text
    assert "done (not created)" in text and "existing issue | #77 |" in text
    assert text.endswith("### Dropped by this revision\n\n- [#13](http://g/13) (`FEAT_X_001`): stays open; approval adds a note\n")


def test_without_dropped_tickets_there_is_no_dropped_section() -> None:
    assert "Dropped" not in render_draft_board(draft_board(plan(), 2, [], plan_id=PID))

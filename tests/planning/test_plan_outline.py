"""The model-free planner on small synthetic epics: units of work, status, references, stated order, ids."""

from __future__ import annotations

import pytest

from bot.plan.core.graph import execution_order
from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.stories import split_into_stories


def _plan(body: str, title: str = "Epic: accounts", comments: tuple[str, ...] = ()) -> Plan:
    return outline_plan(title, body, comments)[0]


def _titles(plan: Plan) -> list[str]:
    return [s.title for s in split_into_stories(plan)]


def _order(plan: Plan) -> set[tuple[str, str]]:
    return {(plan.item(d.first).title, plan.item(d.then).title) for d in plan.dependencies}


def test_checklist_items_become_tickets_and_context_does_not() -> None:
    body = ("## Background\n\n- Support tickets pile up\n\n## Goals\n\n- Fewer tickets\n\n## Tasks\n\n"
            "- [ ] Add a sign-up form\n- [x] Design the user table\n- [ ] Send a welcome mail\n\n"
            "## Acceptance criteria\n\n- Users can sign up\n")
    plan = _plan(body)
    assert _titles(plan) == ["Add a sign-up form", "Send a welcome mail"]
    done = [i for i in plan.items() if i.status == "done"]
    assert [i.title for i in done] == ["Design the user table"]


def test_form_questions_and_out_of_scope_lists_are_not_work() -> None:
    body = ("### What do you want and why?\n\n- A faster export\n\n### Scope\n\n- Export as CSV\n- Export as PDF\n\n"
            "### Out of scope\n\n- Excel files\n")
    assert _titles(_plan(body)) == ["Export as CSV", "Export as PDF"]


def test_criteria_are_the_work_only_when_nothing_else_lists_it() -> None:
    assert _titles(_plan("## Acceptance criteria\n\n- [ ] Backend complete\n- [ ] Frontend complete\n")) == [
        "Backend complete", "Frontend complete"]


def test_nested_lists_keep_the_children_grouped_under_the_parent() -> None:
    plan = _plan("- [ ] Define the pages\n  - [ ] Board page test\n  - [ ] Login page test\n- [ ] Release\n")
    assert _titles(plan) == ["Board page test", "Login page test", "Deliver Release"]
    assert {i.group for i in plan.items()} >= {"Define the pages"}


def test_references_are_linked_not_duplicated() -> None:
    plan = _plan("| PR | change |\n|---|---|\n| #12 | Fix the flaky test |\n\n## Order\n\n1. #12\n2. #13\n")
    tickets = split_into_stories(plan)
    assert [(t.issue, t.title) for t in tickets] == [(12, "Fix the flaky test (#12)"), (13, "Track #13")]
    assert tickets[1].depends_on == (tickets[0].key,)


@pytest.mark.parametrize("line", [
    "#2 depends on #1", "#2 is blocked by #1", "#1 blocks #2", "#2 requires #1", "#2 after #1",
    "#2 依赖 #1", "先 #1 再 #2", "#2 nach #1", "#2 après #1", "#2 depois de #1", "#2 после #1",
])
def test_stated_order_points_the_right_way(line: str) -> None:
    plan = _plan(f"- [ ] #1 Build the store\n- [ ] #2 Use the store\n\n{line}\n")
    assert _order(plan) == {("Build the store (#1)", "Use the store (#2)")}


def test_numbered_steps_are_an_order_only_when_the_text_says_so() -> None:
    steps = "1. Write the schema\n2. Migrate the data\n3. Switch reads\n"
    assert _plan(f"## Phases\n\n{steps}").dependencies == ()
    ordered = _plan(f"## Rollout procedure\n\n{steps}")
    assert _order(ordered) == {("Write the schema", "Migrate the data"), ("Migrate the data", "Switch reads")}
    assert [ordered.item(i).title for i in execution_order(ordered)][0] == "Write the schema"


def test_arrows_in_any_order_are_not_dependencies() -> None:
    chained = _plan("## 建议顺序\n\n1. #5 → #6 → #7\n")
    assert len(chained.dependencies) == 2
    free = _plan("## 建议顺序\n\n1. #5 → #6 → #7 —— 顺序随意\n")
    assert free.dependencies == ()


def test_nfrs_need_a_quantity_with_a_unit() -> None:
    plan = _plan("- [ ] Speed up search\n\nSearch answers within 200 ms at p99.\nSee #7570 for the security report.\n")
    assert plan.nfrs.performance == ("Search answers within 200 ms at p99.",) and plan.nfrs.security == ()


def test_any_script_keeps_its_title_and_gets_ascii_stable_ids() -> None:
    body = "## 任务\n\n- [ ] 实现登录功能\n- [ ] 补充单元测试\n- [ ] 编写文档\n"
    plan = _plan(body, "用户管理")
    assert _titles(plan) == ["实现登录功能", "补充单元测试", "编写文档"]
    ids = plan.item_ids()
    assert len(set(ids)) == 3 and all(i.isascii() for i in ids)
    grown = _plan("## 任务\n\n- [ ] 新的第一项\n" + body.split("\n", 2)[2], "用户管理")
    assert set(ids) <= set(grown.item_ids())  # inserting a unit renames none of the others


def test_long_lines_are_summarised_to_a_title() -> None:
    long = "Migrate the billing tables to the new schema — this has to happen " + "and more words " * 30
    (title,) = _titles(_plan(f"- [ ] {long}\n"))
    assert title == "Migrate the billing tables to the new schema"


def test_an_epic_without_units_still_gives_a_plan_and_a_hint() -> None:
    plan, hints = outline_plan("Epic: search", "We should think about search.")
    assert len(plan.features) == 1 and any("No units of work" in h for h in hints)


def test_everything_done_creates_nothing() -> None:
    assert split_into_stories(_plan("- [x] #1\n- [x] Write docs\n")) == []


def test_a_stated_cycle_is_broken_and_named() -> None:
    plan, hints = outline_plan("E", "- [ ] #1 One thing\n- [ ] #2 Other thing\n\n#1 depends on #2\n#2 depends on #1\n")
    assert len(plan.dependencies) == 1

"""Stories from a plan, model-proposed stories, ticket bodies, markers, labels, reconciliation and the board."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.reconcile import ExistingTicket, links_to_add, missing_labels, reconcile
from bot.plan.core.stories import Story, split_into_stories
from bot.plan.core.story_check import validate_stories
from bot.plan.core.tickets import (
    ItemMarker,
    item_marker,
    label_color,
    parse_marker,
    render_board,
    render_ticket_body,
)
from tests.planning.conftest import make_plan, minimal, plan_data


def _by_key(stories: list[Story]) -> dict[str, Story]:
    return {s.key: s for s in stories}


def test_split_counts_kinds_and_order(plan: Plan) -> None:
    stories = split_into_stories(plan)
    assert [s.key for s in stories] == [
        "ENAB_DB_001/S1", "ENAB_MAIL_001/S1", "ENAB_MAIL_001/S2", "FEAT_PROFILE_001/S1", "FEAT_PROFILE_001/S2",
        "FEAT_PROFILE_001/S3", "FEAT_AUTH_001/S1", "FEAT_AUTH_001/S2", "FEAT_AUTH_002/S1"]
    keyed = _by_key(stories)
    assert keyed["ENAB_MAIL_001/S1"].kind == "spike" and keyed["ENAB_MAIL_001/S1"].title == "Investigate the mail relay"
    assert keyed["ENAB_MAIL_001/S2"].depends_on == ("ENAB_MAIL_001/S1",)
    assert [len(keyed[f"FEAT_PROFILE_001/S{i}"].acceptance_criteria) for i in (1, 2, 3)] == [2, 2, 1]
    assert keyed["FEAT_AUTH_001/S1"].acceptance_criteria == ("User signs in with email and password",
                                                             "Lockout after 5 failed attempts")
    assert keyed["FEAT_AUTH_001/S1"].title == "Sign in with email: User signs in with email and password"
    assert keyed["FEAT_AUTH_002/S1"].title == "Reset a password"


def test_estimates_add_up_and_default_by_criteria(plan: Plan) -> None:
    keyed = _by_key(split_into_stories(plan))
    assert keyed["FEAT_AUTH_001/S1"].estimate_hours + keyed["FEAT_AUTH_001/S2"].estimate_hours == 24
    assert [keyed[f"FEAT_PROFILE_001/S{i}"].estimate_hours for i in (1, 2, 3)] == [8, 8, 4]
    assert keyed["ENAB_DB_001/S1"].estimate_hours == 12
    assert (keyed["ENAB_MAIL_001/S1"].estimate_hours, keyed["ENAB_MAIL_001/S2"].estimate_hours) == (4, 8)


def test_large_enablers_split_into_build_and_verify() -> None:
    data = plan_data()
    data["enablers"][0]["estimate_hours"] = 40
    keyed = _by_key(split_into_stories(make_plan(data)))
    build, verify = keyed["ENAB_DB_001/S1"], keyed["ENAB_DB_001/S2"]
    assert (build.title, verify.title) == ("Build the user store", "Verify the user store")
    assert (build.estimate_hours, verify.estimate_hours) == (24, 16)
    assert verify.depends_on == ("ENAB_DB_001/S1",)
    assert "Ready for FEAT_AUTH_001" in verify.acceptance_criteria


def test_links_mirror_the_plan(plan: Plan) -> None:
    keyed = _by_key(split_into_stories(plan))
    # every story of the target waits for each final story of the source (the rule in `stories`)
    assert keyed["FEAT_AUTH_001/S1"].depends_on == ("ENAB_DB_001/S1",)
    assert keyed["FEAT_AUTH_001/S2"].depends_on == ("ENAB_DB_001/S1",)
    assert keyed["FEAT_AUTH_002/S1"].depends_on == ("FEAT_AUTH_001/S1", "FEAT_AUTH_001/S2", "ENAB_MAIL_001/S2")
    assert keyed["ENAB_MAIL_001/S2"].depends_on == ("ENAB_MAIL_001/S1",)  # spike, then build: only S2 is final


def test_labels_body_parts_and_enabler_priority(plan: Plan) -> None:
    keyed = _by_key(split_into_stories(plan))
    assert keyed["FEAT_AUTH_001/S1"].labels == ("type/story", "domain/auth", "priority/high", "status/todo")
    assert keyed["ENAB_DB_001/S1"].labels == ("type/enabler", "domain/db", "priority/high", "status/todo")
    assert keyed["ENAB_MAIL_001/S1"].labels[:3] == ("type/spike", "domain/mail", "priority/medium")
    story = keyed["FEAT_AUTH_002/S1"]
    assert story.nfrs == ("Performance: p99 < 300 ms at 200 QPS", "Security: TLS 1.3 only")
    assert "PI vision: Customers manage" in story.context
    assert story.approach == ("Step 5 of the plan's execution order. Builds on FEAT_AUTH_001 (Sign in with email), "
                              "ENAB_MAIL_001 (Connect the mail relay).")
    assert keyed["ENAB_DB_001/S1"].approach.endswith("Purpose: Accounts table.")
    (outlined,) = split_into_stories(outline_plan("Tags", "Tag photos quickly.\n\n## Tagging\n- Add tags\n")[0])
    assert outlined.title == "Add tags" and outlined.context.startswith("Stated in the epic under “Tagging”: Add tags")
    lone = _by_key(split_into_stories(minimal("FEAT_A_001", enablers=("ENAB_B_001",))))
    assert "Documented so that later features can build on it" in lone["ENAB_B_001/S2"].acceptance_criteria


def test_label_colours_one_per_prefix() -> None:
    assert label_color("type/story") == label_color("type/spike") != label_color("priority/high")
    assert label_color("status/todo").startswith("#") and label_color("other") == "#c5def5"


def test_markers_round_trip_and_reject_odd_ids() -> None:
    marker = item_marker("owner/repo#12", "FEAT_AUTH_001/S2")
    assert marker == "<!-- teabot:item plan=owner/repo#12 item=FEAT_AUTH_001/S2 -->"
    assert parse_marker(f"text\n\n{marker}\n") == ItemMarker("owner/repo#12", "FEAT_AUTH_001/S2")
    assert parse_marker("no marker") is None and parse_marker(None) is None
    for plan_id, key in [("a b", "FEAT_A_001/S1"), ("o/r#1", "feat/S1"), ("o/r-->", "FEAT_A_001/S1")]:
        with pytest.raises(ValueError):
            item_marker(plan_id, key)


def test_ticket_body(plan: Plan) -> None:
    story = _by_key(split_into_stories(plan))["FEAT_AUTH_002/S1"]
    body = render_ticket_body(story, "#12", item_marker("o/r#12", story.key))
    assert body.startswith("> Story of epic #12 · plan item `FEAT_AUTH_002` Reset a password · `FEAT_AUTH_002/S1`")
    for part in ("## Context", "## Acceptance criteria\n\n- [ ] Reset link arrives within 1 minute",
                 "## Non-functional requirements\n\n- Performance: p99", "## Technical approach",
                 "## Depends on\n\n- `FEAT_AUTH_001/S1`\n- `FEAT_AUTH_001/S2`", "## Estimate\n\n8 h"):
        assert part in body
    assert parse_marker(body) == ItemMarker("o/r#12", "FEAT_AUTH_002/S1")
    bare = dataclasses.replace(story, nfrs=(), approach="", depends_on=(), kind="spike")
    text = render_ticket_body(bare, "#12", "")
    assert "_none stated_" in text and "_to be decided by the team_" in text and "## Depends on" not in text
    assert text.startswith("> Spike of epic")


def test_board(plan: Plan) -> None:
    stories = split_into_stories(plan)
    tickets = {s.key: (100 + i, f"http://gitea/o/r/issues/{100 + i}") for i, s in enumerate(stories)}
    del tickets["FEAT_PROFILE_001/S3"]
    board = render_board(plan, tickets, ["created 8 tickets"], stories=stories, problems=["labels: 403 Forbidden"])
    rows = [line for line in board.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(stories)
    assert rows[0] == "| 1 | 🔴 `ENAB_DB_001` | [#100](http://gitea/o/r/issues/100) | Set up the user store | 12 h |"
    assert "_not created_" in rows[5] and "🔴" not in rows[3]
    assert "- **integration**: SMTP vendor is slow to onboard — mitigation: start with a sandbox" in board
    assert "### What changed\n\n- created 8 tickets" in board and "### Could not be done\n\n- labels: 403" in board


def test_board_without_stories_or_risks() -> None:
    plan = minimal("FEAT_A_001", "FEAT_B_001", enablers=("ENAB_X_001",), deps=(("ENAB_X_001", "FEAT_A_001"),),
                   hours={"ENAB_X_001": 3})
    board = render_board(plan, {"ENAB_X_001/S2": (7, "u7"), "ENAB_X_001/S1": (6, "u6")})
    assert "| 1 | 🔴 `ENAB_X_001` | [#6](u6) | Build ENAB_X_001 (enabler) | 3 h |" in board
    assert "| 1 | 🔴 `ENAB_X_001` | [#7](u7) | Build ENAB_X_001 (enabler) |  |" in board
    assert "| 2 | `FEAT_B_001` | _not created_ | Do FEAT_B_001 (feature) | — |" in board
    assert "_No risks recorded._" in board and "What changed" not in board


def _proposal(plan: Plan) -> dict[str, Any]:
    return {"stories": [{k: v for k, v in s.to_dict().items() if k not in ("parent_title",)}
                        for s in split_into_stories(plan)]}


def test_model_stories_valid_round_trip(plan: Plan) -> None:
    stories, errors = validate_stories(_proposal(plan), plan)
    assert errors == [] and stories == split_into_stories(plan)
    assert json.loads(json.dumps(stories[0].to_dict()))["labels"][0] == "type/enabler"


def test_model_stories_label_overrides_and_ordering(plan: Plan) -> None:
    data = _proposal(plan)
    data["stories"].reverse()
    story = next(s for s in data["stories"] if s["key"] == "FEAT_AUTH_002/S1")
    story["labels"] = ["domain/identity", "priority/low", "type/story"]
    story.pop("depends_on")
    stories, errors = validate_stories(data, plan)
    assert errors == []
    assert [s.key for s in stories] == [s.key for s in split_into_stories(plan)]
    linked = _by_key(stories)["FEAT_AUTH_002/S1"]
    assert linked.labels == ("type/story", "domain/identity", "priority/low", "status/todo")
    assert linked.depends_on == ("FEAT_AUTH_001/S1", "FEAT_AUTH_001/S2", "ENAB_MAIL_001/S2")


def _broken(plan: Plan, change: Any) -> list[str]:
    data = _proposal(plan)
    change(data["stories"])
    stories, errors = validate_stories(data, plan)
    assert stories is None
    return errors


STORY_CASES = [
    (lambda s: s[0].update(key="ENAB_DB_001-1"), "stories[0].key: must be <parent_id>/S<n>"),
    (lambda s: s[0].update(key="ENAB_MAIL_001/S3"), "stories[0].key: must be <parent_id>/S<n>"),
    (lambda s: s[0].update(parent_id="ENAB_NOPE_001"), "stories[0].parent_id: unknown plan item ENAB_NOPE_001"),
    (lambda s: s[0].update(kind="story"), "stories[0].kind: story does not fit ENAB_DB_001 (use enabler|spike)"),
    (lambda s: s[3].update(kind="enabler"), "stories[3].kind: enabler does not fit FEAT_PROFILE_001 (use story|spike)"),
    (lambda s: s[3].update(kind="epic"), "stories[3].kind: must be one of story|enabler|spike"),
    (lambda s: s[3].update(title="Profile"), "stories[3].title: must be verb-object"),
    (lambda s: s[3].update(acceptance_criteria=[]), "stories[3].acceptance_criteria: at least one criterion"),
    (lambda s: s[3].pop("estimate_hours"), "stories[3].estimate_hours: required"),
    (lambda s: s[3].update(estimate_hours=0), "stories[3].estimate_hours: must be a positive number of hours"),
    (lambda s: s[3].update(labels=["team/red"]), "stories[3].labels[0]: only domain/<area> and priority/"),
    (lambda s: s[3].update(labels=["priority/urgent"]), "stories[3].labels[0]: only domain/<area>"),
    (lambda s: s[3].update(extra=1), "stories[3].extra: unknown key"),
    (lambda s: s.append(7), "stories[9]: must be an object"),
    (lambda s: s.append(dict(s[0])), "stories: duplicate key ENAB_DB_001/S1"),
    (lambda s: s.pop(0), "stories: ENAB_DB_001 needs 1–2 stories, got 0"),
    (lambda s: s.append({**s[3], "key": "FEAT_PROFILE_001/S4"}), "stories: FEAT_PROFILE_001 needs 1–3 stories, got 4"),
    (lambda s: s[0].update(depends_on=["NOPE/S1"]), "stories: ENAB_DB_001/S1 depends on NOPE/S1"),
    (lambda s: s[0].update(depends_on=["FEAT_AUTH_001/S1"]), "stories: depends_on forms a cycle"),
]


@pytest.mark.parametrize(("change", "message"), STORY_CASES)
def test_model_stories_errors(plan: Plan, change: Any, message: str) -> None:
    errors = _broken(plan, change)
    assert any(e.startswith(message) for e in errors), errors


def test_model_stories_not_an_object(plan: Plan) -> None:
    assert validate_stories([], plan)[1][0] == "reply: must be an object"
    assert validate_stories({"stories": []}, plan)[1][0].startswith("stories: FEAT_AUTH_001 needs 1–3 stories")


def test_reconcile_creates_updates_keeps_and_orphans(plan: Plan) -> None:
    stories = split_into_stories(plan)
    plan_id, epic = "o/r#12", "#12"

    def ticket(number: int, story: Story, **changes: Any) -> ExistingTicket:
        body = render_ticket_body(story, epic, item_marker(plan_id, story.key))
        return dataclasses.replace(ExistingTicket(number, story.title, body, story.labels), **changes)

    existing = [
        ticket(1, stories[0]),
        ticket(2, stories[1], title="Old title"),
        ticket(3, stories[2], labels=("type/enabler",)),
        ticket(4, stories[3], body="edited by hand " + item_marker(plan_id, stories[3].key)),
        ExistingTicket(5, "gone", item_marker(plan_id, "FEAT_OLD_001/S1")),
        ExistingTicket(6, "other plan", item_marker("o/r#99", stories[4].key)),
        ExistingTicket(7, "unmarked", "just an issue"),
        ticket(8, stories[0]),  # a copied marker: the first ticket keeps the key
    ]
    changes = reconcile(stories, existing, plan_id=plan_id, epic_ref=epic)
    assert [t.number for t, _ in changes.unchanged] == [1]
    assert [t.number for t, _ in changes.update] == [2, 3, 4]
    assert [s.key for s in changes.create] == [s.key for s in stories[4:]]
    assert [t.number for t in changes.orphaned] == [5]
    summary = changes.summary()
    assert summary[0] == f"created `{stories[4].key}` {stories[4].title}"
    assert "updated #2 (`ENAB_MAIL_001/S1`)" in summary and summary[-1].startswith("#5 is no longer in the plan")
    again = reconcile(stories, [ticket(10 + i, s) for i, s in enumerate(stories)], plan_id=plan_id, epic_ref=epic)
    assert again.create == () and again.update == () and len(again.unchanged) == len(stories)


def test_missing_labels_and_links(plan: Plan) -> None:
    stories = split_into_stories(plan)
    needed = [label for s in stories for label in s.labels]
    missing = missing_labels(needed, ["status/todo", "type/story"])
    assert ("type/enabler", label_color("type/enabler")) in missing
    assert all(name not in ("status/todo", "type/story") for name, _ in missing)
    assert len(missing) == len(set(needed)) - 2
    numbers = {s.key: i for i, s in enumerate(stories, start=1)}
    links = links_to_add(stories, numbers)
    assert len(links) == sum(len(s.depends_on) for s in stories) == 6
    assert (numbers["FEAT_AUTH_002/S1"], numbers["ENAB_MAIL_001/S2"]) in links
    done = {numbers["FEAT_AUTH_002/S1"]: [numbers["ENAB_MAIL_001/S2"]]}
    assert len(links_to_add(stories, numbers, done)) == 5
    partial = {k: v for k, v in numbers.items() if not k.startswith("ENAB_MAIL")}
    assert len(links_to_add(stories, partial)) == 4

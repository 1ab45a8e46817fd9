"""Work named in prose: reference lines, enumerations after a lead-in, the title's own enumeration."""

from __future__ import annotations

import pytest

from bot.plan.core.outline import outline_plan
from bot.plan.core.prose import enumeration, prose_units
from bot.plan.core.stories import split_into_stories


@pytest.mark.parametrize("sentence, parts", [
    ("The foundation, including email validation, password hashing with bcrypt, and token expiry.",
     ["email validation", "password hashing with bcrypt", "token expiry"]),
    ("Account handling - creating the account, adding details, a profile photo etc.",
     ["creating the account", "adding details", "profile photo"]),
    ("Gestion du compte : création du compte, ajout d'informations, photo de profil.",
     ["création du compte", "ajout d'informations", "photo de profil"]),
    ("用户权限，用户组和用户模块", ["用户权限", "用户组", "用户模块"]),
    ("Left: a key (so visitors use their own, not ours), a landing page, and terms.",
     ["key (so visitors use their own, not ours)", "landing page", "terms"]),
    ("Search, filters and export", ["Search", "filters", "export"]),
])
def test_an_enumeration_is_split_into_its_parts(sentence: str, parts: list[str]) -> None:
    assert enumeration(sentence) == parts


@pytest.mark.parametrize("sentence", [
    "1.0 is a free, public, single-player release.",  # adjectives without a closing conjunction
    "It assumed a paid product — but the app has no accounts, no persistence, and no billing, so it waits.",
    "Implement registration and login.",  # two parts are a phrase, not a list
    "Scope first set 2026-05-29, re-scoped 2026-06-04.",
    "We need: a rewrite of the whole storage layer so that every single request goes through one path, caching, logs",
])
def test_what_is_not_an_enumeration_of_work(sentence: str) -> None:
    assert enumeration(sentence) == []


def test_reference_lines_relate_sub_issues() -> None:
    units = prose_units("This epic is for the form.\n\n#681 depends on #682\n#680 blocks #597\nPart of #280.\n")
    assert [u.issue for u in units] == [681, 682, 680, 597]


def test_a_sentence_that_says_the_parts_shipped_marks_them_done() -> None:
    units = prose_units("Already shipped — login, journal, and export.\n\nLeft: search, tags, and sharing.\n")
    assert [(u.text, u.status) for u in units] == [
        ("login", "done"), ("journal", "done"), ("export", "done"),
        ("search", "open"), ("tags", "open"), ("sharing", "open")]


def test_sections_about_other_work_are_not_read() -> None:
    assert prose_units("## Out of scope\n\nWe leave out: billing, invoices, and taxes.\n") == []


def test_prose_is_read_only_when_no_list_states_open_work() -> None:
    with_list = outline_plan("Epic", "Covers: search, tags, and sharing.\n\n- [ ] Add search\n")[0]
    assert [s.title for s in split_into_stories(with_list)] == ["Add search"]
    all_done = outline_plan("Epic", "Left: search, tags, and sharing.\n\n- [x] Add login\n")[0]
    assert len(split_into_stories(all_done)) == 3


def test_the_title_is_split_only_when_nothing_else_names_work() -> None:
    plan = outline_plan("Roles, groups and users", "Everything about permissions.")[0]
    assert len(split_into_stories(plan)) == 3
    plan = outline_plan("Roles, groups and users", "- [x] Add roles\n")[0]
    assert split_into_stories(plan) == []

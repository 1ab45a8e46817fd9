"""The small Markdown reader and the word lists behind the outline planner."""

from __future__ import annotations

import pytest

from bot.plan.core import phrases
from bot.plan.core.markdown import Bullet, clean_text, is_label, parse_bullets, parse_sections, strip_marker

DOC = """Intro <!-- hidden
over lines --> text\u200b.

# Title
## A
para one
continues

- [ ] first
  wrapped line
- [X] second
  1. nested
**Label:**
* under label
plain line resets
+ after
```
## not a heading
- not a bullet
```
### A.1
- deep
## B ##
"""


def test_sections_bullets_and_paragraphs() -> None:
    root = parse_sections(DOC)
    assert root.paragraphs() == ["Intro  text."]
    title = root.children[0]
    a, b = title.children
    assert (a.heading, a.level, b.heading) == ("A", 2, "B")
    assert a.paragraphs() == ["para one continues", "plain line resets"]
    assert a.bullets() == [Bullet("first wrapped line", 0, "", False), Bullet("second", 0, "", True),
                           Bullet("nested", 1, "", None), Bullet("under label", 0, "label", None),
                           Bullet("after", 0, "", None)]
    assert [s.heading for s in root.walk()] == ["", "Title", "A", "A.1", "B"]
    assert "not a heading" not in str(root.walk())
    assert a.children[0].text_lines() == ["deep"]


def test_helpers() -> None:
    assert clean_text("a\r\nb<!-- x -->\rc\u00ad") == "a\nb\nc"
    assert clean_text("open <!-- never closed") == "open "
    assert is_label("**Acceptance criteria:**") and is_label("Notes:") and is_label("__Scope__")
    assert not is_label("A sentence.") and not is_label("- item:") and not is_label("   ")
    assert strip_marker("  - [x] done") == "done" and strip_marker("  plain ") == "plain"
    assert parse_bullets(["- a", "", "  orphan continuation"]) == [Bullet("a orphan continuation")]


@pytest.mark.parametrize(("heading", "kind"), [
    ("Non-functional requirements", "nfr"), ("Functional requirements", "container"), ("Security", "nfr"),
    ("Security dashboard", "feature"), ("Technical notes", "tech"), ("Infrastructure & architecture", "tech"),
    ("Payment platform", "feature"), ("Out of scope", "ignore"), ("Open questions", "ignore"), ("Notes", "ignore"),
    ("Scope", "container"), ("Must have", "container"), ("Risks and assumptions", "risk"), ("Timeline", "milestone"),
    ("Dependencies", "deps"), ("Problem statement", "vision"), ("Acceptance criteria", "acceptance"),
    ("Release plan", "milestone"), ("The", "feature"),
])
def test_section_kinds(heading: str, kind: str) -> None:
    assert phrases.section_kind(heading) == kind


def test_titles_ids_estimates_priorities() -> None:
    assert phrases.clean_title("Feature 2: **Export** invoices (P1, 8h), priority: high.") == "Export invoices"
    assert phrases.verb_object("Export invoices", "Deliver") == "Export invoices"
    assert phrases.verb_object("Search", "Deliver") == "Deliver search"
    assert phrases.verb_object("SSO login", "Deliver") == "Deliver SSO login"
    assert phrases.id_part("Set up the Redis cache", "X") == "REDIS" and phrases.id_part("日本", "CORE") == "CORE"
    assert phrases.id_part("Internationalisation everywhere", "X") == "INTERNATIONA"
    assert [phrases.estimate_hours(t) for t in ("(2w)", "Estimate: 1.5 days", "in 24 hours", "(0 h)")] == [
        80, 12, None, None]
    assert [phrases.priority(t) for t in ("P3", "nice to have", "low-priority", "Priority = Medium", "none")] == [
        "low", "low", "low", "medium", None]
    assert phrases.significant("Set up the users' stores") == ["user", "store"]


@pytest.mark.parametrize(("line", "kind", "in_section"), [
    ("p99 under 200 ms", "performance", False), ("TLS 1.3 everywhere", "security", False),
    ("Around 40 widgets", None, False), ("Around 40 ms per widget", "performance", True), ("Fast enough", None, True),
    ("Login screen (8h)", None, False),
])
def test_nfr_kind(line: str, kind: str | None, in_section: bool) -> None:
    assert phrases.nfr_kind(line, in_nfr_section=in_section) == kind

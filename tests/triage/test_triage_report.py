"""Excerpt rendering, category votes, report sections and long reports."""

from __future__ import annotations

from bot.triage import Category, triage
from bot.triage.category import decide
from bot.triage.report import excerpt, summary


def test_excerpt_marks_gaps_and_elides_long_runs() -> None:
    numbered = [(n, f"line {n}") for n in range(1, 101)] + [(500, "far away")]
    text = excerpt(numbered, max_lines=20)
    lines = text.splitlines()
    assert len(lines) <= 22
    assert lines[0] == "  1 | line 1"
    assert any("more lines" in line for line in lines)
    assert lines[-1] == "500 | far away"


def test_excerpt_redacts() -> None:
    assert "hunter2" not in excerpt([(1, "password=hunter2")], max_lines=5)


def test_summary_without_a_failure() -> None:
    assert summary(Category.UNKNOWN, None) == "unknown: no failure found in the log"


def test_category_votes() -> None:
    assert decide([]) is Category.UNKNOWN
    assert decide([(Category.UNKNOWN, 50.0)]) is Category.UNKNOWN
    assert decide([(Category.TEST, 64.0), (Category.COMPILE, 36.0), (Category.COMPILE, 36.0)]) is Category.COMPILE
    assert decide([(Category.TEST, 10.0), (Category.RESOURCE, 10.0)]) is Category.RESOURCE   # ties: more specific
    assert str(Category.LINT) == "lint"


def test_a_long_report_is_kept_whole_in_lines_but_not_in_the_excerpt() -> None:
    body = ["collected 80 items", "", "=================================== FAILURES ==================================="]
    for i in range(30):
        body += [f"____________________ test_case_{i} ____________________", "", f"    def test_case_{i}():",
                 ">       assert compute() == 1", f"E       assert {i} == 1", "", f"tests/test_x.py:{i}: AssertionError"]
    body += ["=========================== 30 failed in 1.00s ==========================="]
    result = triage("\n".join(body).encode(), max_lines=40)
    assert len(result.lines) > 150                     # the whole FAILURES section
    assert len(result.excerpt.splitlines()) <= 42      # the excerpt stays short
    assert result.category is Category.TEST


def test_to_json_has_exactly_the_cli_keys() -> None:
    reply = triage(b"error: boom\n").to_json()
    assert set(reply) == {"lines", "excerpt", "category", "fingerprint", "summary"}
    assert reply["lines"] == [1] and reply["category"] in {c.value for c in Category}

"""/summarize and /classify without a model."""

from __future__ import annotations

from bot.assist.core.discussion import (
    Classified,
    Question,
    Summary,
    classify_outline,
    render_classification,
    render_summary,
    requirement_lines,
    summarize_outline,
    thread_lines,
)
from bot.plan.core.model import Post

THREAD = [
    Post("alice", "We need invoice export.\n\n- Users can export invoices as CSV\n"
                  "- Export must finish within 5 seconds for 10k rows\n"
                  "Should we support PDF too? @bob\n<!-- hidden: drop the whole thing -->\n"
                  "```\ncode? must not count\n```\n> quoted: we will never do this\n"),
    Post("bob", "Decided: CSV first, PDF later.\n@carol what is the retention period?\n"
                "Users can export invoices as csv\n| table | row? |"),
    Post("carol", "TBD: the archive format\nI asked @carol myself?"),
]


def test_summary_picks_requirements_decisions_and_questions() -> None:
    summary = summarize_outline(THREAD)
    assert [n.text for n in summary.requirements] == ["Users can export invoices as CSV",
                                                      "Export must finish within 5 seconds for 10k rows"]
    assert summary.requirements[0].author == "alice"
    assert [(n.text, n.author) for n in summary.decisions] == [("Decided: CSV first, PDF later.", "bob")]
    assert summary.questions == (
        Question("Should we support PDF too? @bob", "alice", "bob"),
        Question("@carol what is the retention period?", "bob", "carol"),
        Question("TBD: the archive format", "carol", None),
        Question("I asked @carol myself?", "carol", None),
    )


def test_thread_lines_drop_hidden_quoted_and_code() -> None:
    lines = thread_lines(THREAD[0].body)
    assert not any("hidden" in line or "code?" in line or "quoted" in line for line in lines)


def test_render_summary() -> None:
    text = render_summary(summarize_outline(THREAD), model_free=True)
    assert text.startswith("## Thread summary\n\n_Picked out by cue words")
    assert "- Users can export invoices as CSV (@alice)" in text
    assert "- [ ] @carol what is the retention period? — owner: @carol (asked by @bob)" in text
    assert "- [ ] TBD: the archive format — owner: unassigned (asked by @carol)" in text
    empty = render_summary(Summary((), (), (Question("Why?"),)))
    assert "_none found_" in empty and "_none yet_" in empty and "- [ ] Why? — owner: unassigned\n" in empty
    assert "cue words" not in empty


def test_requirement_lines() -> None:
    text = "Intro line.\n- Export CSV\n* [ ] Import CSV\nThe API shall return JSON.\nCan we add XML?\n- Export CSV"
    assert requirement_lines(text) == ["Export CSV", "Import CSV", "The API shall return JSON."]


def test_classify_outline() -> None:
    items = classify_outline(["Users can export invoices as CSV", "Export finishes in 5 s for 10k rows (p99)",
                              "All traffic over TLS 1.3", "99.9% uptime per month", "Meets WCAG 2.1 AA",
                              "GDPR compliant", "Structured logging for every request", "Encrypt backups"])
    assert [(i.kind, i.category) for i in items] == [
        ("functional", "behaviour"), ("non-functional", "performance"), ("non-functional", "security"),
        ("non-functional", "performance"), ("non-functional", "usability"), ("non-functional", "security"),
        ("non-functional", "maintainability"), ("non-functional", "security")]
    assert items[1].reason == "states a performance quality ('p99') and a measurable target ('5 s')"
    assert items[5].reason.endswith("(no number yet: add a target)")
    assert items[0].reason == "describes what the system does for its users"


def test_render_classification() -> None:
    items = classify_outline(["Export CSV", "p99 < 200 ms | fast"])
    text = render_classification(items, model_free=True)
    assert "| Export CSV | functional | behaviour |" in text and "p99 < 200 ms \\| fast" in text
    assert text.rstrip().endswith("1 functional, 1 non-functional.") and "without a model" in text
    assert "_No requirements found" in render_classification([])
    assert "without a model" not in render_classification([Classified("a", "functional", "behaviour", "r")])

"""The model-free outline planner on realistic epics (Markdown sections and checklists)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.validation import validate_plan

EPICS = Path(__file__).parent / "epics"


def _plan(name: str, title: str = "Epic", comments: tuple[str, ...] = ()) -> tuple[Plan, list[str]]:
    plan, hints = outline_plan(title, (EPICS / f"{name}.md").read_text(), list(comments))
    assert validate_plan(plan.to_dict()) == (plan, [])
    return plan, hints


def _deps(plan: Plan) -> set[tuple[str, str]]:
    return {(d.source_id, d.target_id) for d in plan.dependencies}


def test_sections_with_checklists() -> None:
    plan, hints = _plan("accounts", "[Epic] Self-service accounts")
    assert plan.pi_vision.startswith("We want customers to manage their own accounts")
    login, reset, profile = plan.features
    assert (login.feature_id, login.title, login.priority, login.estimate_hours) == (
        "FEAT_LOGIN_001", "Deliver login with email", "high", 16)
    assert login.acceptance_criteria == ("A user can sign in with email and password",
                                         "After 5 failed attempts the account is locked for 15 minutes",
                                         "Login page p95 under 300 ms")
    assert login.benefit_hypothesis.startswith("Users sign in with their email")
    assert reset.feature_id == "FEAT_PASSWORD_001" and reset.estimate_hours == 8
    assert profile.acceptance_criteria == ("Users can edit name and avatar", "Changes are saved immediately")
    assert [(e.enabler_id, e.title, e.architectural_purpose, e.estimate_hours) for e in plan.enablers] == [
        ("ENAB_STORE_001", "Establish user store", "PostgreSQL tables for accounts and sessions", 12),
        ("ENAB_MAIL_001", "Establish mail gateway", "SMTP relay with retries, needed by password reset", None)]
    assert plan.nfrs.performance == ("500 QPS sustained on the login endpoint", "Login page p95 under 300 ms")
    assert plan.nfrs.security[:2] == ("TLS 1.3 on all endpoints", "Passwords hashed with argon2id, 64 MB memory")
    assert _deps(plan) == {("FEAT_LOGIN_001", "ENAB_STORE_001"), ("FEAT_PASSWORD_001", "FEAT_LOGIN_001"),
                           ("FEAT_PASSWORD_001", "ENAB_MAIL_001")}
    assert [r.category for r in plan.risks] == ["integration", "resource"]
    assert plan.risks[0].mitigation == "start with a sandbox account"
    assert "Social login" not in str(plan.to_dict())  # out of scope stays out
    assert any("Must be accessible" in h for h in hints)
    assert any("FEAT_PROFILE_001" in h and "benefit" in h for h in hints)


def test_features_section_with_bullets_and_a_dependencies_section() -> None:
    plan, hints = _plan("invoicing")
    assert [(f.feature_id, f.title) for f in plan.features] == [
        ("FEAT_INVOICE_001", "Deliver invoice editor"), ("FEAT_INVOICE_002", "Export invoices"),
        ("FEAT_PAYMENT_001", "Deliver payment reminders")]
    editor, export, reminders = plan.features
    assert editor.estimate_hours == 24 and editor.benefit_hypothesis == "create and edit invoices with line items"
    assert export.priority == "high" and export.benefit_hypothesis == "PDF and CSV download"
    assert reminders.acceptance_criteria == ("First reminder 7 days after the due date",
                                             "Reminders stop when the invoice is paid")
    assert [(e.enabler_id, e.estimate_hours) for e in plan.enablers] == [("ENAB_PDF_001", None), ("ENAB_JOB_001", 16)]
    assert _deps(plan) == {("FEAT_INVOICE_002", "ENAB_PDF_001"), ("FEAT_PAYMENT_001", "ENAB_JOB_001"),
                           ("FEAT_INVOICE_002", "FEAT_INVOICE_001")}
    assert "Editor p95 < 150 ms" in plan.nfrs.performance
    assert plan.nfrs.security == ("Invoices at rest encrypted with AES-256",)
    assert plan.milestones[0].target == "Week 4" and plan.milestones[1].target == "2025-09-01"
    assert "FEAT_INVOICE_001" in plan.milestones[0].items
    assert plan.pi_vision == "Small businesses send invoices from the app and get paid faster."
    assert any("Keep audit logs" in h for h in hints) and not any("currencies" in h for h in hints)


def test_a_checklist_without_sections_becomes_one_feature() -> None:
    plan, hints = _plan("checklist", "Photo tags")
    assert len(plan.features) == 1
    feature = plan.features[0]
    assert (feature.feature_id, feature.title) == ("FEAT_PHOTO_001", "Deliver photo tags")
    assert feature.acceptance_criteria == ("A user can add up to 20 tags to a photo",
                                           "Tags autocomplete after 2 characters",
                                           "Search by tag returns results in under 500 ms")
    assert plan.nfrs.performance == ("Search by tag returns results in under 500 ms",)
    assert any(h.startswith("No feature sections found") for h in hints)
    assert any(h.startswith("No technical section") for h in hints)
    assert any(h.startswith("No security requirement") for h in hints)
    assert not any(h.startswith("No dependencies") for h in hints)  # a single item needs none


def test_nested_sections_labels_and_comments() -> None:
    comment = "The cart must render p99 under 200 ms.\n\n## Gift cards\n- Redeem a gift card code at checkout"
    plan, hints = _plan("nested", "Epic: Checkout revamp", (comment,))
    cart, card, gift = plan.features
    assert cart.priority == "high" and cart.benefit_hypothesis == "buyers see what they pay before paying."
    assert cart.acceptance_criteria == ("Shows items, shipping and taxes",
                                        "Updates within 1 second when quantities change")
    assert card.acceptance_criteria == ("Visa and Mastercard accepted", "3-D Secure 2 challenge shown inline")
    assert gift.feature_id == "FEAT_GIFT_001"
    assert plan.enablers[0].enabler_id == "ENAB_PAYMENT_001"
    assert _deps(plan) == {("FEAT_CARD_001", "ENAB_PAYMENT_001")}
    assert plan.nfrs.performance == ("The cart must render p99 under 200 ms.",)
    assert plan.nfrs.security == ("PCI DSS 4.0 scope limited to the iframe",)
    assert [r.category for r in plan.risks] == ["technical", "resource"]
    assert plan.pi_vision == "One-page checkout for the web shop."


def test_empty_epic_still_gives_a_valid_plan_and_says_what_is_missing() -> None:
    plan, hints = outline_plan("", "")
    feature = plan.features[0]
    assert feature.title == "Deliver the epic" and feature.feature_id == "FEAT_EPIC_001"
    assert feature.acceptance_criteria == ("Deliver the epic works end to end as the epic describes",)
    assert plan.pi_vision == "the epic"
    assert any("no acceptance criteria" in h for h in hints) and any(h.startswith("No vision") for h in hints)


def test_cycles_are_broken_and_named() -> None:
    body = "## Search index\n- Depends on the query parser\n\n## Query parser\n- Depends on the search index\n"
    plan, hints = outline_plan("Search", body)
    assert len(plan.dependencies) == 1
    assert any("cycle (FEAT_INDEX_001 -> FEAT_QUERY_001 -> FEAT_INDEX_001)" in h for h in hints)


def test_ids_are_ascii_and_count_per_domain() -> None:
    body = "## Café ordering\n- a\n## Café payments\n- b\n## 日本語\n- c\n## Build the API\n- d\n"
    plan, hints = outline_plan("Shop", body)
    assert [f.feature_id for f in plan.features] == ["FEAT_CAFE_001", "FEAT_CAFE_002", "FEAT_CORE_001",
                                                    "FEAT_API_001"]
    assert plan.features[3].title == "Build the API"


def test_more_than_four_features_and_moscow_priorities() -> None:
    body = ("## Must have\n- Upload files\n- Share links\n## Could have\n- Comment on files\n- Tag files\n"
            "- Star files (P0)\n")
    plan, hints = outline_plan("Files", body)
    assert [f.priority for f in plan.features] == ["high", "high", "low", "low", "high"]
    assert any("5 features" in h for h in hints)
    assert plan.features[0].acceptance_criteria == ("Upload files",)


@pytest.mark.parametrize("body", [
    "## Reports\nEstimate: 3 days\nPriority: low\n- CSV export of 10k rows in 5 s\n",
    "## Reports [2d] \n- CSV export of 10k rows in 5 s\n- estimate: 16h\n",
])
def test_meta_lines_are_read_not_kept_as_criteria(body: str) -> None:
    plan, _ = outline_plan("R", body)
    feature = plan.features[0]
    assert feature.acceptance_criteria == ("CSV export of 10k rows in 5 s",)
    assert feature.estimate_hours == 16 if "[2d]" in body else feature.estimate_hours == 24


def test_technical_section_variants() -> None:
    body = ("## Profile\n- Users edit their bio\n"
            "## Infrastructure\n"
            "Everything runs on Kubernetes.\n"
            "- Object storage for avatars (8h)\n"
            "  - S3-compatible bucket\n"
            "- Depends on the profile\n"
            "### Performance\n- Avatars load in under 200 ms\n"
            "### CDN\nCaches avatars at the edge. Needed by profile.\n")
    plan, _ = outline_plan("Profiles", body)
    assert [(e.enabler_id, e.title, e.architectural_purpose) for e in plan.enablers] == [
        ("ENAB_CDN_001", "Establish CDN", "Caches avatars at the edge. Needed by profile"),
        ("ENAB_OBJECT_001", "Establish object storage for avatars", "S3-compatible bucket")]
    assert plan.nfrs.performance == ("Avatars load in under 200 ms",)
    assert ("FEAT_PROFILE_001", "ENAB_CDN_001") in _deps(plan)


def test_acceptance_section_at_epic_level_goes_to_best_matching_feature() -> None:
    body = ("## Upload photos\n- JPEG and PNG\n## Share albums\n- Public links\n"
            "## Acceptance criteria\n- Albums can be shared by link\n- Works on mobile\n"
            "## Goals\nHappy users.\n## Timeline\n- Q3 2025: launch\n## Notes\n- nothing\n")
    plan, _ = outline_plan("Photos", body)
    upload, share = plan.features
    assert share.acceptance_criteria == ("Public links", "Albums can be shared by link")
    assert upload.acceptance_criteria == ("JPEG and PNG", "Works on mobile")
    assert plan.pi_vision == "Happy users." and plan.milestones[0].target == "Q3 2025"


def test_container_sub_sections_and_repeated_nfrs() -> None:
    body = ("## Features\n### Login\n- Users sign in\n### Technical\n- Redis: sessions cache\n"
            "## NFRs\n### Security\n- Sessions expire after 30 min\n- Sessions expire after 30 min\n")
    plan, _ = outline_plan("Auth", body)
    assert [f.feature_id for f in plan.features] == ["FEAT_LOGIN_001"]
    assert [e.enabler_id for e in plan.enablers] == ["ENAB_REDIS_001"]
    assert plan.nfrs.security == ("Sessions expire after 30 min",)


def test_an_invalid_outline_is_a_bug_not_a_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.plan.core.outline as outline

    monkeypatch.setattr(outline, "assemble", lambda out, title: ({"features": []}, []))
    with pytest.raises(ValueError, match="features: at least one feature"):
        outline.outline_plan("t", "b")


LINES = st.one_of(
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 4),
              st.sampled_from(["Login", "Technical", "Risks", "Features", "NFRs", "Dependencies", "Café", "Scope",
                               "Search index (8h)", "Out of scope", "Acceptance criteria", "日本語", "Overview"])),
    st.builds(lambda indent, box, text: " " * indent + "- " + box + text, st.integers(0, 4),
              st.sampled_from(["", "[ ] ", "[x] "]),
              st.sampled_from(["depends on login", "p99 < 200 ms", "TLS 1.3", "needed by search index",
                               "Redis: cache", "after the login", "priority: high", "estimate: 2d", "x"])),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(title=st.text(max_size=30), lines=st.lists(LINES, max_size=25))
def test_any_epic_gives_a_valid_plan(title: str, lines: list[str]) -> None:
    plan, hints = outline_plan(title, "\n".join(lines))
    assert validate_plan(plan.to_dict()) == (plan, [])
    assert all(isinstance(h, str) and h for h in hints)

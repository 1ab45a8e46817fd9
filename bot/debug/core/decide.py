"""Decide before fixing: report a broken base, re-run a flake, cite a known fix, fix, or only report.

The orchestrator gathers the facts (triage, the base branch's latest run, the ledger, the Gitea
version's rerun support) and acts on the one Decision; nothing here asks anyone anything.
"""

from __future__ import annotations

import re

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from bot.triage import Category
from bot.triage.fingerprint import jaccard

# Not code failures: a network or runner problem, a hung step, a runner out of memory or disk.
FLAKY_CATEGORIES = frozenset({Category.INFRA.value, Category.TIMEOUT.value, Category.RESOURCE.value})
SIMILAR = 0.7  # token overlap above which two failures count as the same one


class Rerun(str, Enum):
    """How this forge can run a failed workflow again."""

    API = "rerun"           # Gitea >= 1.26: POST .../actions/runs/{run}/rerun
    DISPATCH = "dispatch"   # the workflow has a workflow_dispatch trigger
    NONE = "none"
    EXTERNAL = "external"  # an external CI's build: re-run there, not through Gitea
    OFF = "off"            # the auto_debug playbook turns re-runs off (phases.rerun_flaky: false)


class Kind(str, Enum):
    """What the session does next."""

    BASE_BROKEN = "base_broken"
    RERUN_FLAKY = "rerun_flaky"
    CITE_KNOWN_FIX = "cite_known_fix"
    FIX = "fix"
    REPORT_ONLY = "report_only"


@dataclass(frozen=True)
class PastFailure:
    """An earlier failure with the same fingerprint, from the ledger (newest first), and how it ended."""

    outcome: str
    detail: str = ""
    flaky: bool = False
    fix: str = ""  # the commit or URL that fixed it, when one did


@dataclass(frozen=True)
class Facts:
    """Everything `decide` needs. `base_broken`: the base branch's latest run of the same workflow
    fails with the same or a similar fingerprint (False when the failing branch is the base itself)."""

    category: str
    fingerprint: str
    base_branch: str = "main"
    base_broken: bool = False
    history: tuple[PastFailure, ...] = ()
    has_model: bool = False
    is_rerun: bool = False
    rerun: Rerun = Rerun.NONE
    can_fix: bool = True  # the auto_debug playbook's fix phase is on
    untrusted: str = ""  # why the commit may not be branched from, pushed or re-run ("" when it may)


@dataclass(frozen=True)
class Decision:
    """The next step and a one-line reason for the status comment."""

    kind: Kind
    reason: str
    known_fix: str = ""
    rerun: Rerun = Rerun.NONE


# A test that fails because something it talks to did not answer is an infrastructure failure in disguise.
_NETWORK = re.compile(r"TimeoutError|timed out|time(?:d)?[ -]?out\b|did not answer|Connection(?:Refused|Reset|Aborted)Error|"
                      r"connection (?:refused|reset)|ECONNRE(?:SET|FUSED)|ETIMEDOUT|EAI_AGAIN|Temporary failure in name "
                      r"resolution|Name or service not known|503 Service Unavailable|502 Bad Gateway", re.I)


def effective_category(category: str, summary: str) -> str:
    """The category to decide on: a test failure whose cause is a network timeout or refusal counts as infra."""
    if str(category) == Category.TEST.value and _NETWORK.search(summary or ""):
        return Category.INFRA.value
    return str(category)


def decide(facts: Facts) -> Decision:
    """The one next step for a triaged failure."""
    if facts.untrusted:  # before anything that runs the code again: a re-run executes it with the bot's identity
        return Decision(Kind.REPORT_ONLY, f"report only, nothing was branched, pushed or re-run: {facts.untrusted}")
    if facts.base_broken:
        return Decision(Kind.BASE_BROKEN, f"already broken on {facts.base_branch}: its latest run of this "
                                          "workflow fails the same way, so the fix belongs there")
    infra = str(facts.category) in FLAKY_CATEGORIES
    known_flaky = any(past.flaky for past in facts.history)
    if infra or known_flaky:
        rerun = _rerun(facts, "an infrastructure failure" if infra else "a failure known to be flaky")
        if infra or rerun.kind is Kind.RERUN_FLAKY:
            return rerun
    return _code_failure(facts)


def same_failure(fingerprint: str, tokens: Iterable[str], other_fingerprint: str, other_tokens: Iterable[str],
                 *, threshold: float = SIMILAR) -> bool:
    """True when two failures have the same fingerprint or key tokens that mostly overlap."""
    if fingerprint and fingerprint == other_fingerprint:
        return True
    return jaccard(frozenset(tokens), frozenset(other_tokens)) >= threshold


def _rerun(facts: Facts, what: str) -> Decision:
    if facts.is_rerun:
        return Decision(Kind.REPORT_ONLY, f"{what} that failed again after one re-run: needs a person")
    if facts.rerun is Rerun.OFF:
        return Decision(Kind.REPORT_ONLY, f"{what}; re-runs are off (phases.rerun_flaky: false in the auto_debug playbook)")
    if facts.rerun is Rerun.EXTERNAL:
        return Decision(Kind.REPORT_ONLY, f"{what}, on an external CI that teabot cannot re-run: re-run the build "
                                          "there")
    if facts.rerun is Rerun.NONE:
        return Decision(Kind.REPORT_ONLY, f"{what}, but this Gitea cannot re-run it (rerun needs Gitea >= 1.26 "
                                          "or a workflow_dispatch trigger)")
    how = "rerun API" if facts.rerun is Rerun.API else "workflow dispatch"
    return Decision(Kind.RERUN_FLAKY, f"{what} ({facts.category}): re-running once via {how}", rerun=facts.rerun)


def _code_failure(facts: Facts) -> Decision:
    known = next((past.fix for past in facts.history if past.fix and not past.flaky), "")
    if not facts.can_fix:
        cite = f"; it was fixed before by {known}" if known else ""
        return Decision(Kind.REPORT_ONLY, f"fixes are off (phases.fix: false in the auto_debug playbook): triage report only{cite}",
                        known_fix=known)
    if not facts.has_model:
        cite = f"; it was fixed before by {known}" if known else ""
        return Decision(Kind.REPORT_ONLY, f"no model is configured: triage report only{cite}", known_fix=known)
    if known:
        return Decision(Kind.CITE_KNOWN_FIX, f"seen before and fixed by {known}: fixing again, citing it",
                        known_fix=known)
    return Decision(Kind.FIX, f"a {facts.category} failure in the code: proposing a fix")

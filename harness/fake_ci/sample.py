"""The sample repository (`harness/sample_repo/`) and its variants, for scenarios on the fake Gitea.

`sample_files(bug, flaky=..., trigger=...)` gives the tree with a seeded bug (exactly one test
fails) or a flaky test, its CI started by every push or (trigger="pull_request") by pushes to `main`
and by pull requests; `install_sample(fake, ...)` puts it into a fake Gitea whose `ci_runner` is a
`CiRunner`: the clean tree (or a broken one) on `main`, then a human's failing commit on a feature
branch and a pull request, with CI run for both; it returns the ids a scenario needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.fake_gitea.server import FakeGitea

SAMPLE_REPO = Path(__file__).resolve().parents[1] / "sample_repo"
CI_WORKFLOW = "ci.yml"
CI_PATH = ".gitea/workflows/" + CI_WORKFLOW
TRIGGERS = ("push", "pull_request")
# ci.yml as committed: every push runs CI, so a feature branch's failure is on a push run.
PUSH_ON = 'on:\n  push:\n    branches: ["**"]\n  workflow_dispatch:\n'
# The usual alternative: pushes to the default branch, and pull requests (into any base branch, so the
# bot's fix pull request into the feature branch runs too): a feature branch's failure is then on a
# pull_request run, whose ref is refs/pull/<n>/head and which has no head_branch.
PULL_REQUEST_ON = "on:\n  push:\n    branches: [{default}]\n  pull_request:\n  workflow_dispatch:\n"
FLAKY_TEST = "tests/test_price_feed.py"
# Fails on the first run of each commit and passes on any later run of it (re-run or dispatch):
# the runner's CI_STATE_DIR outlives checkouts, so the counter file is deterministic.
FLAKY_SOURCE = '''"""The live price feed answers quotes."""

import os
from pathlib import Path


def test_price_feed_answers():
    seen = Path(os.environ.get("CI_STATE_DIR", ".")) / "price-feed" / os.environ.get("GITHUB_SHA", "local")
    first_run = not seen.exists()
    seen.parent.mkdir(parents=True, exist_ok=True)
    seen.touch()
    if first_run:
        raise TimeoutError("price feed at 10.20.0.7:8443 did not answer within 5.0s (read timeout)")
'''


@dataclass(frozen=True)
class Bug:
    """A seeded bug: `bad` replaces `good` in `path`, and `failing_test` is the one test that fails."""

    name: str
    path: str
    good: str
    bad: str
    failing_test: str

    def fix(self) -> tuple[str, str, str]:
        """(path, search, replace): the edit that repairs the bug."""
        return self.path, self.bad, self.good


PRICING = "widget/pricing.py"
BUGS = {bug.name: bug for bug in (
    Bug("off_by_one", PRICING, "    if quantity >= BULK_THRESHOLD:\n", "    if quantity > BULK_THRESHOLD:\n",
        "tests/test_pricing.py::test_bulk_discount_starts_at_the_threshold"),
    Bug("rounding", PRICING, "return amount.quantize(CENT, rounding=ROUND_HALF_UP)",
        "return amount.quantize(CENT)",  # the default context rounds halves to even
        "tests/test_pricing.py::test_round_cents_rounds_halves_up"),
    Bug("tax_rate", PRICING, "    return round_cents(amount * (1 + TAX_RATE))\n",
        "    return round_cents(amount * TAX_RATE)\n", "tests/test_pricing.py::test_with_tax_adds_twenty_percent"),
    Bug("name_error", PRICING, "    return round_cents(unit_price(base, quantity) * quantity)\n",
        "    return round_cents(unit_price(base, quantity) * quantiy)\n",
        "tests/test_pricing.py::test_subtotal_multiplies_by_the_quantity"),
)}


def clean_files() -> dict[str, bytes]:
    """The sample repository as committed files (path -> bytes)."""
    return {p.relative_to(SAMPLE_REPO).as_posix(): p.read_bytes() for p in sorted(SAMPLE_REPO.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def sample_files(bug: str | None = None, *, flaky: bool = False, trigger: str = "push",
                 default_branch: str = "main") -> dict[str, bytes]:
    """The sample tree with the named bug seeded (see BUGS), the flaky test added, CI started by `trigger`."""
    files = clean_files()
    files[CI_PATH] = ci_workflow(files[CI_PATH], trigger, default_branch)
    if bug is not None:
        files[BUGS[bug].path] = seed_bug(files[BUGS[bug].path], BUGS[bug])
    if flaky:
        files[FLAKY_TEST] = FLAKY_SOURCE.encode()
    return files


def ci_workflow(text: bytes, trigger: str, default_branch: str = "main") -> bytes:
    """ci.yml started by every push ("push") or by pushes to the default branch and pull requests."""
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
    source = text.decode()
    if source.count(PUSH_ON) != 1:
        raise ValueError(f"{CI_PATH} does not hold its `on:` block exactly once")
    if trigger == "push":
        return text
    return source.replace(PUSH_ON, PULL_REQUEST_ON.format(default=default_branch)).encode()


def seed_bug(source: bytes, bug: Bug) -> bytes:
    """`source` with `bug` seeded (the clean text must hold the good line exactly once)."""
    text = source.decode()
    if text.count(bug.good) != 1:
        raise ValueError(f"bug {bug.name}: {bug.path} does not hold {bug.good!r} exactly once")
    return text.replace(bug.good, bug.bad).encode()


def changed(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> dict[str, bytes | None]:
    """The files of `after` that differ from `before` (files only in `before` are kept)."""
    return {p: d for p, d in after.items() if before.get(p) != d}


def install_sample(fake: FakeGitea, repo: str = "acme/widget", *, bug: str | None = "off_by_one",
                   flaky: bool = False, base_broken: bool = False, author: str = "alice",
                   branch: str = "feature/bulk-pricing", pull: bool = True,
                   extra_files: Mapping[str, bytes | str] | None = None, timeout: float = 60.0,
                   trigger: str = "push") -> dict[str, Any]:
    """Seed `repo` with the sample and a human's failing commit; CI runs on both. Returns the ids.

    `main` gets the clean tree (with `bug` already in it when `base_broken`) plus `extra_files`;
    then `author` pushes `branch` with `bug` and/or the flaky test (on a broken base, a harmless
    change) and, when `pull`, opens a pull request into `main`. With trigger="pull_request" the
    branch's CI run is the pull request's (event pull_request, ref refs/pull/<n>/head). Waits for
    CI and the webhooks.
    """
    if fake.ci_runner is None:
        raise ValueError("install_sample needs a fake Gitea that runs CI: FakeGitea(ci_runner=CiRunner())")
    if trigger == "pull_request" and not pull:
        raise ValueError("trigger='pull_request' needs the pull request (pull=True): no push of a branch runs CI")
    _ensure_people(fake, repo, author)
    default = _default(fake, repo)
    sample = sample_files(bug if base_broken else None, trigger=trigger, default_branch=default)
    base_files = {**sample, **_encoded(extra_files or {})}
    base_sha = fake.push(repo, changed(_tree(fake, repo, None), base_files), branch=default,
                         message="Add widget pricing", author=author)
    head_files = dict(base_files)
    if not base_broken and bug:
        head_files[BUGS[bug].path] = seed_bug(base_files[BUGS[bug].path], BUGS[bug])
    if flaky:
        head_files[FLAKY_TEST] = FLAKY_SOURCE.encode()
    if head_files == base_files:
        head_files["CHANGELOG.md"] = b"# Changes\n\n- Bulk pricing for large orders.\n"
    sha = fake.push(repo, changed(base_files, head_files), branch=branch, base=default,
                    message="Price bulk orders", author=author)
    number = fake.add_issue(repo, "Price bulk orders", "Bulk pricing for large orders.", author=author,
                            is_pull=True, head=branch) if pull else None
    fake.wait_ci(timeout)
    run_id = _ci_run(fake, repo, sha)
    return {"repo": repo, "base_branch": default, "base_sha": base_sha,
            "base_run_id": _ci_run(fake, repo, base_sha), "branch": branch, "sha": sha, "run_id": run_id,
            "event": _event(fake, repo, run_id), "pull": number, "author": author, "bug": BUGS.get(bug or "")}


def _ensure_people(fake: FakeGitea, repo: str, author: str) -> None:
    if author not in fake.state.users:
        fake.add_user(author)
    if repo not in fake.state.repos:
        fake.add_repo(repo, files={"README.md": f"# {repo.split('/')[-1]}\n"})
    if not fake.state.can(fake.state.repos[repo], fake.state.users[author], "write"):
        fake.set_permission(repo, author, "write")


def _default(fake: FakeGitea, repo: str) -> str:
    return fake.state.repos[repo].default_branch


def _tree(fake: FakeGitea, repo: str, ref: str | None) -> dict[str, bytes]:
    with fake.state.lock:
        return dict(fake.state.repos[repo].resolve(ref).files)


def _ci_run(fake: FakeGitea, repo: str, sha: str) -> int | None:
    with fake.state.lock:
        runs = [r.id for r in fake.state.repos[repo].runs.values() if r.head_sha == sha and r.workflow == CI_WORKFLOW]
    return max(runs, default=None)


def _encoded(files: Mapping[str, bytes | str]) -> dict[str, bytes]:
    return {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}


def _event(fake: FakeGitea, repo: str, run_id: int | None) -> str:
    with fake.state.lock:
        run = fake.state.repos[repo].runs.get(run_id or 0)
        return run.event if run else ""

"""Benchmark: Gitea API calls and bot-side time to approve a plan (`/plan approve`), model-free.

A synthetic plan with F features and E enablers (every feature depends on an enabler, features
chain in pairs) is posted as the bot's plan comment on an epic in the fake Gitea (in-process), then
approved twice. Printed: the calls by kind against the goal

    1 label list + missing labels + S creates + D links + a constant number of comment calls

and the wall time of the approval (no model involved, so all of it is the bot's own time).

    .venv/bin/python bench/plan_approve.py [--features 8] [--enablers 3]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot.plan.agent import PLAN_COMMENT, PlanRequest, plan  # noqa: E402
from bot.config.settings import Settings  # noqa: E402
from harness import cast  # noqa: E402
from harness.fake_gitea import FakeGitea  # noqa: E402
from bot.forge import make_forge  # noqa: E402
from bot.plan.core.embed import embed  # noqa: E402
from bot.plan.core.stories import split_into_stories  # noqa: E402
from bot.plan.core.validation import validate_plan  # noqa: E402
from bot.config.playbooks import bundled_playbooks  # noqa: E402

REPO, BOT, TOKEN = "acme/widget", "teabot", "bench-token"


def synthetic_plan(features: int, enablers: int) -> dict:
    """A valid plan of the requested size."""
    enabler_ids = [f"ENAB_PLATFORM_{n:03d}" for n in range(1, enablers + 1)]
    feature_ids = [f"FEAT_AREA_{n:03d}" for n in range(1, features + 1)]
    deps = [{"source_id": fid, "target_id": enabler_ids[i % enablers], "reason": "needs the platform"}
            for i, fid in enumerate(feature_ids)] if enablers else []
    deps += [{"source_id": feature_ids[i + 1], "target_id": feature_ids[i], "reason": "builds on it"}
             for i in range(0, features - 1, 2)]
    return {
        "pi_vision": "A synthetic epic for measuring approval cost",
        "features": [{"feature_id": fid, "title": f"Deliver capability {n}", "benefit_hypothesis": "Users get value",
                      "acceptance_criteria": [f"Criterion {n}.{k}" for k in range(1, 5)], "estimate_hours": 16}
                     for n, fid in enumerate(feature_ids, start=1)],
        "enablers": [{"enabler_id": eid, "title": f"Provision platform {n}", "architectural_purpose": "Runway",
                      "estimate_hours": 24} for n, eid in enumerate(enabler_ids, start=1)],
        "nfrs": {"performance": ["p99 < 200 ms at 500 QPS"], "security": ["TLS 1.3 only"]},
        "dependencies": deps,
    }


def kind(method: str, path: str) -> str:
    """A readable name for an API call."""
    path = re.sub(r"/\d+", "/{n}", path.removeprefix(f"/repos/{REPO}"))
    return f"{method} {path or '/'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--enablers", type=int, default=3)
    args = parser.parse_args()

    fake = cast.seed(FakeGitea(), REPO, cast=(cast.Person(BOT, "admin", TOKEN), cast.Person("alice", "write")))
    forge = make_forge(Settings(gitea_url="http://fake.test", gitea_token=TOKEN), transport=httpx.WSGITransport(app=fake.app))
    plan_value, errors = validate_plan(synthetic_plan(args.features, args.enablers))
    assert plan_value is not None, errors
    epic = fake.add_issue(REPO, "Epic: synthetic", "body", author="alice")
    forge.create_comment(REPO, epic, f"{PLAN_COMMENT}\nplan\n{embed(plan_value, 1)}")
    stories = split_into_stories(plan_value)
    links = sum(len(s.depends_on) for s in stories)
    labels = len({label for s in stories for label in s.labels})
    request = PlanRequest(REPO, epic, "alice", "plan", "approve")
    playbook = bundled_playbooks()["plan"]

    for round_name in ("first approval", "second approval"):
        before = len(fake.requests)
        started = time.perf_counter()
        plan(request, forge=forge, llm=None, bot_login=BOT, playbook=playbook, skills={})
        elapsed = time.perf_counter() - started
        calls = collections.Counter(kind(c.method, c.path) for c in fake.requests[before:])
        print(f"\n{round_name}: {sum(calls.values())} API calls in {elapsed * 1000:.0f} ms (no model: all bot-side)")
        for name, count in sorted(calls.items()):
            print(f"  {count:4d}  {name}")
    print(f"\nplan: F={args.features} features, E={args.enablers} enablers -> S={len(stories)} stories, "
          f"D={links} links, {labels} labels (all missing at first)")
    print(f"goal for the first approval: 1 label list + {labels} label creates + {len(stories)} issue creates + "
          f"{links} links + constant comment/issue reads = {1 + labels + len(stories) + links} + constant")


if __name__ == "__main__":
    main()

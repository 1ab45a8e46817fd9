"""Benchmark: the full /webhook path against a bare endpoint of the same app, under gunicorn, in one run.

The full path is signature check + parse + route + dedupe + enqueue into real Redis (every request is
a distinct `/help` comment, so every one becomes a job). The bare path is `GET /ping` on the same
server. Both are driven by the same keep-alive client threads; the ratio is what to read.

    .venv/bin/python bench/webhook.py [--requests 3000] [--clients 8] [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.events import signature_of  # noqa: E402

SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deliveries(count: int) -> list[tuple[dict[str, str], bytes]]:
    """`count` distinct signed /help comment deliveries built from the recorded fixture."""
    case = json.loads((ROOT / "tests/fixtures/payloads/issue_comment/created.json").read_text())
    out = []
    for n in range(count):
        body = dict(case["body"])
        body["comment"] = dict(body["comment"], id=10_000 + n, body="/help")
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-Gitea-Event": "issue_comment",
                   "X-Gitea-Event-Type": "issue_comment", "X-Gitea-Delivery": f"bench-{n}",
                   "X-Gitea-Signature": signature_of(raw, SECRET)}
        out.append((headers, raw))
    return out


def drive(port: int, requests: list[tuple[str, str, dict[str, str], bytes]], clients: int) -> tuple[float, list[float], dict[int, int]]:
    """Send `requests` from `clients` keep-alive threads; wall seconds, latencies and status counts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::clients] for i in range(clients)]

    def client(chunk: list[tuple[str, str, dict[str, str], bytes]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, codes = [], []
        for method, path, headers, body in chunk:
            start = time.perf_counter()
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            codes.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            for code in codes:
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--redis", default=os.environ.get("TEABOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    conn = redis.Redis.from_url(args.redis)
    conn.flushdb()
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="teabot-bench-")
    env = dict(os.environ, REDIS_URL=args.redis, TEABOT_WEBHOOK_SECRET=SECRET, TEABOT_BOT_LOGIN="teabot",
               TEABOT_DATA_DIR=data_dir, TEABOT_LOG_LEVEL="WARNING")
    server = subprocess.Popen([str(ROOT / ".venv/bin/teabot"), "serve", "--port", str(port), "--workers", str(args.workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/ping")
                break
            except OSError:
                time.sleep(0.1)
        bare = [("GET", "/ping", {}, b"")] * args.requests
        full = [("POST", "/webhook", h, b) for h, b in deliveries(args.requests)]
        drive(port, bare[:200], args.clients)  # warm up both paths
        bare_wall, bare_lat, bare_codes = drive(port, bare, args.clients)
        full_wall, full_lat, full_codes = drive(port, full, args.clients)
        jobs = conn.llen("rq:queue:teabot")
    finally:
        server.terminate()
        server.wait(10)
        conn.flushdb()
    bare_rps, full_rps = len(bare_lat) / bare_wall, len(full_lat) / full_wall
    print(f"requests per endpoint: {args.requests}, client threads: {args.clients}, gunicorn workers: {args.workers}")
    print(f"bare  GET /ping     : {bare_rps:8.0f} req/s  p50 {statistics.median(bare_lat) * 1000:6.2f} ms  p99 {p99(bare_lat) * 1000:6.2f} ms  {bare_codes}")
    print(f"full  POST /webhook : {full_rps:8.0f} req/s  p50 {statistics.median(full_lat) * 1000:6.2f} ms  p99 {p99(full_lat) * 1000:6.2f} ms  {full_codes}")
    print(f"jobs queued in Redis: {jobs}")
    print(f"ratio full/bare     : throughput {full_rps / bare_rps:.2f}x, p99 latency {p99(full_lat) / p99(bare_lat):.2f}x")


if __name__ == "__main__":
    main()

"""Fingerprints survive what changes between runs and separate different failures."""

from __future__ import annotations

from bot.triage import triage
from bot.triage.fingerprint import jaccard
from bot.triage.text import normalise


def actions_log(stamp: str, tmp: str, sha: str, port: int, lead: int, seconds: str) -> bytes:
    lines = [f"{stamp}.{i:07d}Z setting up step {i}" for i in range(lead)]
    lines += [
        f"{stamp}.1000000Z ##[group]Run pytest",
        f"{stamp}.1000001Z tests/test_api.py::test_get FAILED [ 50%]",
        f"{stamp}.1000002Z E   ConnectionError: http://127.0.0.1:{port}/api failed after {seconds}s",
        f"{stamp}.1000003Z E   while reading {tmp}/pytest-of-runner/pytest-3/cache-{sha[:8]}.json",
        f"{stamp}.1000004Z tests/test_api.py:42: ConnectionError (commit {sha})",
        f"{stamp}.1000005Z ##[error]Process completed with exit code 1.",
    ]
    return "\n".join(lines).encode()


def test_fingerprint_is_stable_across_runs() -> None:
    a = triage(actions_log("2024-05-01T10:00:00", "/tmp/abc123", "9fceb02d0ae598e95dc970b7", 41234, 3, "1.52"))
    b = triage(actions_log("2025-01-09T23:59:59", "/tmp/zz9", "1a2b3c4d5e6f7a8b9c0d1e2f", 5001, 40, "30.0"))
    assert a.lines != b.lines
    assert a.fingerprint == b.fingerprint
    assert a.category == b.category


def test_fingerprint_separates_different_failures() -> None:
    a = triage(b"x\nsrc/a.c:3:1: error: expected ';' before '}' token\n")
    b = triage(b"x\nsrc/a.c:3:1: error: 'foo' undeclared\n")
    c = triage(b"x\nE: Unable to locate package libfoo\n")
    assert len({a.fingerprint, b.fingerprint, c.fingerprint}) == 3


def test_tokens_support_similarity() -> None:
    a = triage(b"src/a.c:3:1: error: 'foo' undeclared (first use in this function)\n")
    b = triage(b"lib/b.c:90:7: error: 'foo' undeclared (first use in this function)\n")
    c = triage(b"npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/nopkg\n")
    assert jaccard(set(a.tokens), set(b.tokens)) > 0.5
    assert jaccard(set(a.tokens), set(c.tokens)) < 0.2


def test_normalise_replaces_volatile_parts() -> None:
    text = ("2024-05-01T10:00:00.1234567Z took 1.5s at 12:00:01 id 550e8400-e29b-41d4-a716-446655440000 "
            "sha 9fceb02d0ae598e9 /tmp/pytest-7/x localhost:8080 pid 123456")
    out = normalise(text)
    for gone in ("2024-05-01", "1.5s", "12:00:01", "550e8400", "9fceb02d", "/tmp/pytest-7", "8080", "123456"):
        assert gone not in out

"""Lines also present in the passing run are demoted."""

from __future__ import annotations

import io

from bot.triage import triage

COMMON = [
    "npm WARN deprecated request@2.88.2",
    "ERROR: could not load optional plugin 'fancy-reporter' (continuing)",
    "Compiling 42 files",
]


def test_baseline_demotes_lines_seen_in_the_passing_run() -> None:
    passing = "\n".join(["2024-05-01T10:00:00.0000001Z " + line for line in COMMON] + ["all tests passed"])
    failing = "\n".join(
        ["2024-05-02T11:11:11.0000001Z " + line for line in COMMON]
        + ["filler"] * 60
        + ["Error: expected status 200, got 500 in test_health", "1 test failed"]
    )
    without = triage(failing.encode())
    with_base = triage(io.BytesIO(failing.encode()), io.BytesIO(passing.encode()))
    assert 2 in without.lines                      # the noisy plugin error looks like a cause on its own
    assert 2 not in with_base.lines                # but the passing run had it too
    assert 64 in with_base.lines                   # the real failure stays


def test_empty_baseline_changes_nothing() -> None:
    log = b"ok\nerror: something broke\n"
    assert triage(log, b"").lines == triage(log).lines

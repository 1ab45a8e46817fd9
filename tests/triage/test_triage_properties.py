"""Any bytes give a valid triage, never an exception."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.triage import Category, Triage, triage

LOGGY = st.lists(
    st.one_of(
        st.binary(max_size=80),
        st.sampled_from([b"error: x", b"FAIL", b"\r", b"\x1b[31m", b"\n", b"   at a.b(C.java:1)", b"\xff",
                         b"The command \"x\" exited with 1.", b"=== FAILURES ===", b"##[error]", b"--- FAIL: T"]),
    ),
    max_size=60,
).map(b"".join)


def check(result: Triage, data: bytes) -> None:
    n_lines = len(data.split(b"\n")) - (1 if data.endswith(b"\n") else 0)
    assert all(1 <= n <= n_lines for n in result.lines)
    assert list(result.lines) == sorted(set(result.lines))
    assert isinstance(result.category, Category)
    assert len(result.fingerprint) == 16
    assert "\n" not in result.summary
    json.dumps(result.to_json())


@settings(max_examples=300, deadline=None)
@given(LOGGY, st.one_of(st.none(), LOGGY), st.integers(min_value=1, max_value=80))
def test_any_bytes_give_a_valid_result(data: bytes, baseline: bytes | None, max_lines: int) -> None:
    result = triage(io.BytesIO(data), None if baseline is None else io.BytesIO(baseline), max_lines=max_lines)
    check(result, data)
    assert len(result.excerpt.splitlines()) <= max_lines + 2 * len(result.lines) + 2


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_raw_binary_gives_a_valid_result(data: bytes) -> None:
    check(triage(data), data)


def test_empty_log() -> None:
    result = triage(b"")
    assert result.lines == ()
    assert result.category is Category.UNKNOWN
    assert result.summary == "unknown: no failure found in the log"

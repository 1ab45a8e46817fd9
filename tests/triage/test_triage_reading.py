"""The streaming reader: line numbers exactly as a byte split, bounded memory, odd inputs."""

from __future__ import annotations

import io
import random

import pytest

from bot.triage import reading
from bot.triage.reading import AFTER, BEFORE, TAIL, has_hint, read_view
from bot.triage.text import clean


def split_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def random_log(rng: random.Random, n: int) -> bytes:
    words = [b"ok", b"compiling x", b"error: broken", b"FAIL pkg", b"", b"\r\rprogress 10%\r50%", b"z" * 70]
    weights = [30, 30, 1, 1, 5, 2, 3]
    data = b"\n".join(rng.choices(words, weights, k=n))
    return data + (b"\n" if rng.random() < 0.5 else b"")


@pytest.mark.parametrize("block", [5, 64, 1000, 1 << 20])
def test_kept_lines_match_a_byte_split(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "BLOCK", block)
    rng = random.Random(block)
    for _ in range(40):
        data = random_log(rng, rng.randint(0, 600))
        expected = split_lines(data)
        view = read_view(io.BytesIO(data))
        assert view.n_lines == len(expected)
        for number, line in view.lines.items():
            assert expected[number - 1] == line
        hits = [i for i, line in enumerate(expected, 1) if has_hint(line)]
        for hit in hits:
            for near in range(max(1, hit - BEFORE), min(len(expected), hit + AFTER) + 1):
                assert near in view.lines
        for tail in range(max(1, len(expected) - TAIL + 1), len(expected) + 1):
            assert tail in view.lines


def test_carriage_return_is_not_a_line_break() -> None:
    view = read_view(b"one\r\r\ntwo\rthree\nerror here\n")
    assert view.n_lines == 3
    assert clean(view.lines[2]) == "three"


def test_empty_and_missing_logs() -> None:
    assert read_view(b"").n_lines == 0
    assert read_view(io.BytesIO(b"")).lines == {}
    assert read_view(b"no newline at end").n_lines == 1


def test_multi_megabyte_line_is_clipped_but_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "BLOCK", 1 << 16)
    huge = b"x" * 3_000_000 + b" fatal error: disk on fire " + b"y" * 3_000_000
    view = read_view(io.BytesIO(b"first\n" + huge + b"\nlast\n"))
    assert view.n_lines == 3
    assert len(view.lines[2]) <= reading.LINE_CAP + 16
    assert b"disk on fire" in view.lines[2]
    assert view.lines[3] == b"last"


def test_memory_stays_bounded_with_hits_everywhere() -> None:
    data = b"".join(b"error %d\n" % i for i in range(200_000))
    view = read_view(io.BytesIO(data))
    assert view.n_lines == 200_000
    assert len(view.lines) <= reading.MAX_KEPT + AFTER + TAIL + reading.BLOCK // 8
    assert 1 in view.lines and 200_000 in view.lines


def test_clean_strips_ansi_prefixes_and_screens() -> None:
    raw = b"2024-05-01T10:00:00.1234567Z \x1b[31mError:\x1b[0m boom\r"
    assert clean(raw) == "Error: boom"
    assert clean(b"travis_time:end:0a1b:start=1,finish=2,duration=1The command \"x\" exited with 1.") == \
        'The command "x" exited with 1.'
    assert clean(b"build\tRun tests\t2022-05-30T09:11:02.8574703Z FAILED") == "FAILED"
    assert clean(b"\xff\xfebad utf8") == "\ufffd\ufffdbad utf8"


@pytest.mark.parametrize("block", [64, 1000, 1 << 18])
def test_hints_are_found_in_any_case_far_from_the_tail(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "BLOCK", block)
    marks = {500: b"Build FAILED.", 900: b"[ERROR] Compilation failure", 1300: b'The command "make" exited with 2.',
             1700: b"Error: boom"}
    lines = [marks.get(n, b"step output %d" % n) for n in range(1, 3001)]
    view = read_view(io.BytesIO(b"\n".join(lines) + b"\n"))
    assert [n for n in view.hits if n < 3000 - TAIL] == sorted(marks)
    for number, text in marks.items():
        assert view.lines[number] == text
        assert view.lines[number - BEFORE] == b"step output %d" % (number - BEFORE)
        assert view.lines[number + AFTER] == b"step output %d" % (number + AFTER)
    assert 2000 not in view.lines


def test_tail_keeps_whole_lines_within_its_byte_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "BLOCK", 4096)
    monkeypatch.setattr(reading, "TAIL_BYTES", 10_000)
    lines = [b"%05d " % n + b"x" * 995 for n in range(1, 501)]
    view = read_view(io.BytesIO(b"\n".join(lines) + b"\n"))
    assert view.n_lines == 500
    tail = sorted(view.lines)
    assert 5 <= len(tail) <= 10 and tail[-1] == 500
    assert all(view.lines[n] == lines[n - 1] for n in tail)

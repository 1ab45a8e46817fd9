"""A log scanned as two halves (on two cores) gives exactly the view of one pass over it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.cli.log_view import read_file_view
from bot.triage import triage
from bot.triage.reading import AFTER, BEFORE, MAX_KEPT, TAIL, merge, read_part, read_view

WORDS = ("compiling", "module", "cache", "resolved", "linking", "ok", "step", "done", "downloading")
HINTED = ("E   AssertionError: assert 1 == 2", "npm ERR! code ELIFECYCLE", "FAILED tests/test_x.py::test_y",
          "The command \"make\" exited with 2.", "Error: Process completed with exit code 1.")


def make_log(rng: random.Random, n: int, hits: list[int], long_every: int = 0) -> bytes:
    lines = []
    for number in range(1, n + 1):
        if number in hits:
            lines.append(rng.choice(HINTED))
        elif long_every and number % long_every == 0:
            lines.append("x" * rng.randint(5000, 9000))  # clipped lines
        else:
            lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 9))))
    return ("\n".join(lines) + ("\n" if rng.random() < 0.5 else "")).encode()


def halves(data: bytes, cut_line: int) -> tuple[bytes, bytes]:
    at = 0
    for _ in range(cut_line):
        at = data.index(b"\n", at) + 1
    return data[:at], data[at:]


@pytest.mark.parametrize("seed", range(12))
def test_two_halves_merge_into_the_single_pass_view(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(900, 2500)
    cut = rng.randint(BEFORE, n - TAIL - 1)
    # hits right at the border (windows cross it either way), and elsewhere
    hits = sorted({cut + d for d in (-AFTER - 1, -AFTER, -3, 0, 1, 2, BEFORE - 1, BEFORE, BEFORE + 1)
                   if rng.random() < 0.6} | {rng.randint(1, n) for _ in range(rng.randint(0, 8))})
    data = make_log(rng, n, hits, long_every=rng.choice((0, 0, 97)))
    first, second = halves(data, cut)
    merged = merge(read_part(first, last=False), read_part(second, last=True))
    assert merged == read_view(data)


def test_a_second_half_shorter_than_the_tail_is_refused() -> None:
    data = make_log(random.Random(1), 1000, [10, 990])
    first, second = halves(data, 1000 - TAIL + 5)
    assert merge(read_part(first, last=False), read_part(second, last=True)) is None


def test_overflowing_kept_lines_are_refused() -> None:
    n = (MAX_KEPT // 50) * 130
    data = make_log(random.Random(2), n, list(range(1, n, 50)))
    first, second = halves(data, n // 2)
    assert merge(read_part(first, last=False), read_part(second, last=True)) is None


def test_a_file_read_on_two_cores_triages_as_one_pass(tmp_path: Path) -> None:
    rng = random.Random(5)
    n = 4000
    data = make_log(rng, n, [n // 2 - 2, n // 2 + 3, n - 30])
    path = tmp_path / "job.log"
    path.write_bytes(data)
    view = read_file_view(str(path), parallel_bytes=1)  # forks even for a small file
    assert view == read_view(data)
    assert triage(view).to_json() == triage(data).to_json()

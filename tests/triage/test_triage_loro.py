"""bench/triage_loro.py on a few dev repositories: scores match score.py's rules, feedback stays per repository."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, shared_path


def _loro():
    spec = importlib.util.spec_from_file_location("triage_loro", REPO_ROOT / "bench" / "triage_loro.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["triage_loro"] = module
    spec.loader.exec_module(module)
    return module


def test_loro_scores_and_replays_per_repository(tmp_path: Path) -> None:
    loro = _loro()
    cases = [c for c in loro.load_cases(shared_path("bench", "triage", "cases")) if c.repo in {"git/git", "mimecraft"}]
    assert {c.repo for c in cases} == {"git/git", "mimecraft"}
    plain = loro.run(cases)
    fed = loro.run(cases, feedback=True)
    assert len(plain) == len(fed) == len(cases)
    assert all(0.0 <= r.recall <= 1.0 for r in plain + fed)
    first = {c.repo: c.id for c in reversed(cases)}       # each repository's oldest case: nothing learned yet
    for a, b in zip(plain, fed, strict=True):
        if first[a.case.repo] == a.case.id:
            assert a.recall == b.recall and a.lines == b.lines
    assert loro.score(cases[0], tuple(sorted(cases[0].golds[0]))).full
    assert loro.score(cases[0], ()).recall == 0.0

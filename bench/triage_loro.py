#!/usr/bin/env python3
"""Leave-one-repository-out evaluation of `teabot triage` on the dev cases of ../shared/bench/triage.

The triage is rule-based, so "training" is two things: the shape families in `bot.triage.families`
(chosen by hand) and what a repository's users taught it (`bot.triage.memory`). This bench scores
every case in-process, the way `score.py` does, and reports:

* per repository: hit / full with no learned state, and with the feedback replay of that
  repository alone (its earlier cases teach its later ones; nothing from other repositories);
* per source and per language, and overall hit / full / median lines, with and without feedback;
* per shape family: the repositories whose outcome the family changes (its "motivating" repositories)
  and dev hit on all the *other* repositories with the family on and off, so that a family is seen
  to hold on repositories that did not motivate it; and how many gold / other lines it flags, in
  how many repositories;
* "unknown tools": the tool-specific rule tables switched off (only the generic vocabulary left), as
  if every dev repository used tools the tables were never written for, with and without the shape
  families: what the shapes and the budget fill are worth on their own.

Usage: python bench/triage_loro.py [--cases DIR] [--no-families] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unittest import mock

from bot.triage import rules, triage
from bot.triage.families import FAMILIES, Family
from bot.debug.learned import DirectoryStore
from bot.triage.memory import learn_lines
from bot.triage.rules import SCORED_CHARS
from bot.triage.selection import ANCHOR
from bot.triage.text import clean

DEFAULT_CASES = Path(__file__).resolve().parents[2] / "shared" / "bench" / "triage" / "cases"


@dataclass(frozen=True)
class Case:
    """One dev case: its logs (bytes), gold line sets and grouping keys."""

    id: str
    repo: str
    source: str
    language: str
    failed: bytes
    passing: bytes | None
    golds: tuple[frozenset[int], ...]
    order: int


@dataclass(frozen=True)
class Row:
    """The score of one case."""

    case: Case
    recall: float
    lines: int

    @property
    def hit(self) -> bool:
        return self.recall >= 0.5

    @property
    def full(self) -> bool:
        return self.recall == 1.0


def load_cases(root: Path) -> list[Case]:
    """All cases under `root`, in the scorer's per-repository order."""
    cases = []
    for meta_path in sorted(root.glob("*/case.json")):
        meta = json.loads(meta_path.read_text())
        folder = meta_path.parent
        failed = gzip.decompress((folder / meta["failed_log"]).read_bytes())
        passing = gzip.decompress((folder / meta["passing_log"]).read_bytes()) if meta.get("passing_log") else None
        golds = tuple(frozenset(g) for g in [meta["gold_lines"], *(meta.get("gold_alternatives") or [])] if g)
        number = re.search(r"(\d+)$", meta["id"])
        cases.append(Case(meta["id"], meta["repo"], meta["source"], meta.get("language") or "?", failed, passing,
                          golds, int(number.group(1)) if number else 0))
    return sorted(cases, key=lambda c: (c.repo, c.order, c.id))


def score(case: Case, lines: tuple[int, ...]) -> Row:
    """Recall of an excerpt against the best gold set, as score.py computes it."""
    n_lines = len(case.failed.split(b"\n")) - case.failed.endswith(b"\n")
    excerpt = {n for n in lines if 1 <= n <= n_lines}
    recall = max((len(excerpt & g) / len(g) for g in case.golds), default=0.0)
    return Row(case, recall, len(excerpt))


def run(cases: list[Case], families: tuple[Family, ...] = FAMILIES, feedback: bool = False) -> list[Row]:
    """Score every case; with feedback, each repository replays alone through a fresh state directory."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="triage-loro-") as tmp:
        for case in cases:
            store = DirectoryStore(Path(tmp) / _slug(case.repo)) if feedback else None
            learned = store.load() if store else None
            result = triage(case.failed, case.passing, learned=learned, families=families)
            rows.append(score(case, result.lines))
            if store is not None:
                learn_lines(store, case.failed, sorted(case.golds[0]))
    return rows


def _slug(repo: str) -> str:
    return re.sub(r"[^\w.-]+", "_", repo)


def summary(rows: list[Row]) -> str:
    """hit / full / median lines of some rows."""
    if not rows:
        return "    -      -       -"
    hit = statistics.fmean(r.hit for r in rows)
    full = statistics.fmean(r.full for r in rows)
    return f"{hit:6.3f} {full:6.3f} {statistics.median(r.lines for r in rows):7g}"


def table(title: str, key: Callable[[Row], str], plain: list[Row], fed: list[Row]) -> None:
    """One grouped table: cases, then hit/full/median without and with feedback."""
    print(f"\n{title:<28}{'cases':>6}   {'hit':>6} {'full':>6} {'med':>7}   {'hit+fb':>6} {'full+fb':>7} {'med':>6}")
    for name in sorted({key(r) for r in plain}):
        group = [r for r in plain if key(r) == name]
        fed_group = [r for r in fed if key(r) == name]
        print(f"{name[:28]:<28}{len(group):>6}   {summary(group)}   {summary(fed_group)}")
    print(f"{'overall':<28}{len(plain):>6}   {summary(plain)}   {summary(fed)}")


def family_lines(cases: list[Case], family: Family) -> dict:
    """Where a family flags lines strongly enough to open a block: how many are gold (and in how many
    repositories) and how many are not; a shape that generalises flags gold lines in many repositories."""
    gold_hits, other_hits, repos = 0, 0, set()
    for case in cases:
        gold = case.golds[0]
        for number, raw in enumerate(case.failed.split(b"\n"), start=1):
            text = clean(raw)[:SCORED_CHARS]
            if text and family.rules and family.score(text, text.lower())[0] >= ANCHOR:
                if number in gold:
                    gold_hits += 1
                    repos.add(case.repo)
                else:
                    other_hits += 1
    return {"gold_lines": gold_hits, "other_lines": other_hits, "gold_repos": sorted(repos)}


def family_report(cases: list[Case], plain: list[Row]) -> list[dict]:
    """Per family: the repositories it changes, and hit on the other repositories with and without it."""
    out = []
    for family in FAMILIES:
        flagged = family_lines(cases, family)
        without = run(cases, tuple(f for f in FAMILIES if f is not family))
        changed = sorted({a.case.repo for a, b in zip(plain, without, strict=True) if a.hit != b.hit})
        gained = sum(a.hit and not b.hit for a, b in zip(plain, without, strict=True))
        lost = sum(b.hit and not a.hit for a, b in zip(plain, without, strict=True))
        others = [i for i, r in enumerate(plain) if r.case.repo not in changed]
        on = statistics.fmean(plain[i].hit for i in others) if others else float("nan")
        off = statistics.fmean(without[i].hit for i in others) if others else float("nan")
        full_on = statistics.fmean(plain[i].full for i in others) if others else float("nan")
        full_off = statistics.fmean(without[i].full for i in others) if others else float("nan")
        out.append({"family": family.name, "gained": gained, "lost": lost, "motivating": changed,
                    "hit_others_on": on, "hit_others_off": off, "full_on": full_on, "full_off": full_off, **flagged})
        print(f"{family.name:<12} hits +{gained} -{lost}  repos changed {len(changed):>2}  "
              f"hit w/o them on {on:.3f} off {off:.3f}  full on {full_on:.3f} off {full_off:.3f}  "
              f"flags {flagged['gold_lines']:>4} gold lines in {len(flagged['gold_repos']):>2} repos, "
              f"{flagged['other_lines']:>5} others")
    return out


def unknown_tools(cases: list[Case]) -> dict:
    """Hit / full / median with the tool tables off (generic rules only), with and without the families,
    and the per-family ablation in that setting (where no tool table hides what a family is worth)."""
    generic = tuple(sorted(rules.GENERIC, key=lambda rule: -rule.weight))
    with mock.patch.object(rules, "_BY_WEIGHT", generic):
        on = run(cases)
        off = run(cases, families=())
        print(f"\nunknown tools (tool tables off): with shape families {summary(on)}   without {summary(off)}"
              f"   (hit full median)")
        print("shape families with the tool tables off (ablation as above)")
        ablation = family_report(cases, on)
    return {"with_families": summary(on).split(), "without_families": summary(off).split(), "families": ablation}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="folder of case folders")
    parser.add_argument("--no-families", action="store_true", help="skip the per-family ablation (faster)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    if not args.cases.is_dir():
        print(f"cases folder not found: {args.cases} (the dev split lives in ../shared/bench/triage)",
              file=sys.stderr)
        return 2
    cases = load_cases(args.cases)
    plain = run(cases)
    fed = run(cases, feedback=True)
    table("repository (left out)", lambda r: r.case.repo, plain, fed)
    table("source", lambda r: r.case.source, plain, fed)
    table("language", lambda r: r.case.language, plain, fed)
    families, tools = [], {}
    if not args.no_families:
        print("\nshape families (ablation; 'without those repos' = the repositories whose hits it changes left out)")
        families = family_report(cases, plain)
        tools = unknown_tools(cases)
    print(f"\nloro: hit={summary(plain).split()[0]} full={summary(plain).split()[1]} "
          f"median_lines={summary(plain).split()[2]}  |  feedback: hit={summary(fed).split()[0]} "
          f"full={summary(fed).split()[1]} median_lines={summary(fed).split()[2]}")
    if args.json:
        args.json.write_text(json.dumps({
            "cases": [{"id": r.case.id, "repo": r.case.repo, "recall": r.recall, "lines": r.lines,
                       "recall_feedback": f.recall, "lines_feedback": f.lines}
                      for r, f in zip(plain, fed, strict=True)],
            "families": families, "unknown_tools": tools}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

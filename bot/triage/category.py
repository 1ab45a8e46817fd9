"""Failure categories and how the categories of the chosen lines add up to one verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import Enum


class Category(str, Enum):
    """Why a job failed, coarsely: what kind of fix it needs."""

    TEST = "test"
    COMPILE = "compile"
    LINT = "lint"
    DEPENDENCY = "dependency"
    INFRA = "infra"
    TIMEOUT = "timeout"
    RESOURCE = "resource"
    CONFIG = "config"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


# When lines disagree, the more specific and more actionable explanation wins ties.
_PRIORITY = {
    Category.RESOURCE: 8, Category.TIMEOUT: 7, Category.INFRA: 6, Category.DEPENDENCY: 5,
    Category.COMPILE: 4, Category.LINT: 3, Category.CONFIG: 2, Category.TEST: 1, Category.UNKNOWN: 0,
}


def decide(votes: Iterable[tuple[Category, float]]) -> Category:
    """The category with the most weight among (category, weight) votes; UNKNOWN when none."""
    totals: Counter[Category] = Counter()
    for category, weight in votes:
        if category is not Category.UNKNOWN and weight > 0:
            totals[category] += weight
    if not totals:
        return Category.UNKNOWN
    return max(totals, key=lambda c: (totals[c], _PRIORITY[c]))

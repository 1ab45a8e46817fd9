"""Token usage values and the per-job budget."""

from __future__ import annotations

import pytest

from bot.llm.errors import LLMBudgetExceeded, LLMError
from bot.llm.usage import TokenMeter, Usage, estimate_tokens


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)])
def test_estimate_tokens_is_a_quarter_of_the_characters(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_usage_totals() -> None:
    assert Usage(3, 4).total_tokens == 7
    assert Usage(1, 1, estimated=True).estimated


def test_unlimited_budget_never_refuses() -> None:
    budget = TokenMeter()
    budget.charge(Usage(10**9, 10**9))
    budget.check(10**9)
    assert (budget.used, budget.remaining) == (2 * 10**9, None)


def test_budget_counts_down_and_refuses_when_spent() -> None:
    budget = TokenMeter(100)
    budget.charge(Usage(30, 20))
    assert (budget.used, budget.remaining) == (50, 50)
    budget.check(50)
    with pytest.raises(LLMBudgetExceeded, match="51 more needed"):
        budget.check(51)
    budget.charge(Usage(60, 0))
    assert budget.remaining == 0  # overspent by the last call, never negative
    with pytest.raises(LLMBudgetExceeded, match="token budget of 100 exhausted: 110 used") as info:
        budget.check()
    assert isinstance(info.value, LLMError) and not info.value.transient


def test_zero_budget_refuses_the_first_call_and_negative_is_rejected() -> None:
    with pytest.raises(LLMBudgetExceeded):
        TokenMeter(0).check()
    with pytest.raises(ValueError, match="must not be negative"):
        TokenMeter(-1)
    assert repr(TokenMeter(5)) == "TokenMeter(limit=5, used=0)"

"""Tests of widget.pricing."""

from decimal import Decimal

import pytest

from widget.pricing import round_cents, subtotal, unit_price, with_tax


def test_unit_price_below_the_bulk_threshold_is_the_base_price():
    assert unit_price(Decimal("10.00"), 9) == Decimal("10.00")


def test_bulk_discount_starts_at_the_threshold():
    assert unit_price(Decimal("10.00"), 10) == Decimal("9.00")


def test_subtotal_multiplies_by_the_quantity():
    assert subtotal(Decimal("2.50"), 4) == Decimal("10.00")


def test_subtotal_rejects_a_negative_quantity():
    with pytest.raises(ValueError, match="negative"):
        subtotal(Decimal("2.50"), -1)


def test_with_tax_adds_twenty_percent():
    assert with_tax(Decimal("10.00")) == Decimal("12.00")


def test_round_cents_rounds_halves_up():
    assert round_cents(Decimal("0.125")) == Decimal("0.13")

"""Order pricing: unit prices with a bulk discount, tax, rounding to cents and order totals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BULK_THRESHOLD = 10  # units from which the bulk discount applies
BULK_DISCOUNT = Decimal("0.10")
TAX_RATE = Decimal("0.20")


def round_cents(amount: Decimal) -> Decimal:
    """`amount` rounded to whole cents, halves away from zero (as on an invoice)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price(base: Decimal, quantity: int) -> Decimal:
    """The price of one unit when `quantity` units are ordered."""
    if quantity >= BULK_THRESHOLD:
        return base * (1 - BULK_DISCOUNT)
    return base


def subtotal(base: Decimal, quantity: int) -> Decimal:
    """The price of `quantity` units before tax."""
    if quantity < 0:
        raise ValueError(f"quantity must not be negative, got {quantity}")
    return round_cents(unit_price(base, quantity) * quantity)


def with_tax(amount: Decimal) -> Decimal:
    """`amount` plus tax."""
    return round_cents(amount * (1 + TAX_RATE))

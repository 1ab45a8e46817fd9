"""Smoke test of a deployed widget: `python -m widget.smoke` exits 0 when a few known quotes hold."""

from __future__ import annotations

import sys
from decimal import Decimal

from widget.pricing import subtotal, with_tax

QUOTES = [((Decimal("2.50"), 4), Decimal("12.00")), ((Decimal("10.00"), 10), Decimal("108.00"))]


def main() -> int:
    """Check every known quote; print what differs."""
    wrong = [(args, want, with_tax(subtotal(*args))) for args, want in QUOTES if with_tax(subtotal(*args)) != want]
    for args, want, got in wrong:
        print(f"quote for {args}: expected {want}, got {got}")
    print("smoke test failed" if wrong else f"smoke test passed ({len(QUOTES)} quotes)")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

"""Prices for widget orders."""

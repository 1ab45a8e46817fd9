"""The test harness beside a source checkout: `teabot demo` and `teabot dev` use it, the package does not ship it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import bot


def use_harness() -> None:
    """Make the checkout's `harness/` importable, or stop with what to do when this is no checkout."""
    root = Path(bot.__file__).resolve().parents[1]
    if not (root / "harness" / "__init__.py").is_file():
        raise click.ClickException(
            "this command needs the test harness (fake Gitea, fake CI, scripted model), which only a source "
            "checkout has: clone the teabot repository and run `pip install -e .` there")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

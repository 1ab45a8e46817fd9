"""Slash-command parsing and the /help text."""

import pytest

from bot.commands import COMMANDS, Command, parse_command, render_help


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/help", Command("help", "")),
        ("/plan approve", Command("plan", "approve")),
        ("  /plan add a mobile client\nand offline mode", Command("plan", "add a mobile client\nand offline mode")),
        ("Thanks!\n/debug docs/spec", Command("debug", "docs/spec")),
        ("```\n/plan inside a fence\n```\n/help", Command("help", "")),
        ("> /plan quoted\nno command", None),
        ("a path like /usr/bin is not a command", None),
        ("", None),
        (None, None),
        ("/Plan capitalised is not a command", None),
    ],
)
def test_parse_command(body: str | None, expected: Command | None) -> None:
    assert parse_command(body) == expected


def test_words() -> None:
    assert Command("plan", "approve  now").words == ["approve", "now"]


def test_help_lists_every_command_or_only_enabled_ones() -> None:
    full = render_help()
    assert all(f"`{item.usage}`" in full for item in COMMANDS)
    only = render_help({"help", "summarize"})
    assert "/summarize" in only and "/plan" not in only and "/debug" not in only

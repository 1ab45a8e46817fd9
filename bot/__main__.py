"""`python -m bot` is the `teabot` command."""

from bot.cli import main

main(prog_name="teabot")

"""`python -m bot` is the `saual` command (see bot/cli.py; bot/factory.py builds the bot)."""

from .cli import main

main()

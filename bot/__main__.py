"""`python -m bot` is the `saual` command (see bot/cli.py; bot/app.py builds the bot)."""

from .cli import main

main()

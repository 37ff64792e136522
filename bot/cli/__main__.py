"""`python -m bot.cli` is the `saual` command."""

from . import main

main()

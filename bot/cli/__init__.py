"""The `saual` command line: run, chat, index, ask, eval, audit, translations, stations,
agency (staff chats, link codes, API tokens, feeds), review (staff confirmations
and corrections of pages), qa and worker (the
announcement outbox). One module per group of commands, all on one Typer app."""

from __future__ import annotations

from . import agency, audit, retrieval, review, serve, stations  # noqa: F401  (they register commands)
from .base import app, load_settings

__all__ = ["app", "load_settings", "main"]


def main() -> None:
    app()

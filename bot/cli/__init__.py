"""The `saual` command line: run, chat, index, ask, eval, audit, gaps, link, translations,
stations, agency (staff chats, link codes, API tokens, feeds), review (staff confirmations
and corrections of pages), qa and worker (the
announcement outbox). One module per group of commands, all on one Typer app."""

from __future__ import annotations

from . import (  # noqa: F401  (they register their commands)
    agency,
    audit,
    gaps,
    links,
    retrieval,
    review,
    serve,
    stations,
)
from .base import app, load_settings

__all__ = ["app", "load_settings", "main"]


def main() -> None:
    app()

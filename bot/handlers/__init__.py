"""Telegram handlers: one router per feature, in the order they must be tried.

Each module's ``build()`` makes a fresh Router, so every Dispatcher (the bot,
the terminal chat, each test) gets its own.
"""

from __future__ import annotations

from aiogram import Router

from . import ask, errors, feedback, media, menu, start


def routers() -> list[Router]:
    """Commands and buttons first, non-text next, free text (any question) last.

    The errors router also holds the catch-all for buttons nothing else
    handles, so it comes after every router that handles buttons.
    """
    return [start.build(), menu.build(), feedback.build(), errors.build(), media.build(),
            ask.build()]

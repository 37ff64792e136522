"""Telegram handlers: one router per feature, in the order they must be tried.

Each module's ``build()`` makes a fresh Router, so every Dispatcher (the bot,
the terminal chat, each test) gets its own.
"""

from __future__ import annotations

from aiogram import Router

from . import (
    ask,
    errors,
    feedback,
    groups,
    inline,
    links,
    media,
    menu,
    review,
    staff,
    start,
    stations,
    subscriptions,
    tickets,
)


def routers() -> list[Router]:
    """Commands and buttons first, non-text next, free text (any question) last.

    The polling-station router comes before the media router (a shared
    location is not text) and before the question router ("where do I vote?"
    and the address typed after it are its own). The errors router also holds
    the catch-all for buttons nothing else handles, so it comes after every
    router that handles buttons. The staff router (linked agency chats, where
    text may be an announcement being composed) comes before any text handler;
    the ask-an-agency router (staff replies in linked chats, the citizen's
    question being written) comes right after it. The review router (staff
    checking their pages) comes before the staff router, whose /cancel would
    otherwise end a correction as if it were an announcement. Deep links
    (/start with a payload) come before the plain /start; the community groups'
    router (questions to the bot by mention or reply, /quiet) comes after the
    staff routers, which handle replies to the bot in linked staff chats.
    """
    return [links.build(), start.build(), review.build(), staff.build(), tickets.build(),
            groups.build(), subscriptions.build(), menu.build(), feedback.build(),
            stations.build(), errors.build(), media.build(), ask.build(), inline.build()]

"""Users: first contact, the chosen language, the blocked flag."""

from __future__ import annotations

import logging

from embeddings import Lang

from ..storage import TRANSIENT_DB_ERRORS, Storage, User
from .catalog import LANGS

logger = logging.getLogger(__name__)


def choose_locale(saved: str | None, telegram_code: str | None) -> str:
    """The interface language: the user's choice first, else Telegram's setting.

    Many Kazakh speakers run Telegram in Russian, so the saved choice wins;
    without one, a Kazakh Telegram gets Kazakh and everything else Russian.
    """
    if saved in LANGS:
        return saved
    if telegram_code and telegram_code.lower().split("-")[0] == Lang.KK:
        return Lang.KK
    return Lang.RU


class Users:
    def __init__(self, storage: Storage):
        self.storage = storage

    async def seen(self, user_id: int, *, keep: bool = True) -> User:
        """The user's record, created on first contact when `keep`; else only read:
        of the people the bot meets outside a private chat (in a group, in inline
        mode) it keeps nothing they did not bring to it. Without a record, or while
        the database is unavailable, an unsaved one (no saved language), so that
        questions are still answered from the index."""
        users = self.storage.users
        try:
            found = await (users.get_or_create(user_id) if keep else users.get(user_id))
        except TRANSIENT_DB_ERRORS as exc:
            logger.warning("user %d: database unavailable (%s); serving without the record",
                           user_id, type(exc).__name__)
            found = None
        if found is None:
            now = self.storage.clock.time()
            return User(user_id, None, False, now, now)
        return found

    async def set_language(self, user_id: int, lang: str) -> User:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}")
        logger.info("user %d chose %s", user_id, lang)
        return await self.storage.users.set_language(user_id, lang)

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        logger.info("user %d %s the bot", user_id, "blocked" if blocked else "unblocked")
        await self.storage.users.set_blocked(user_id, blocked)

"""Community groups: the bot answers there only when mentioned or replied to,
and keeps quiet where an administrator said /quiet.

Nothing about a group's members is kept: whether a group is quiet is its only
record, and the questions asked there go to the masked question log like any
other (:class:`~bot.services.answers.Answers`).
"""

from __future__ import annotations

import logging

from ..storage import TRANSIENT_DB_ERRORS, Storage

logger = logging.getLogger(__name__)


class Groups:
    def __init__(self, storage: Storage):
        self.storage = storage

    async def quiet(self, chat_id: int) -> bool:
        """Whether the group's administrators muted the bot. While the database
        cannot say, the bot keeps quiet: a muted group must not hear from it."""
        try:
            return await self.storage.groups.quiet(chat_id)
        except TRANSIENT_DB_ERRORS as exc:
            logger.warning("group %d: database unavailable (%s); keeping quiet there",
                           chat_id, type(exc).__name__)
            return True

    async def set_quiet(self, chat_id: int, quiet: bool) -> None:
        logger.info("group %d: %s", chat_id, "quiet" if quiet else "answering again")
        await self.storage.groups.set_quiet(chat_id, quiet)

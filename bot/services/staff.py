"""Agency staff chats and API tokens: one-time link codes, hashed secrets.

Reusable by every feature that talks to an agency's staff (announcements,
ask-an-agency): :meth:`StaffChats.agency_of` says which agency a chat is
linked to. Codes and tokens are shown once and stored only as sha256.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable

from ..storage import Storage

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 10


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class StaffChats:
    def __init__(self, storage: Storage, agencies: set[str] | dict, *, code_ttl: float,
                 clock: Callable[[], float] = time.time):
        self.storage = storage
        self.agencies = agencies
        self.code_ttl = code_ttl
        self.clock = clock

    def _check(self, agency: str) -> None:
        if agency not in self.agencies:
            raise ValueError(f"unknown agency {agency!r}")

    async def invite(self, agency: str) -> str:
        """A new one-time code that links a chat to `agency` (`/link CODE`)."""
        self._check(agency)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        await self.storage.staff.add_code(digest(code), agency, self.clock() + self.code_ttl)
        logger.info("link code issued for %s", agency)
        return code

    async def link(self, chat_id: int, user_id: int, code: str, lang: str = "ru") -> str | None:
        """Link `chat_id` with a valid unused code; the agency, or None. The bot
        writes to the chat in `lang` (the language of whoever linked it)."""
        agency = await self.storage.staff.link(digest(normalize_code(code)), chat_id, user_id,
                                               self.clock(), lang)
        if agency:
            logger.info("chat %d linked to %s by user %d", chat_id, agency, user_id)
        else:
            logger.info("chat %d: a wrong or spent link code", chat_id)
        return agency

    async def agency_of(self, chat_id: int) -> str | None:
        return await self.storage.staff.agency_of(chat_id)

    async def chat(self, chat_id: int) -> tuple[str, str] | None:
        """(agency, language) of a linked chat, or None."""
        return await self.storage.staff.chat_of(chat_id)

    async def issue_token(self, agency: str) -> str:
        """A new API token for `agency`; it replaces the previous one."""
        self._check(agency)
        token = f"{agency}.{secrets.token_urlsafe(32)}"
        await self.storage.staff.set_token(agency, digest(token))
        logger.info("API token issued for %s", agency)
        return token

    async def agency_for_token(self, token: str) -> str | None:
        return await self.storage.staff.agency_of_token(digest(token)) if token else None

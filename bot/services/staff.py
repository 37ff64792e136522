"""Who may act for an agency: its staff chat, its staff members, API tokens.

A staff action (an announcement, taking, passing on, rejecting or answering a
citizen's question) needs both: the agency's linked chat, and a person with
staff rights for that agency (:meth:`StaffChats.staff_chat`). The group's
administrators when it is linked get the rights; maintainers add and remove
people (``saual agency staff``) and revoke a chat (``saual agency unlink``).
An agency has one linked chat: linking another replaces it at once. A chat
that refuses the bot (403: it was removed from the group) is unlinked the same
way, and its open questions wait for the agency as if none had been linked.

Reusable by every feature that talks to an agency's staff (announcements,
ask-an-agency). Codes and tokens are shown once and stored only as sha256.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable

from embeddings import Lang

from ..storage import StaffChat, StaffMember, Storage

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

    async def link(self, chat_id: int, user_id: int, code: str, lang: str = Lang.RU,
                   admins: Iterable[int] = ()) -> str | None:
        """Link `chat_id` with a valid unused code; the agency, or None. The bot
        writes to the chat in `lang` (the language of whoever linked it). The
        chat replaces the agency's previous one; `user_id` and `admins` (the
        group's administrators) become the agency's staff, replacing the old."""
        admins = set(admins)
        agency = await self.storage.staff.link(digest(normalize_code(code)), chat_id, user_id,
                                               self.clock(), lang, admins)
        if agency:
            logger.info("chat %d linked to %s by user %d; %d staff members", chat_id, agency,
                        user_id, len(admins | {user_id}))
        else:
            logger.info("chat %d: a wrong or spent link code", chat_id)
        return agency

    async def agency_of(self, chat_id: int) -> str | None:
        return await self.storage.staff.agency_of(chat_id)

    async def chat(self, chat_id: int) -> tuple[str, str] | None:
        """(agency, language) of a linked chat, or None."""
        return await self.storage.staff.chat_of(chat_id)

    async def staff_chat(self, chat_id: int, user_id: int) -> tuple[str, str] | None:
        """(agency, language) when `chat_id` is a linked chat and `user_id` has
        staff rights for its agency; None otherwise: the person may not act."""
        return await self.storage.staff.staff_chat(chat_id, user_id)

    async def unlink(self, *, agency: str | None = None,
                     chat_id: int | None = None) -> list[StaffChat]:
        """Revoke the linked chat of `agency` (or the chat `chat_id`): nobody acts
        from it any more, and its open questions wait for a new link."""
        revoked = await self.storage.staff.unlink(agency=agency, chat_id=chat_id)
        for chat in revoked:
            logger.warning("chat %d of %s unlinked; its open questions wait for a new "
                           "staff chat", chat.chat_id, chat.agency)
        return revoked

    async def add_member(self, agency: str, user_id: int) -> bool:
        """Give `user_id` staff rights for `agency` (a maintainer's decision)."""
        self._check(agency)
        added = await self.storage.staff.add_member(agency, user_id)
        logger.info("user %d: staff rights for %s %s", user_id, agency,
                    "given" if added else "already held")
        return added

    async def remove_member(self, agency: str, user_id: int) -> bool:
        """Take `user_id`'s staff rights for `agency`; they stop at once."""
        self._check(agency)
        removed = await self.storage.staff.remove_member(agency, user_id)
        logger.info("user %d: staff rights for %s %s", user_id, agency,
                    "removed" if removed else "were not held")
        return removed

    async def members(self, agency: str) -> list[StaffMember]:
        self._check(agency)
        return await self.storage.staff.members(agency)

    async def chats(self, agency: str) -> list[StaffChat]:
        self._check(agency)
        return await self.storage.staff.chats(agency)

    async def issue_token(self, agency: str) -> str:
        """A new API token for `agency`; it replaces the previous one."""
        self._check(agency)
        token = f"{agency}.{secrets.token_urlsafe(32)}"
        await self.storage.staff.set_token(agency, digest(token))
        logger.info("API token issued for %s", agency)
        return token

    async def agency_for_token(self, token: str) -> str | None:
        return await self.storage.staff.agency_of_token(digest(token)) if token else None

"""Who may act for an agency: its one linked staff chat, the people with staff
rights (staff members), the one-time link codes and the API tokens.

An agency has at most one linked chat: linking another one replaces it in the
same transaction. Open tickets shown in a chat that is no longer its agency's
linked chat are released (no staff chat): they wait, and are posted again when
the agency links a chat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from embeddings import Lang

from .base import Repo
from .tables import api_tokens, staff_chats, staff_codes, staff_members, tickets
from .tickets import OPEN_STATUSES, TicketStatus


@dataclass(frozen=True)
class StaffMember:
    agency: str
    user_id: int
    added_by: int | None  # who linked the group (its admins then); None: a maintainer
    added_at: float  # unix seconds


@dataclass(frozen=True)
class StaffChat:
    chat_id: int
    agency: str
    lang: str


async def _release(conn) -> int:
    """Free the open tickets held by a chat that is not their agency's linked one:
    no staff chat, and not taken (whoever took one may have no rights now)."""
    held = sa.select(staff_chats.c.chat_id).where(staff_chats.c.agency == tickets.c.agency)
    done = await conn.execute(tickets.update().where(
        tickets.c.status.in_(OPEN_STATUSES), tickets.c.staff_chat.is_not(None),
        tickets.c.staff_chat.not_in(held.scalar_subquery()))
        .values(staff_chat=None, staff_message=None, status=TicketStatus.OPEN, taken_by=None))
    return done.rowcount


class StaffRepo(Repo):
    async def add_code(self, code_hash: str, agency: str, expires_at: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(staff_codes.insert().values(
                code_hash=code_hash, agency=agency, expires_at=expires_at))

    async def link(self, code_hash: str, chat_id: int, user_id: int, now: float,
                   lang: str = Lang.RU, admins: Iterable[int] = ()) -> str | None:
        """Spend a valid code on `chat_id`, whose messages will be in `lang`; the
        agency, or None for a bad code. The chat replaces the agency's previous
        one, and `admins` (with the linking user) replace its staff members; `now`
        decides the code's expiry and stamps the link."""
        people = {user_id, *admins}
        async with self.engine.begin() as conn:
            spent = await conn.execute(
                staff_codes.update()
                .where(staff_codes.c.code_hash == code_hash, staff_codes.c.used_at.is_(None),
                       staff_codes.c.expires_at > now)
                .values(used_at=now).returning(staff_codes.c.agency))
            agency = spent.scalar()
            if agency is None:
                return None
            await conn.execute(staff_chats.delete().where(
                sa.or_(staff_chats.c.agency == agency, staff_chats.c.chat_id == chat_id)))
            await conn.execute(staff_chats.insert().values(
                chat_id=chat_id, agency=agency, linked_by=user_id, linked_at=now, lang=lang))
            await conn.execute(staff_members.delete().where(staff_members.c.agency == agency))
            await conn.execute(staff_members.insert(), [
                {"agency": agency, "user_id": u, "added_by": user_id, "added_at": now}
                for u in sorted(people)])
            await _release(conn)
        return agency

    async def unlink(self, *, agency: str | None = None,
                     chat_id: int | None = None) -> list[StaffChat]:
        """Revoke the linked chat of `agency`, or the chat `chat_id`; the chats
        revoked (none: nothing was linked). Its open tickets then wait."""
        if (agency is None) == (chat_id is None):
            raise ValueError("unlink takes an agency or a chat id")
        where = staff_chats.c.agency == agency if agency is not None \
            else staff_chats.c.chat_id == chat_id
        async with self.engine.begin() as conn:
            rows = (await conn.execute(staff_chats.delete().where(where).returning(
                staff_chats.c.chat_id, staff_chats.c.agency, staff_chats.c.lang))).all()
            await _release(conn)
        return [StaffChat(r.chat_id, r.agency, r.lang) for r in rows]

    async def agency_of(self, chat_id: int) -> str | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(staff_chats.c.agency)
                                       .where(staff_chats.c.chat_id == chat_id))).scalar()

    async def lang_of(self, chat_id: int) -> str | None:
        found = await self.chat_of(chat_id)
        return found[1] if found else None

    async def chat_of(self, chat_id: int) -> tuple[str, str] | None:
        """The agency a chat is linked to and the chat's language, or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(staff_chats.c.agency, staff_chats.c.lang)
                                      .where(staff_chats.c.chat_id == chat_id))).first()
        return (row.agency, row.lang) if row else None

    async def staff_chat(self, chat_id: int, user_id: int) -> tuple[str, str] | None:
        """(agency, language) when `chat_id` is linked and `user_id` is one of that
        agency's staff members; else None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                sa.select(staff_chats.c.agency, staff_chats.c.lang).join(
                    staff_members, staff_members.c.agency == staff_chats.c.agency)
                .where(staff_chats.c.chat_id == chat_id,
                       staff_members.c.user_id == user_id))).first()
        return (row.agency, row.lang) if row else None

    async def chats(self, agency: str) -> list[StaffChat]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(staff_chats).where(
                staff_chats.c.agency == agency))).all()
        return [StaffChat(r.chat_id, r.agency, r.lang) for r in rows]

    async def all_chats(self) -> list[StaffChat]:
        """Every linked staff chat, by agency."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(staff_chats)
                                       .order_by(staff_chats.c.agency))).all()
        return [StaffChat(r.chat_id, r.agency, r.lang) for r in rows]

    async def add_member(self, agency: str, user_id: int, added_by: int | None = None) -> bool:
        """Give `user_id` staff rights for `agency`; False when they had them."""
        async with self.engine.begin() as conn:
            done = await conn.execute(self.upsert(staff_members).values(
                agency=agency, user_id=user_id, added_by=added_by, added_at=self.now())
                .on_conflict_do_nothing())
        return done.rowcount == 1

    async def remove_member(self, agency: str, user_id: int) -> bool:
        """Take `user_id`'s staff rights for `agency`; False when they had none."""
        async with self.engine.begin() as conn:
            done = await conn.execute(staff_members.delete().where(
                staff_members.c.agency == agency, staff_members.c.user_id == user_id))
        return done.rowcount == 1

    async def members(self, agency: str) -> list[StaffMember]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(staff_members).where(
                staff_members.c.agency == agency).order_by(staff_members.c.user_id))).all()
        return [StaffMember(r.agency, r.user_id, r.added_by, r.added_at) for r in rows]

    async def set_token(self, agency: str, token_hash: str) -> None:
        """The agency's API token; a new one replaces the old one."""
        async with self.engine.begin() as conn:
            await conn.execute(api_tokens.delete().where(api_tokens.c.agency == agency))
            await conn.execute(api_tokens.insert().values(
                token_hash=token_hash, agency=agency, created_at=self.now()))

    async def agency_of_token(self, token_hash: str) -> str | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(api_tokens.c.agency)
                                       .where(api_tokens.c.token_hash == token_hash))).scalar()

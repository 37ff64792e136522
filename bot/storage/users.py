"""Users: a row per Telegram user met, with the chosen language and the flags."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .base import Repo
from .tables import users


@dataclass(frozen=True)
class User:
    id: int
    language: str | None
    blocked: bool
    created_at: float  # unix seconds
    updated_at: float


def _user(row) -> User:
    return User(row.id, row.language, bool(row.blocked), row.created_at, row.updated_at)


class UserRepo(Repo):
    async def get(self, user_id: int) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def get_or_create(self, user_id: int) -> User:
        found = await self.get(user_id)
        if found:
            return found
        now = self.now()
        stmt = self.upsert(users).values(
            id=user_id, language=None, blocked=False, created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=[users.c.id])
        async with self.engine.begin() as conn:
            await conn.execute(stmt)
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one()
        return _user(row)

    async def set_language(self, user_id: int, language: str) -> User:
        await self.get_or_create(user_id)
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(language=language, updated_at=self.now()))
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one()
        return _user(row)

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.get_or_create(user_id)
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(blocked=blocked, updated_at=self.now()))

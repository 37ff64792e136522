"""Community groups: only whether the bot was told to keep quiet in one."""

from __future__ import annotations

import sqlalchemy as sa

from .base import Repo
from .tables import quiet_groups


class GroupRepo(Repo):
    async def quiet(self, chat_id: int) -> bool:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(quiet_groups.c.chat_id).where(
                quiet_groups.c.chat_id == chat_id))).first()
        return row is not None

    async def set_quiet(self, chat_id: int, quiet: bool) -> None:
        async with self.engine.begin() as conn:
            if not quiet:
                await conn.execute(quiet_groups.delete().where(
                    quiet_groups.c.chat_id == chat_id))
                return
            await conn.execute(self.upsert(quiet_groups).values(
                chat_id=chat_id, since=self.now()).on_conflict_do_nothing(
                index_elements=[quiet_groups.c.chat_id]))

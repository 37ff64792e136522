"""Subscriptions: the agencies and regions a user follows, and the user's pause
(/stop) of all announcements."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa

from .base import Repo
from .tables import subscriptions, users


class Follows(StrEnum):
    """What a subscription follows (the values stored in ``subscriptions.kind``)."""

    AGENCY = "agency"  # an agency's announcements, wherever they are for
    REGION = "region"  # every announcement for a region


class SubscriptionRepo(Repo):
    async def list(self, user_id: int) -> set[tuple[str, str]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(subscriptions.c.kind, subscriptions.c.target)
                                       .where(subscriptions.c.user_id == user_id))).all()
        return {(r.kind, r.target) for r in rows}

    async def toggle(self, user_id: int, kind: str, target: str) -> bool:
        """Follow `target`, or stop following it; True when now followed."""
        where = sa.and_(subscriptions.c.user_id == user_id, subscriptions.c.kind == kind,
                        subscriptions.c.target == target)
        async with self.engine.begin() as conn:
            deleted = (await conn.execute(subscriptions.delete().where(where))).rowcount
            if deleted:
                return False
            await conn.execute(self.upsert(subscriptions).values(
                user_id=user_id, kind=kind, target=target, created_at=self.now(),
            ).on_conflict_do_nothing())
        return True

    async def set_paused(self, user_id: int, paused: bool) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(paused=paused, updated_at=self.now()))

    async def paused(self, user_id: int) -> bool:
        async with self.engine.connect() as conn:
            value = (await conn.execute(sa.select(users.c.paused)
                                        .where(users.c.id == user_id))).scalar()
        return bool(value)

"""Database helpers for tests: reads that only tests (and the benchmarks) need,
straight from the tables, so the repositories carry no test-only methods."""

from __future__ import annotations

import sqlalchemy as sa

from bot.clock import Clock
from bot.storage import Storage
from bot.storage.tables import outbox


async def outbox_rows(storage: Storage, announcement_id: int | None = None) -> list[dict]:
    """Every outbox row (of one announcement), in id order, as column -> value."""
    stmt = sa.select(outbox).order_by(outbox.c.id)
    if announcement_id is not None:
        stmt = stmt.where(outbox.c.announcement_id == announcement_id)
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]


class FrozenClock(Clock):
    """A clock that reads `now`, always (unix seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

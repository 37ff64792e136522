"""Feeds: agencies' RSS/Atom feeds, the items already seen, the last poll's outcome.

Poll times are unix seconds in Float columns, handed in by the poller (its clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from .base import Repo, chunks
from .tables import feed_items, feeds


@dataclass(frozen=True)
class Feed:
    id: int
    agency: str
    url: str
    lang: str
    polled_at: float | None
    last_error: str | None = None  # why the last poll failed; None after a good one
    failed_at: float | None = None


def _feed(row) -> Feed:
    return Feed(row.id, row.agency, row.url, row.lang, row.polled_at, row.last_error,
                row.failed_at)


class FeedRepo(Repo):
    async def add(self, agency: str, url: str, lang: str) -> Feed:
        async with self.engine.begin() as conn:
            await conn.execute(self.upsert(feeds).values(
                agency=agency, url=url, lang=lang, polled_at=None, created_at=self.now(),
            ).on_conflict_do_update(index_elements=[feeds.c.agency, feeds.c.url],
                                    set_={"lang": lang}))
            row = (await conn.execute(sa.select(feeds).where(
                feeds.c.agency == agency, feeds.c.url == url))).one()
        return _feed(row)

    async def all(self) -> list[Feed]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(feeds).order_by(feeds.c.id))).all()
        return [_feed(r) for r in rows]

    async def unseen(self, feed_id: int, keys: Sequence[str]) -> list[str]:
        """The keys not noted as seen for the feed, in their order."""
        seen: set[str] = set()
        async with self.engine.connect() as conn:
            for part in chunks(list(keys)):
                seen.update((await conn.execute(sa.select(feed_items.c.key).where(
                    feed_items.c.feed_id == feed_id, feed_items.c.key.in_(part)))).scalars())
        return [k for k in keys if k not in seen]

    async def mark_seen(self, feed_id: int, keys: Sequence[str], now: float) -> None:
        """Note the keys as seen, and the poll as good (its error is cleared)."""
        async with self.engine.begin() as conn:
            for part in chunks(list(dict.fromkeys(keys))):
                await conn.execute(self.upsert(feed_items).values(
                    [{"feed_id": feed_id, "key": key} for key in part]).on_conflict_do_nothing())
            await conn.execute(feeds.update().where(feeds.c.id == feed_id)
                               .values(polled_at=now, last_error=None))

    async def note_error(self, feed_id: int, error: str, now: float) -> None:
        """Record why a poll of the feed failed."""
        async with self.engine.begin() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id)
                               .values(last_error=error[:300], failed_at=now))

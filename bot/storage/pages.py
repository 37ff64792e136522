"""Published answers (Q&A pages) and the index generation they wait for.

Publishing or withdrawing a page is one transaction that writes its record and
bumps the *wanted* generation. A worker builds the index when wanted is ahead
of *built*, under a lease so that one worker builds at a time (the lease has
an end: a worker that died mid-build is taken over when it runs out), and
records as built the generation it read the pages at. Every transaction
starts with a write, so SQLite takes its write lock at once and PostgreSQL
orders concurrent writers on the one ``index_state`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .base import Repo
from .tables import index_state, qa_pages


class PageState(StrEnum):
    """A published answer's state (the values stored in ``qa_pages.state``)."""

    LIVE = "live"
    WITHDRAWN = "withdrawn"  # the ticket was reopened
    REFUSED = "refused"  # the index build refused the page


LIVE, WITHDRAWN, REFUSED = PageState
REASON_CHARS = 300
_ONE = index_state.c.id == 1


@dataclass(frozen=True)
class QAPage:
    ticket_id: int
    agency: str
    lang: str
    markdown: str
    state: str  # live | withdrawn | refused
    reason: str  # why the index build refused it
    generation: int  # the wanted generation its last change bumped to
    updated_at: float


@dataclass(frozen=True)
class IndexState:
    wanted: int
    built: int
    lease_owner: str | None
    lease_until: float | None

    @property
    def stale(self) -> bool:
        """A change was published that no build has in it yet."""
        return self.wanted > self.built


class QAPageRepo(Repo):
    # -- the pages -------------------------------------------------------------
    async def publish(self, ticket_id: int, *, agency: str, lang: str, markdown: str,
                      now: float) -> QAPage:
        """Store the ticket's page, live (replacing any earlier one), and ask for a build."""
        async with self.engine.begin() as conn:
            generation = await _bump(conn)
            values = {"agency": agency, "lang": lang, "markdown": markdown, "state": LIVE,
                      "reason": "", "generation": generation, "updated_at": now}
            await conn.execute(self.upsert(qa_pages).values(ticket_id=ticket_id, **values)
                               .on_conflict_do_update(index_elements=[qa_pages.c.ticket_id],
                                                      set_=values))
        found = await self.get(ticket_id)
        assert found is not None
        return found

    async def withdraw(self, ticket_id: int, *, agency: str, lang: str, now: float,
                       published: bool) -> bool:
        """Withdraw the ticket's page and ask for a build; False when there was
        nothing to withdraw. Without a record, one is written (withdrawn) only
        when the ticket was `published`: its page may be a file from before the
        pages were kept here, and the record withdraws the file too."""
        async with self.engine.begin() as conn:
            done = await conn.execute(qa_pages.update().where(
                qa_pages.c.ticket_id == ticket_id, qa_pages.c.state != WITHDRAWN)
                .values(state=WITHDRAWN, reason="", updated_at=now))
            if done.rowcount == 0:
                if not published:
                    return False
                done = await conn.execute(self.upsert(qa_pages).values(
                    ticket_id=ticket_id, agency=agency, lang=lang, markdown="",
                    state=WITHDRAWN, reason="", generation=0, updated_at=now)
                    .on_conflict_do_nothing(index_elements=[qa_pages.c.ticket_id]))
                if done.rowcount == 0:  # withdrawn already
                    return False
            generation = await _bump(conn)
            await conn.execute(qa_pages.update().where(qa_pages.c.ticket_id == ticket_id)
                               .values(generation=generation))
        return True

    async def refuse(self, ticket_id: int, generation: int, reason: str, now: float) -> bool:
        """The index build refused the live page it read at `generation`: it is
        left out of builds until it is published again (a newer record, or a
        withdrawn one, is not touched)."""
        async with self.engine.begin() as conn:
            done = await conn.execute(qa_pages.update().where(
                qa_pages.c.ticket_id == ticket_id, qa_pages.c.generation == generation,
                qa_pages.c.state == LIVE).values(state=REFUSED, reason=reason[:REASON_CHARS],
                                                 updated_at=now))
        return done.rowcount == 1

    async def get(self, ticket_id: int) -> QAPage | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(qa_pages).where(
                qa_pages.c.ticket_id == ticket_id))).first()
        return QAPage(**row._mapping) if row else None

    async def snapshot(self) -> tuple[int, list[QAPage]]:
        """The wanted generation, then every page record: read in this order, the
        pages hold every change up to that generation (maybe later ones too)."""
        async with self.engine.connect() as conn:
            wanted = (await conn.execute(sa.select(index_state.c.wanted).where(_ONE))
                      ).scalar_one()
            rows = await conn.execute(sa.select(qa_pages).order_by(qa_pages.c.ticket_id))
            return wanted, [QAPage(**r._mapping) for r in rows]

    # -- the build and its lease ---------------------------------------------------
    async def state(self) -> IndexState:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(index_state).where(_ONE))).one()
        return IndexState(row.wanted, row.built, row.lease_owner, row.lease_until)

    async def acquire(self, owner: str, now: float, ttl: float, *, stale_only: bool = True
                      ) -> bool:
        """Take the build lease for `ttl` seconds unless another owner holds one
        that has not run out; with `stale_only`, only when a build is wanted."""
        free = sa.or_(index_state.c.lease_owner.is_(None), index_state.c.lease_until < now,
                      index_state.c.lease_owner == owner)
        stale = index_state.c.wanted > index_state.c.built if stale_only else sa.true()
        async with self.engine.begin() as conn:
            done = await conn.execute(index_state.update().where(_ONE, free, stale)
                                      .values(lease_owner=owner, lease_until=now + ttl))
        return done.rowcount == 1

    async def renew(self, owner: str, now: float, ttl: float) -> bool:
        """Extend `owner`'s lease; False when it is no longer theirs."""
        async with self.engine.begin() as conn:
            done = await conn.execute(index_state.update().where(
                _ONE, index_state.c.lease_owner == owner).values(lease_until=now + ttl))
        return done.rowcount == 1

    async def release(self, owner: str, built: int | None = None) -> bool:
        """Give the lease back, recording `built` (the generation the new build was
        made from) if given; False, recording nothing, when the lease was lost."""
        values: dict = {"lease_owner": None, "lease_until": None}
        if built is not None:
            values["built"] = sa.case((index_state.c.built < built, built),
                                      else_=index_state.c.built)
        async with self.engine.begin() as conn:
            done = await conn.execute(index_state.update().where(
                _ONE, index_state.c.lease_owner == owner).values(**values))
        return done.rowcount == 1


async def _bump(conn: AsyncConnection) -> int:
    """Ask for a new build: the wanted generation plus one, returned."""
    await conn.execute(index_state.update().where(_ONE)
                       .values(wanted=index_state.c.wanted + 1))
    return (await conn.execute(sa.select(index_state.c.wanted).where(_ONE))).scalar_one()

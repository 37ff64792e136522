"""Answer-change notices: the pages citizens watch ("notify me if this changes")
and each page's facts as last seen, with the notice queued in the outbox when
they change.

Every bot instance compares the index build it loads with ``page_facts``;
:meth:`PageFactsRepo.advance` moves a page from the version it read to the
next one only if no other instance did meanwhile (a conditional UPDATE), and
queues the notice in the same transaction: however many instances load the
build, one notice per change, and one outbox row per watcher (the outbox's
unique (announcement, chat) and the announcement's dedupe key stand behind it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from .announcements import CHANGE_SOURCE, Announcement, OutboxStatus, _announcement
from .base import Repo, chunks
from .tables import announcements, outbox, page_facts, page_watches, users

# The agency of a change notice: the bot itself ("" is no agency id, so no
# staff chat's /status and no API token ever lists one).
CHANGE_AGENCY = ""


@dataclass(frozen=True)
class Watch:
    user_id: int
    topic_id: str
    lang: str
    since: float  # unix seconds: set, or last asked about since


@dataclass(frozen=True)
class StoredFacts:
    """A page's facts as last seen (``facts``: the JSON embeddings.Facts writes)."""

    topic_id: str
    lang: str
    version: int
    digest: str
    facts: str
    build: str  # the index build they were read from


@dataclass(frozen=True)
class Notice:
    """What a change notice says: the page's title in each language, what changed."""

    title_kk: str
    title_ru: str
    changes: tuple[str, ...]


class WatchRepo(Repo):
    async def set(self, user_id: int, topic_id: str, lang: str, on: bool, now: float) -> None:
        """Watch `topic_id` in `lang` from `now` (again: the 90 days start over), or
        stop watching it."""
        async with self.engine.begin() as conn:
            if not on:
                await conn.execute(page_watches.delete().where(
                    page_watches.c.user_id == user_id, page_watches.c.topic_id == topic_id))
                return
            await conn.execute(self.upsert(page_watches).values(
                user_id=user_id, topic_id=topic_id, lang=lang, since=now,
            ).on_conflict_do_update(index_elements=[page_watches.c.user_id,
                                                    page_watches.c.topic_id],
                                    set_={"lang": lang, "since": now}))

    async def get(self, user_id: int, topic_id: str, live_since: float) -> Watch | None:
        """The watch, unless it lapsed (set before `live_since`)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(page_watches).where(
                page_watches.c.user_id == user_id, page_watches.c.topic_id == topic_id,
                page_watches.c.since >= live_since))).first()
        return Watch(row.user_id, row.topic_id, row.lang, row.since) if row else None

    async def renew(self, user_id: int, topic_id: str, now: float, live_since: float) -> bool:
        """The citizen asked about `topic_id` again: a live watch counts from `now`.
        True when there is one."""
        async with self.engine.begin() as conn:
            result = await conn.execute(page_watches.update().where(
                page_watches.c.user_id == user_id, page_watches.c.topic_id == topic_id,
                page_watches.c.since >= live_since).values(since=now))
        return result.rowcount > 0

    async def forget_lapsed(self, live_since: float) -> int:
        """Delete the watches that lapsed; how many."""
        async with self.engine.begin() as conn:
            result = await conn.execute(page_watches.delete().where(
                page_watches.c.since < live_since))
        return result.rowcount


class PageFactsRepo(Repo):
    async def all(self) -> dict[tuple[str, str], StoredFacts]:
        """Every page's stored facts by (topic id, lang)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(page_facts))).all()
        return {(r.topic_id, r.lang): StoredFacts(r.topic_id, r.lang, r.version, r.digest,
                                                  r.facts, r.build) for r in rows}

    async def first_seen(self, pages: Sequence[tuple[str, str, str, str]], build: str,
                         now: float) -> None:
        """Store (topic id, lang, digest, facts) of pages never seen before, read
        from `build`, as version 1; a page another instance stored meanwhile
        keeps its row."""
        for part in chunks(pages):
            async with self.engine.begin() as conn:
                await conn.execute(self.upsert(page_facts).values([
                    {"topic_id": topic, "lang": lang, "version": 1, "digest": digest,
                     "facts": facts, "build": build, "updated_at": now}
                    for topic, lang, digest, facts in part]).on_conflict_do_nothing())

    async def advance(self, stored: StoredFacts, digest: str, facts: str, build: str,
                      now: float, *,
                      notice: Notice | None = None,
                      live_since: float = 0.0) -> tuple[bool, Announcement | None]:
        """Move the page from `stored` to the new facts, read from `build`; with a
        `notice`, queue it
        for every live watcher of the page (watching since `live_since`), in one
        transaction. (False, None) when another instance moved it first; the
        announcement is None when nobody watches (nothing is queued then)."""
        try:
            return await self._advance(stored, digest, facts, build, now, notice, live_since)
        except sa.exc.IntegrityError:
            if notice is None:
                raise
            # The notice of this very version exists (page_facts was emptied and
            # counted up again): never twice; move the facts on without it.
            return await self._advance(stored, digest, facts, build, now, None, live_since)

    async def _advance(self, stored: StoredFacts, digest: str, facts: str, build: str,
                       now: float, notice: Notice | None,
                       live_since: float) -> tuple[bool, Announcement | None]:
        version = stored.version + 1
        async with self.engine.begin() as conn:
            moved = await conn.execute(page_facts.update().where(
                page_facts.c.topic_id == stored.topic_id, page_facts.c.lang == stored.lang,
                page_facts.c.version == stored.version,
            ).values(version=version, digest=digest, facts=facts, build=build, updated_at=now))
            if moved.rowcount != 1:
                return False, None
            if notice is None:
                return True, None
            rows = (await conn.execute(
                sa.select(users.c.id, users.c.language)
                .join(page_watches, page_watches.c.user_id == users.c.id)
                .where(page_watches.c.topic_id == stored.topic_id,
                       page_watches.c.lang == stored.lang, page_watches.c.since >= live_since,
                       users.c.blocked.is_(sa.false()), users.c.paused.is_(sa.false()))
                .order_by(users.c.id))).all()
            if not rows:
                return True, None
            result = await conn.execute(announcements.insert().values(
                agency=CHANGE_AGENCY, source=CHANGE_SOURCE,
                dedupe_key=f"change:{stored.topic_id}:{stored.lang}:{version}",
                text_kk=notice.title_kk, text_ru=notice.title_ru, url="", regions="",
                recipients=len(rows), created_at=now, topic_id=stored.topic_id,
                changes=" ".join(notice.changes)))
            announcement_id = int(result.inserted_primary_key[0])
            for part in chunks(rows):
                await conn.execute(outbox.insert(), [
                    {"announcement_id": announcement_id, "chat_id": r.id,
                     # the citizen's language now; the page's when never chosen
                     "lang": r.language or stored.lang, "status": OutboxStatus.PENDING,
                     "attempts": 0, "parts_sent": 0, "not_before": now, "error": ""}
                    for r in part])
            row = (await conn.execute(sa.select(announcements)
                                      .where(announcements.c.id == announcement_id))).one()
        return True, _announcement(row)

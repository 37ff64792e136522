"""Announcements with their outbox: one row per recipient, queued in the same
transaction as the announcement, claimed and settled by the delivery worker.

Times that the delivery worker compares (leases, retry times) are unix seconds
in Float columns, so that SQLite and PostgreSQL compare them the same way; the
worker hands in its `now`, and a method stamps what it writes with that value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from embeddings import Lang

from .base import Repo, chunks
from .subscriptions import Follows
from .tables import announcements, outbox, subscriptions, users


class OutboxStatus(StrEnum):
    """Where one message of a broadcast is (the values stored in ``outbox.status``)."""

    PENDING = "pending"  # to send, from `not_before`
    SENDING = "sending"  # leased by a worker until `lease_until`
    SENT = "sent"
    FAILED = "failed"  # gave up: a permanent error or too many transient ones
    BLOCKED = "blocked"  # the subscriber blocked the bot, is gone, or stopped news (/stop)


STATUSES = tuple(OutboxStatus)
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# The source of a change notice: it goes to those who asked to be told of a
# page's changes (watches.py), not to an agency's or a region's followers.
CHANGE_SOURCE = "change"


@dataclass(frozen=True)
class Announcement:
    id: int
    agency: str
    source: str
    text_kk: str
    text_ru: str
    url: str
    regions: tuple[str, ...]  # empty: the whole country
    recipients: int
    created_at: float  # unix seconds
    body_hash: str | None = None
    # A change notice (source "change"): the page that changed, and what changed
    # (embeddings.ChangeKind values); its texts are the page's title in kk and ru.
    topic_id: str | None = None
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxItem:
    id: int
    announcement_id: int
    chat_id: int
    lang: str
    attempts: int  # including this one
    parts_sent: int
    lease_until: float  # ours until then; the claim is identified by it


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed outbox row."""

    id: int
    chat_id: int
    status: OutboxStatus  # sent, failed, blocked, or pending (retry at not_before)
    parts_sent: int = 0
    not_before: float = 0.0
    error: str = ""
    count_attempt: bool = True  # False for a 429: waiting is not a failed attempt
    lease_until: float | None = None  # the claim this settles (None: any claim)


def _announcement(row) -> Announcement:
    return Announcement(row.id, row.agency, row.source, row.text_kk, row.text_ru, row.url,
                        tuple(row.regions.split()), int(row.recipients),
                        row.created_at, row.body_hash, row.topic_id, tuple(row.changes.split()))


class AnnouncementRepo(Repo):
    async def create(
        self,
        *,
        agency: str,
        source: str,
        text_kk: str,
        text_ru: str,
        url: str = "",
        regions: Sequence[str] = (),
        dedupe_key: str | None = None,
        body_hash: str | None = None,
        now: float,
    ) -> tuple[Announcement, bool]:
        """The announcement and one outbox row per recipient, in one transaction.

        With a `dedupe_key` already used by the agency, nothing is created and
        the existing announcement is returned with False.

        Recipients: active (not blocked, not paused) users who follow the agency
        (for a regional announcement: and follow one of its regions, or no
        region at all), and users who follow one of its regions.

        `now` is the announcement's time and when its outbox rows are due.
        """
        try:
            return await self._create(agency, source, text_kk, text_ru, url, regions,
                                      dedupe_key, body_hash, now)
        except sa.exc.IntegrityError:
            if dedupe_key is None:
                raise
            # The same key, queued meanwhile by a concurrent request: that one stands.
            async with self.engine.connect() as conn:
                found = (await conn.execute(sa.select(announcements).where(
                    announcements.c.agency == agency,
                    announcements.c.dedupe_key == dedupe_key))).one()
            return _announcement(found), False

    async def _create(self, agency, source, text_kk, text_ru, url, regions, dedupe_key,
                      body_hash, now) -> tuple[Announcement, bool]:
        async with self.engine.begin() as conn:
            if dedupe_key is not None:
                found = (await conn.execute(sa.select(announcements).where(
                    announcements.c.agency == agency,
                    announcements.c.dedupe_key == dedupe_key))).first()
                if found:
                    return _announcement(found), False
            rows = (await conn.execute(
                sa.select(users.c.id, users.c.language)
                .where(_audience(agency, regions), users.c.blocked.is_(sa.false()),
                       users.c.paused.is_(sa.false()))
                .order_by(users.c.id))).all()
            result = await conn.execute(announcements.insert().values(
                agency=agency, source=source, dedupe_key=dedupe_key, body_hash=body_hash,
                text_kk=text_kk, text_ru=text_ru, url=url, regions=" ".join(regions),
                recipients=len(rows), created_at=now))
            announcement_id = int(result.inserted_primary_key[0])
            for part in chunks(rows):
                await conn.execute(outbox.insert(), [
                    {"announcement_id": announcement_id, "chat_id": r.id,
                     "lang": _text_lang(r.language, text_kk, text_ru),
                     "status": OutboxStatus.PENDING,
                     "attempts": 0, "parts_sent": 0, "not_before": now, "error": ""}
                    for r in part])
            row = (await conn.execute(sa.select(announcements)
                                      .where(announcements.c.id == announcement_id))).one()
        return _announcement(row), True

    async def get(self, announcement_id: int) -> Announcement | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(announcements)
                                      .where(announcements.c.id == announcement_id))).first()
        return _announcement(row) if row else None

    async def recent(self, agency: str, limit: int = 5) -> list[Announcement]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(announcements).where(announcements.c.agency == agency)
                .order_by(announcements.c.id.desc()).limit(limit))).all()
        return [_announcement(r) for r in rows]

    async def counts(self, announcement_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        """Outbox rows per status, per announcement ('sending' counts as queued)."""
        ids = list(announcement_ids)
        out = {i: dict.fromkeys(("queued", "sent", "failed", "blocked"), 0) for i in ids}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(outbox.c.announcement_id, outbox.c.status, sa.func.count())
                .where(outbox.c.announcement_id.in_(ids))
                .group_by(outbox.c.announcement_id, outbox.c.status))).all()
        for announcement_id, status, n in rows:
            key = "queued" if status in WAITING else status
            out[announcement_id][key] += n
        return out

    # -- the outbox --------------------------------------------------------------

    async def claim(self, limit: int, lease: float, now: float) -> list[OutboxItem]:
        """Take up to `limit` rows due now (or whose lease ran out) for sending."""
        due = sa.or_(sa.and_(outbox.c.status == OutboxStatus.PENDING, outbox.c.not_before <= now),
                     sa.and_(outbox.c.status == OutboxStatus.SENDING, outbox.c.lease_until < now))
        pick = sa.select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
        if self.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (outbox.update().where(outbox.c.id.in_(pick.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, lease_until=now + lease,
                        attempts=outbox.c.attempts + 1)
                .returning(outbox.c.id, outbox.c.announcement_id, outbox.c.chat_id,
                           outbox.c.lang, outbox.c.attempts, outbox.c.parts_sent,
                           outbox.c.lease_until))
        async with self.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        return sorted((OutboxItem(*r) for r in rows), key=lambda i: i.id)

    async def progress(self, outbox_id: int, lease_until: float, parts_sent: int) -> None:
        """Record the parts of a long announcement sent so far, while the row is
        still ours (claimed with `lease_until`)."""
        async with self.engine.begin() as conn:
            await conn.execute(outbox.update().where(
                outbox.c.id == outbox_id, outbox.c.status == OutboxStatus.SENDING,
                outbox.c.lease_until == lease_until,
                outbox.c.parts_sent < parts_sent).values(parts_sent=parts_sent))

    async def settle(self, outcomes: Sequence[Outcome], now: float) -> None:
        """Record what became of claimed rows, all in one transaction. A blocked
        chat's user becomes inactive and its other queued rows are closed."""
        if not outcomes:
            return
        sent = [o for o in outcomes if o.status == OutboxStatus.SENT and o.lease_until is not None]
        others = [o for o in outcomes if o not in sent]
        async with self.engine.begin() as conn:
            if sent:  # the common case, in one statement
                await conn.execute(
                    outbox.update().where(outbox.c.id == sa.bindparam("oid"),
                                          outbox.c.status == OutboxStatus.SENDING,
                                          outbox.c.lease_until == sa.bindparam("lease"))
                    .values(status=OutboxStatus.SENT, parts_sent=sa.bindparam("parts"), error="",
                            lease_until=None, sent_at=now),
                    [{"oid": o.id, "lease": o.lease_until, "parts": o.parts_sent}
                     for o in sent])
            for o in others:
                values: dict = {"status": o.status, "parts_sent": o.parts_sent,
                                "error": o.error[:300], "lease_until": None}
                if o.status == OutboxStatus.SENT:
                    values["sent_at"] = now
                elif o.status == OutboxStatus.PENDING:
                    values["not_before"] = o.not_before
                    if not o.count_attempt:
                        values["attempts"] = outbox.c.attempts - 1
                mine = [outbox.c.id == o.id, outbox.c.status == OutboxStatus.SENDING]
                if o.lease_until is not None:  # not taken again by another claim since
                    mine.append(outbox.c.lease_until == o.lease_until)
                await conn.execute(outbox.update().where(*mine).values(**values))
                if o.status == OutboxStatus.BLOCKED:
                    await conn.execute(users.update().where(users.c.id == o.chat_id)
                                       .values(blocked=True, updated_at=now))
                    await _close_queued(conn, o.chat_id, o.error)

    async def close_queued(self, chat_id: int, why: str) -> None:
        """Close the rows queued for `chat_id` and not yet sent (they count as
        blocked): a subscriber who sent /stop while a broadcast to many was on
        its way (it takes an hour) gets none of it, now or after resuming."""
        async with self.engine.begin() as conn:
            await _close_queued(conn, chat_id, why)

    async def close_unfollowed(self, chat_id: int, why: str) -> int:
        """Close the rows queued for `chat_id` of announcements it would no
        longer receive (it unfollowed their agency or region while a broadcast
        was on its way); how many. Change notices go to those who asked for
        them, not to followers: they stay."""
        async with self.engine.begin() as conn:
            queued = (await conn.execute(
                sa.select(outbox.c.id, announcements.c.agency, announcements.c.regions)
                .join(announcements, announcements.c.id == outbox.c.announcement_id)
                .where(outbox.c.chat_id == chat_id, outbox.c.status == OutboxStatus.PENDING,
                       announcements.c.source != CHANGE_SOURCE))).all()
            gone = []
            for row in queued:
                still = (await conn.execute(sa.select(users.c.id).where(
                    users.c.id == chat_id, _audience(row.agency, row.regions.split())))).first()
                if still is None:
                    gone.append(row.id)
            if gone:
                await conn.execute(outbox.update().where(
                    outbox.c.id.in_(gone), outbox.c.status == OutboxStatus.PENDING)
                    .values(status=OutboxStatus.BLOCKED, error=why[:300]))
        return len(gone)

    async def depth(self) -> dict[str, int]:
        """Outbox rows per status, every status present (0 when it has none):
        read at each metrics scrape, by the (status, not_before) index."""
        out = dict.fromkeys(STATUSES, 0)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(outbox.c.status, sa.func.count())
                                       .group_by(outbox.c.status))).all()
        for status, n in rows:
            out[OutboxStatus(status)] = int(n)
        return {str(k): v for k, v in out.items()}

    async def outstanding(self) -> int:
        """Rows not yet settled (pending or sending)."""
        async with self.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                           .where(outbox.c.status.in_(WAITING))
                                           )).scalar())


def _text_lang(user_lang: str | None, text_kk: str, text_ru: str) -> str:
    """The user's language when the agency wrote in it, else the one it wrote in."""
    lang = user_lang or Lang.RU
    if lang == Lang.KK and text_kk:
        return Lang.KK
    if text_ru:
        return Lang.RU
    return Lang.KK


def _audience(agency: str, regions: Sequence[str]) -> sa.ColumnElement[bool]:
    """Who an announcement of `agency` for `regions` (none: the whole country)
    goes to, as a condition on ``users.c.id``: those who follow the agency (for
    a regional one: and follow one of its regions, or no region at all), and
    those who follow one of its regions."""
    follows = sa.select(subscriptions.c.user_id).where(
        subscriptions.c.kind == Follows.AGENCY, subscriptions.c.target == agency)
    if not regions:
        return users.c.id.in_(follows)
    any_region = sa.select(subscriptions.c.user_id).where(
        subscriptions.c.kind == Follows.REGION)
    in_region = sa.select(subscriptions.c.user_id).where(
        subscriptions.c.kind == Follows.REGION, subscriptions.c.target.in_(list(regions)))
    return sa.or_(sa.and_(users.c.id.in_(follows),
                          sa.or_(users.c.id.in_(in_region), users.c.id.not_in(any_region))),
                  users.c.id.in_(in_region))


async def _close_queued(conn, chat_id: int, why: str) -> None:
    await conn.execute(outbox.update().where(
        outbox.c.chat_id == chat_id, outbox.c.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.BLOCKED, error=why[:300]))

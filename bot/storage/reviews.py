"""Agencies' reviews of their knowledge pages, and the weekly staff digests.

A staff member either confirms a topic's pages (both languages, as they read
them: the row keeps a digest of that content, and the confirmation holds for
it only) or proposes a correction of one section of one language's page. Both
wait as *pending* until a maintainer writes them into the page files
(``saual review apply``: *applied*) or turns them down (*rejected*). A
confirmation shows on the cards at once, pending or applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from .base import Repo
from .tables import page_reviews, staff_digests


class ReviewKind(StrEnum):
    CONFIRM = "confirm"
    CORRECTION = "correction"


class ReviewState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"  # written into the page files
    REJECTED = "rejected"


@dataclass(frozen=True)
class Review:
    id: int
    topic_id: str
    agency: str
    kind: str  # ReviewKind
    lang: str  # a correction's page; "" for a confirmation
    section: int | None  # a correction's section index
    heading: str
    text: str
    page_digest: str
    user_id: int
    chat_id: int
    state: str  # ReviewState
    created_at: float
    decided_at: float | None


def _review(row) -> Review:
    return Review(row.id, row.topic_id, row.agency, row.kind, row.lang, row.section,
                  row.heading, row.text, row.page_digest, int(row.user_id), int(row.chat_id),
                  row.state, float(row.created_at),
                  None if row.decided_at is None else float(row.decided_at))


class ReviewRepo(Repo):
    async def add(self, *, topic_id: str, agency: str, kind: ReviewKind, page_digest: str,
                  user_id: int, chat_id: int, lang: str = "", section: int | None = None,
                  heading: str = "", text: str = "") -> Review:
        values = dict(topic_id=topic_id, agency=agency, kind=str(kind), lang=lang,
                      section=section, heading=heading, text=text, page_digest=page_digest,
                      user_id=user_id, chat_id=chat_id, state=str(ReviewState.PENDING),
                      created_at=self.now())
        async with self.engine.begin() as conn:
            result = await conn.execute(page_reviews.insert().values(**values))
            new_id = int(result.inserted_primary_key[0])
            row = (await conn.execute(
                sa.select(page_reviews).where(page_reviews.c.id == new_id))).one()
        return _review(row)

    async def get(self, review_id: int) -> Review | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                sa.select(page_reviews).where(page_reviews.c.id == review_id))).first()
        return _review(row) if row else None

    async def pending(self, agency: str | None = None) -> list[Review]:
        """What waits for a maintainer, oldest first."""
        stmt = sa.select(page_reviews).where(page_reviews.c.state == ReviewState.PENDING)
        if agency is not None:
            stmt = stmt.where(page_reviews.c.agency == agency)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(page_reviews.c.id))).all()
        return [_review(r) for r in rows]

    async def confirmations(self) -> dict[str, Review]:
        """Each topic's newest confirmation that was not rejected."""
        stmt = (sa.select(page_reviews)
                .where(page_reviews.c.kind == ReviewKind.CONFIRM,
                       page_reviews.c.state != ReviewState.REJECTED)
                .order_by(page_reviews.c.id))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {r.topic_id: _review(r) for r in rows}  # later ids win

    async def decide(self, review_id: int, state: ReviewState) -> bool:
        """Mark a pending review applied or rejected; False when it is not pending
        (another maintainer decided it first, or there is no such review)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                page_reviews.update()
                .where(page_reviews.c.id == review_id,
                       page_reviews.c.state == ReviewState.PENDING)
                .values(state=str(state), decided_at=self.now()))
        return result.rowcount == 1

    async def claim_digest(self, agency: str, week: str, lease: float) -> float | None:
        """Claim this week's digest for `agency` for `lease` seconds: the claim's
        time limit for the one caller that gets it (to hand to
        :meth:`digest_sent` or :meth:`release_digest`), None when it was sent
        already or another instance's claim still holds. A claim whose time
        ran out without the digest being sent (its instance was killed) is
        taken again."""
        now = self.now()
        until = now + lease
        stmt = self.upsert(staff_digests).values(agency=agency, week=week, sent_at=now,
                                                 lease_until=until)
        stmt = stmt.on_conflict_do_nothing(
            index_elements=[staff_digests.c.agency, staff_digests.c.week])
        async with self.engine.begin() as conn:
            if (await conn.execute(stmt)).rowcount == 1:
                return until
            taken = await conn.execute(staff_digests.update().where(
                staff_digests.c.agency == agency, staff_digests.c.week == week,
                staff_digests.c.lease_until.is_not(None), staff_digests.c.lease_until < now,
            ).values(sent_at=now, lease_until=until))
        return until if taken.rowcount == 1 else None

    async def digest_sent(self, agency: str, week: str, lease: float) -> bool:
        """Mark the digest claimed with `lease` sent; False when the claim had run
        out and another instance took it meanwhile (it sends the digest too)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(staff_digests.update().where(
                staff_digests.c.agency == agency, staff_digests.c.week == week,
                staff_digests.c.lease_until == lease,
            ).values(sent_at=self.now(), lease_until=None))
        return result.rowcount == 1

    async def release_digest(self, agency: str, week: str, lease: float) -> None:
        """Give the claim made with `lease` back (its digest could not be sent): a
        later round retries."""
        async with self.engine.begin() as conn:
            await conn.execute(staff_digests.delete().where(
                staff_digests.c.agency == agency, staff_digests.c.week == week,
                staff_digests.c.lease_until == lease))

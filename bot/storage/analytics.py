"""Analytics: the questions citizens asked (masked) and their votes on the answers."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .base import Repo
from .tables import feedback, questions


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    user_id: int
    text: str
    lang: str
    topic_id: str | None
    confidence: float
    confident: bool
    results: tuple[str, ...]
    created_at: float  # unix seconds
    # What the citizen got: an AnswerOutcome value (answered, clarified,
    # redirected, abstained); None for questions logged before it was recorded.
    outcome: str | None = None
    # Where it was asked: one of CHAT_TYPES; None for questions logged before it
    # was recorded.
    chat_type: str | None = None


# Where a question was asked: the bot's private chat, or a community group
# where someone mentioned the bot (inline queries are not logged).
PRIVATE = "private"
GROUP = "group"
CHAT_TYPES = (PRIVATE, GROUP)


@dataclass(frozen=True)
class FeedbackRecord:
    question_id: int
    user_id: int
    value: int
    updated_at: float  # unix seconds


@dataclass(frozen=True)
class GapSource:
    """What the gap report reads: the questions (newest first, capped) and how
    many matched in all."""

    questions: list[QuestionRecord]
    total: int


# Why a question is in the gap report: what the citizen got when the bot did not
# answer (the not-answered AnswerOutcome values), or a confident answer voted down.
VOTED_DOWN = "voted-down"
GAP_REASONS = ("abstained", "clarified", "redirected", VOTED_DOWN)
NOT_RECORDED = "not-recorded"  # not answered, logged before outcomes were recorded


def gap_reason(question: QuestionRecord) -> str:
    """Why `question` (one the gap report read) is there: one of
    :data:`GAP_REASONS`, or :data:`NOT_RECORDED`."""
    if question.confident:
        return VOTED_DOWN
    return question.outcome if question.outcome in GAP_REASONS else NOT_RECORDED


def _known_chat_type(chat_type: str) -> str:
    if chat_type not in CHAT_TYPES:
        raise ValueError(f"unknown chat type {chat_type!r}; one of {', '.join(CHAT_TYPES)}")
    return chat_type


def _question(row) -> QuestionRecord:
    return QuestionRecord(row.id, row.user_id, row.text, row.lang, row.topic_id,
                          float(row.confidence), bool(row.confident),
                          tuple(row.results.split()), row.created_at, row.outcome,
                          row.chat_type)


class QuestionRepo(Repo):
    async def add(
        self,
        *,
        user_id: int,
        text: str,
        lang: str,
        topic_id: str | None,
        confidence: float,
        confident: bool,
        results: tuple[str, ...] | list[str] = (),
        outcome: str | None = None,
        chat_type: str = PRIVATE,
    ) -> int:
        _known_chat_type(chat_type)
        async with self.engine.begin() as conn:
            result = await conn.execute(questions.insert().values(
                user_id=user_id, text=text, lang=lang, topic_id=topic_id,
                confidence=confidence, confident=confident, results=" ".join(results),
                created_at=self.now(), outcome=outcome, chat_type=chat_type,
            ))
        return int(result.inserted_primary_key[0])

    async def get(self, question_id: int) -> QuestionRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                sa.select(questions).where(questions.c.id == question_id))).first()
        return _question(row) if row else None

    async def recent(self, limit: int = 100) -> list[QuestionRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(questions).order_by(questions.c.id.desc()).limit(limit))).all()
        return [_question(r) for r in rows]


    async def gaps_source(self, since: float, *, limit: int = 2000,
                          reason: str | None = None,
                          chat_type: str | None = None) -> GapSource:
        """The questions asked from `since` (unix seconds) that the bot did not
        answer (`confident` false: it abstained, or asked which page was meant)
        or whose answer got more 👎 than 👍 (net vote below zero), each once,
        the newest first: at most `limit` of them, with how many there are.

        `reason` keeps one kind (:data:`GAP_REASONS`): the answers voted down,
        or the questions not answered with that outcome (questions logged
        before outcomes were recorded have none, and are then left out).
        `chat_type` keeps the questions asked in one kind of chat
        (:data:`CHAT_TYPES`; those logged before it was recorded have none)."""
        votes = (sa.select(feedback.c.question_id, sa.func.sum(feedback.c.value).label("net"))
                 .group_by(feedback.c.question_id).subquery())
        if reason is None:
            kind = sa.or_(sa.not_(questions.c.confident), votes.c.net < 0)
        elif reason == VOTED_DOWN:
            kind = sa.and_(questions.c.confident, votes.c.net < 0)
        elif reason in GAP_REASONS:
            kind = sa.and_(sa.not_(questions.c.confident), questions.c.outcome == reason)
        else:
            raise ValueError(f"unknown reason {reason!r}; one of {', '.join(GAP_REASONS)}")
        wanted = sa.and_(questions.c.created_at >= since, kind)
        if chat_type is not None:
            wanted = sa.and_(wanted, questions.c.chat_type == _known_chat_type(chat_type))
        source = questions.outerjoin(votes, votes.c.question_id == questions.c.id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(questions).select_from(source).where(wanted)
                .order_by(questions.c.id.desc()).limit(limit))).all()
            total = (await conn.execute(
                sa.select(sa.func.count()).select_from(source).where(wanted))).scalar_one()
        return GapSource([_question(r) for r in rows], int(total))


class FeedbackRepo(Repo):
    async def set(self, question_id: int, user_id: int, value: int) -> None:
        """Record a vote; voting again on the same answer replaces the vote."""
        now = self.now()
        stmt = self.upsert(feedback).values(
            question_id=question_id, user_id=user_id, value=value, created_at=now,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[feedback.c.question_id, feedback.c.user_id],
            set_={"value": value, "updated_at": now},
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def for_question(self, question_id: int) -> list[FeedbackRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(feedback).where(feedback.c.question_id == question_id)
                .order_by(feedback.c.id))).all()
        return [FeedbackRecord(r.question_id, r.user_id, int(r.value), r.updated_at)
                for r in rows]

    async def negative_by_topic(self, since: float) -> dict[str, int]:
        """👎 votes given since `since` on the answers that showed a page, per topic."""
        stmt = (sa.select(questions.c.topic_id, sa.func.count())
                .select_from(feedback.join(questions, feedback.c.question_id == questions.c.id))
                .where(feedback.c.value < 0, feedback.c.updated_at >= since,
                       questions.c.confident.is_(True), questions.c.topic_id.is_not(None))
                .group_by(questions.c.topic_id))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {r[0]: int(r[1]) for r in rows}

"""Repositories: one per aggregate, returning frozen dataclasses.

Parameters are always bound (SQLAlchemy Core); every method opens its own
short transaction, so a repository can be shared by concurrent handlers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from precincts import Alias, Precinct, Snapshot

from .tables import feedback, precincts, questions, station_imports, street_aliases, users


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite keeps no time zone; everything is written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class User:
    id: int
    language: str | None
    blocked: bool
    created_at: dt.datetime
    updated_at: dt.datetime


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
    created_at: dt.datetime


@dataclass(frozen=True)
class FeedbackRecord:
    question_id: int
    user_id: int
    value: int
    updated_at: dt.datetime


class _Repo:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    def _insert(self, table: sa.Table):
        """An INSERT that knows ON CONFLICT on the backends we run on."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return sqlite.insert(table)
        if dialect == "postgresql":
            return postgresql.insert(table)
        raise NotImplementedError(f"no upsert for the {dialect} backend")


class UserRepo(_Repo):
    async def get(self, user_id: int) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def get_or_create(self, user_id: int) -> User:
        found = await self.get(user_id)
        if found:
            return found
        now = _now()
        stmt = self._insert(users).values(
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
                               .values(language=language, updated_at=_now()))
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one()
        return _user(row)

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.get_or_create(user_id)
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id)
                               .values(blocked=blocked, updated_at=_now()))


def _user(row) -> User:
    return User(row.id, row.language, bool(row.blocked), _aware(row.created_at),
                _aware(row.updated_at))


class QuestionRepo(_Repo):
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
    ) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(questions.insert().values(
                user_id=user_id, text=text, lang=lang, topic_id=topic_id,
                confidence=confidence, confident=confident, results=" ".join(results),
                created_at=_now(),
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


def _question(row) -> QuestionRecord:
    return QuestionRecord(row.id, row.user_id, row.text, row.lang, row.topic_id,
                          float(row.confidence), bool(row.confident),
                          tuple(row.results.split()), _aware(row.created_at))


class FeedbackRepo(_Repo):
    async def set(self, question_id: int, user_id: int, value: int) -> None:
        """Record a vote; voting again on the same answer replaces the vote."""
        now = _now()
        stmt = self._insert(feedback).values(
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
        return [FeedbackRecord(r.question_id, r.user_id, int(r.value), _aware(r.updated_at))
                for r in rows]


@dataclass(frozen=True)
class StationImport:
    id: int
    file: str
    digest: str
    cities: tuple[str, ...]
    precincts: int
    aliases: int | None
    created_at: dt.datetime


class StationRepo(_Repo):
    """Precincts and street aliases, replaced a city at a time by an import."""

    async def replace(
        self,
        *,
        file: str,
        digest: str,
        cities: Sequence[str],
        precinct_rows: Sequence[Mapping[str, object]],
        alias_rows: Sequence[Mapping[str, object]] | None,
    ) -> int:
        """Replace the precincts of `cities` (and their aliases when `alias_rows` is not
        None) in one transaction: all of it, or, on any error, nothing. Returns the import id.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(station_imports.insert().values(
                file=file, digest=digest, cities="\n".join(cities),
                precincts=len(precinct_rows),
                aliases=len(alias_rows) if alias_rows is not None else None,
                created_at=_now()))
            import_id = int(result.inserted_primary_key[0])
            await conn.execute(precincts.delete().where(precincts.c.city_ru.in_(cities)))
            if precinct_rows:
                await conn.execute(precincts.insert(),
                                   [{**row, "import_id": import_id} for row in precinct_rows])
            if alias_rows is not None:
                await conn.execute(street_aliases.delete().where(
                    street_aliases.c.city_ru.in_(cities)))
                if alias_rows:
                    await conn.execute(street_aliases.insert(),
                                       [{**row, "import_id": import_id} for row in alias_rows])
        return import_id

    async def latest_import(self) -> StationImport | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(station_imports).order_by(
                station_imports.c.id.desc()).limit(1))).first()
        if row is None:
            return None
        return StationImport(row.id, row.file, row.digest, tuple(row.cities.split("\n")),
                             row.precincts, row.aliases, _aware(row.created_at))

    async def latest_import_id(self) -> int | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(sa.func.max(station_imports.c.id)))).scalar()

    async def snapshot(self) -> Snapshot:
        async with self.engine.begin() as conn:
            latest = (await conn.execute(sa.select(sa.func.max(station_imports.c.id)))).scalar()
            rows = (await conn.execute(sa.select(precincts).order_by(
                precincts.c.city_ru, precincts.c.number))).all()
            alias_rows = (await conn.execute(sa.select(street_aliases).order_by(
                street_aliases.c.id))).all()
        return Snapshot(
            latest,
            tuple(Precinct(
                r.number, r.city_kk, r.city_ru, r.district_kk, r.district_ru, r.name_kk,
                r.name_ru, r.address_kk, r.address_ru, float(r.lat), float(r.lon), r.phone,
                r.hours, r.boundary, r.source, id=r.id) for r in rows),
            tuple(Alias(r.city_ru, r.street, r.alias, r.lang, r.kind) for r in alias_rows),
        )

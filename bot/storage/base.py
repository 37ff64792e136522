"""What every repository shares: the engine, the clock, and the SQL helpers.

A repository per aggregate subclasses :class:`Repo`. Parameters are always
bound (SQLAlchemy Core); every method opens its own short transaction, so a
repository can be shared by concurrent handlers.

Time has one source and one type. Records carry unix seconds (``float``),
what :meth:`bot.clock.Clock.time` gives; the columns decide how it is stored
(:class:`~bot.storage.tables.UnixTime`). A method that stamps a row reads the
time from the injected clock (:meth:`Repo.now`); a method that is handed a
``now`` (the caller's clock, the same one in the app, compared with leases,
expiry or due dates) stamps everything it writes with that one value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from ..clock import SYSTEM, Clock

# Database errors that pass: a locked SQLite file ("database is locked"), a
# PostgreSQL server restarting or a dropped connection (asyncpg's connection
# refused is a bare OSError). Callers that can wait (the outbox worker, a
# user's first contact) try these again or serve without the database.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError, sa.exc.InterfaceError, OSError, TimeoutError)

# Rows or keys per statement: far below PostgreSQL's 32,767 bind parameters
# (asyncpg) and SQLite's 32,766 variables, however large a feed or an audience.
CHUNK = 1000

T = TypeVar("T")


def chunks(seq: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`seq` in slices of at most `size`, for statements with one parameter per item."""
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


class Repo:
    """The base of the repositories: the engine, and the clock they read "now" from."""

    def __init__(self, engine: AsyncEngine, clock: Clock = SYSTEM):
        self.engine = engine
        self.clock = clock

    def now(self) -> float:
        """The time to stamp rows with: unix seconds from the injected clock."""
        return self.clock.time()

    def upsert(self, table: sa.Table):
        """An INSERT that knows ON CONFLICT on the backends we run on."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return sqlite.insert(table)
        if dialect == "postgresql":
            return postgresql.insert(table)
        raise NotImplementedError(f"no upsert for the {dialect} backend")

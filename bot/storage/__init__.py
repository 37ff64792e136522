"""Storage: the only place with SQL (SQLAlchemy 2 Core, async).

SQLite through aiosqlite by default (one file, WAL); PostgreSQL through
asyncpg when several bot instances share state. The schema is versioned with
Alembic; :meth:`Storage.migrate` brings a database to the newest revision and
the bot calls it at start-up.

One module per aggregate over a public base (:mod:`.base`): users, analytics
(questions and feedback), stations, subscriptions, announcements with their
outbox, feeds, staff, tickets, watched pages and their facts (answer-change
notices). Every repository reads the time from the clock :class:`Storage` is
given, and records carry it as unix seconds.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..clock import SYSTEM, Clock
from .analytics import (
    CHAT_TYPES,
    GAP_REASONS,
    GROUP,
    NOT_RECORDED,
    PRIVATE,
    VOTED_DOWN,
    FeedbackRecord,
    FeedbackRepo,
    GapSource,
    QuestionRecord,
    QuestionRepo,
    gap_reason,
)
from .announcements import (
    STATUSES,
    Announcement,
    AnnouncementRepo,
    OutboxItem,
    OutboxStatus,
    Outcome,
)
from .base import TRANSIENT_DB_ERRORS
from .feeds import Feed, FeedRepo
from .groups import GroupRepo
from .pages import IndexState, QAPage, QAPageRepo
from .reviews import Review, ReviewKind, ReviewRepo, ReviewState
from .staff import StaffChat, StaffMember, StaffRepo
from .stations import StationImport, StationRepo
from .subscriptions import Follows, SubscriptionRepo
from .tables import metadata
from .tickets import OPEN_STATUSES, Ticket, TicketRepo, TicketStatus
from .users import User, UserRepo
from .watches import CHANGE_SOURCE, Notice, PageFactsRepo, StoredFacts, Watch, WatchRepo

__all__ = [
    "CHANGE_SOURCE",
    "CHAT_TYPES",
    "GAP_REASONS",
    "GROUP",
    "NOT_RECORDED",
    "OPEN_STATUSES",
    "PRIVATE",
    "STATUSES",
    "TRANSIENT_DB_ERRORS",
    "VOTED_DOWN",
    "Announcement",
    "AnnouncementRepo",
    "Feed",
    "FeedRepo",
    "FeedbackRecord",
    "FeedbackRepo",
    "Follows",
    "GapSource",
    "GroupRepo",
    "IndexState",
    "Notice",
    "OutboxItem",
    "OutboxStatus",
    "Outcome",
    "PageFactsRepo",
    "QAPage",
    "QAPageRepo",
    "QuestionRecord",
    "QuestionRepo",
    "Review",
    "ReviewKind",
    "ReviewRepo",
    "ReviewState",
    "StaffChat",
    "StaffMember",
    "StaffRepo",
    "StationImport",
    "StationRepo",
    "Storage",
    "StoredFacts",
    "SubscriptionRepo",
    "Ticket",
    "TicketRepo",
    "TicketStatus",
    "User",
    "UserRepo",
    "Watch",
    "WatchRepo",
    "gap_reason",
    "metadata",
]

MIGRATIONS = Path(__file__).parent / "migrations"

logger = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, without an ini file."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # configparser treats % as interpolation; URLs may carry %-escapes.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Storage:
    """The database engine and its repositories, which read the time from `clock`."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = SYSTEM):
        self.engine = engine
        self.clock = clock
        self.users = UserRepo(engine, clock)
        self.questions = QuestionRepo(engine, clock)
        self.feedback = FeedbackRepo(engine, clock)
        self.stations = StationRepo(engine, clock)
        self.subscriptions = SubscriptionRepo(engine, clock)
        self.staff = StaffRepo(engine, clock)
        self.announcements = AnnouncementRepo(engine, clock)
        self.feeds = FeedRepo(engine, clock)
        self.tickets = TicketRepo(engine, clock)
        self.qa_pages = QAPageRepo(engine, clock)
        self.reviews = ReviewRepo(engine, clock)
        self.watches = WatchRepo(engine, clock)
        self.page_facts = PageFactsRepo(engine, clock)
        self.groups = GroupRepo(engine, clock)

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = SYSTEM) -> Storage:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(url)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            engine = create_async_engine(url, pool_pre_ping=True)
        return cls(engine, clock=clock)

    async def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to `revision` (the newest by default), and say so in
        one log line when it changed (alembic's own INFO lines are kept out of the
        log below DEBUG: they repeat on every start, see bot/cli/base.py)."""
        before = await self.revision()
        await self._alembic("upgrade", revision)
        after = await self.revision()
        if after != before:
            logger.info("database schema upgraded from %s to %s", before or "empty", after)

    async def revision(self) -> str | None:
        """The schema's current migration (None: an empty database)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())

    async def downgrade(self, revision: str) -> None:
        await self._alembic("downgrade", revision)

    async def _alembic(self, action: str, revision: str) -> None:
        cfg = alembic_config(self.engine.url.render_as_string(hide_password=False))

        def run(connection: Connection) -> None:
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def close(self) -> None:
        await self.engine.dispose()

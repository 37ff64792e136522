"""Alembic environment for Saual's database.

The bot runs migrations itself at start-up (:meth:`bot.storage.Storage.migrate`),
handing this script an open connection in ``config.attributes["connection"]``.
For maintainers, the command line works too::

    .venv/bin/alembic -c bot/storage/alembic.ini revision --autogenerate -m "what changed"
    .venv/bin/alembic -c bot/storage/alembic.ini upgrade head

(the URL comes from ``DATABASE_URL``, as for the bot).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.tables import UnixTime, metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.config import Settings

        url = Settings().database_url
    return url


def _render_item(type_: str, obj, autogen_context):
    """Migrations spell a column's stored type, never the bot's Python-side types:
    a UnixTime column is rendered as the DateTime it is in the database."""
    if type_ == "type" and isinstance(obj, UnixTime):
        return "sa.DateTime(timezone=True)"
    return False  # the default rendering


def _configure(**kwargs) -> None:
    # Batch mode lets ALTER TABLE work on SQLite (copy-and-move).
    context.configure(target_metadata=metadata, render_as_batch=True,
                      compare_type=True, render_item=_render_item, **kwargs)


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(_url(), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_with(shared)
else:
    asyncio.run(run_online())

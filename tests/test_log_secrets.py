"""The logging set-up (`saual` commands): bot tokens are redacted from every
record, and no LOG_LEVEL lets SQL parameters or rows into the log."""

from __future__ import annotations

import logging

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot import cli
from bot.services.masking import RedactingFilter

TOKEN = "6012345678:AAFx3k9QdLmZpW7vR2sT8uY4bN1cE5hJ0gK"
OTHER = "7654321098:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_-x"  # not ours, shaped like one
URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
SQL_LOGGERS = ("aiosqlite", "sqlalchemy.engine")
QUIET = ("bm25s", *SQL_LOGGERS)


@pytest.fixture
def configured(monkeypatch, tmp_path):
    """`cli.load_settings()` with LOG_LEVEL=DEBUG; the loggers and filters it touched
    are put back afterwards."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield cli.load_settings
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in logging.getLogger().handlers:
        for f in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(f)


def pieces(text: str) -> list[str]:
    halves = [t.split(":")[1] for t in (TOKEN, OTHER)]
    return [h[i:i + 6] for h in halves for i in range(len(h) - 5) if h[i:i + 6] in text]


def test_log_records_carry_no_token(configured, caplog):
    configured()
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("saual.test")
    log.warning("send failed: %s", f"ClientResponseError: 502, url='{URL}'")
    log.info("request %(url)s for %(other)s", {"url": URL, "other": OTHER})
    inline = f"inline %s {URL}"  # a message built by hand, token in the format string
    log.error(inline, 1)
    log.info("escaped https://api.telegram.org/bot%s", TOKEN.replace(":", "%3A"))
    try:
        raise RuntimeError(f"Cannot connect to {URL}")
    except RuntimeError:
        log.exception("outbox row %d: delivery failed", 7)
    assert len(caplog.records) == 5
    assert "outbox row 7: delivery failed" in caplog.text and "[token]" in caplog.text
    assert not pieces(caplog.text)
    assert not pieces(" ".join(r.getMessage() for r in caplog.records))


async def test_no_log_level_logs_sql_parameters_or_rows(configured, caplog):
    for name in SQL_LOGGERS:  # whatever an operator had set before
        logging.getLogger(name).setLevel(logging.DEBUG)
    configured()
    caplog.set_level(logging.DEBUG)
    secret = "Ответ сотрудника: ИИН вашего ребёнка"
    async with aiosqlite.connect(":memory:") as db, db.execute("SELECT ?", (secret,)) as cursor:
        assert (await cursor.fetchone())[0] == secret
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.text("SELECT :answer"), {"answer": secret})).one()
            assert row[0] == secret
    finally:
        await engine.dispose()
    assert secret not in caplog.text
    assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.INFO
    assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() >= logging.WARNING

"""The date-sensitive paths, run at several dates: the suite must pass on any
day, so every path reads the one injected clock (`bot.clock`), never the
machine's. A path that read the real date would disagree with the frozen one
at most of these dates."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from botkit import Citizen, FakeClock
from typer.testing import CliRunner

from bot.app import Saual
from bot.cli import app as cli
from bot.clock import SYSTEM
from bot.services.tickets import add_working_days
from embeddings import build_index, load_knowledge

TODAY = SYSTEM.time()
DATES = {
    "today": TODAY,
    "in three months": TODAY + 92 * 86400,
    "in a year": TODAY + 366 * 86400,
    "friday evening": dt.datetime(2027, 3, 5, 17, 30, tzinfo=dt.UTC).timestamp(),
    "new year's eve": dt.datetime(2027, 12, 31, 23, 30, tzinfo=dt.UTC).timestamp(),
    "leap day": dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC).timestamp(),
}
QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"


def report(clock, settings, monkeypatch) -> dict[str, list[str]]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    result = CliRunner().invoke(cli, ["qa", "report"], obj=clock)
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:]
            if line.strip() and not line.startswith("'")}


@pytest.mark.parametrize("when", list(DATES.values()), ids=list(DATES))
async def test_tickets_codes_and_the_report_follow_the_injected_clock(
        when, settings, encoder, session, monkeypatch):
    clock = FakeClock(when)
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        bot = app.bot(session=session)
        # A link code issued by the command line at that date works at that date...
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
        issued = await asyncio.to_thread(CliRunner().invoke, cli, ["agency", "invite", "mvd"],
                                         obj=clock)
        assert issued.exit_code == 0, issued.output
        code = re.search(r"/link (\S+)", issued.output).group(1)
        staff = Citizen(app.dispatcher, bot, session, clock, user_id=900, group=-100500)
        calls = await staff.send(f"/link {code}")
        assert await app.staff.agency_of(-100500) == "mvd", [c.text for c in calls]
        # ... and a second one has expired once its time to live has passed.
        late = await app.staff.invite("mvd")
        clock.now += settings.staff_code_ttl + 60
        other = Citizen(app.dispatcher, bot, session, clock, user_id=901, group=-100600)
        await other.send(f"/link {late}")
        assert await app.staff.agency_of(-100600) is None

        asked = clock.now
        ticket = await app.tickets.open(777, "mvd", QUESTION, "ru", None, False)
        assert ticket.created_at == asked
        assert ticket.due_at == add_working_days(asked, 5)
        due = dt.datetime.fromtimestamp(ticket.due_at, dt.UTC)
        assert due.weekday() < 5 and 5 <= round((ticket.due_at - asked) / 86400, 6) <= 7
        await app.tickets.posted(ticket.id, -100500, 5)  # its card is in the staff chat
        assert (await asyncio.to_thread(report, clock, settings, monkeypatch))["mvd"][:3] == [
            "1", "0", "0"]  # open, not overdue, none answered

        assert await app.tickets.reminders() == []  # nothing due yet
        clock.now = ticket.due_at - 3600  # the last hour: a reminder, not overdue
        assert [(r.ticket.id, r.overdue) for r in await app.tickets.reminders()] == [
            (ticket.id, False)]
        clock.now = ticket.due_at + 60
        assert [(r.ticket.id, r.overdue) for r in await app.tickets.reminders()] == [
            (ticket.id, True)]
        assert (await asyncio.to_thread(report, clock, settings, monkeypatch))["mvd"][:2] == [
            "1", "1"]  # overdue only after the due time
    finally:
        await app.close()


async def test_rows_the_bot_and_the_command_line_write_carry_the_injected_clock(
        settings, encoder, session, monkeypatch):
    """Far from any day the suite runs on: a date read from the machine shows."""
    clock = FakeClock(dt.datetime(2031, 5, 5, 6, 7, tzinfo=dt.UTC).timestamp())
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        await citizen.send("/start")
        met = clock.now
        await citizen.send(QUESTION)
        asked = clock.now
        user = await app.storage.users.get(citizen.user.id)
        assert (user.created_at, user.updated_at) == (met, met)
        assert (await app.storage.questions.recent(1))[0].created_at == asked
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
        clock.now += 3600
        for args in (["agency", "staff", "add", "mvd", "42"], ["agency", "staff", "list", "mvd"]):
            result = await asyncio.to_thread(CliRunner().invoke, cli, args, obj=clock)
            assert result.exit_code == 0, result.output
        assert "42\tmaintainer\t2031-05-05 07:07" in result.output
        [member] = await app.staff.members("mvd")
        assert member.added_at == clock.now
    finally:
        await app.close()

"""`saual gaps`: the questions the bot could not answer, grouped by need, with
the agency most likely to handle each group: what to write next."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated

import typer

from ..storage import CHAT_TYPES, GAP_REASONS, GROUP
from .base import app, clock_of, fail, load_settings, with_storage
from .retrieval import _engine

DEFAULT_DAYS = 30


def _since(value: str | None, today: dt.date) -> dt.date:
    if value is None:
        return today - dt.timedelta(days=DEFAULT_DAYS)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--since must be a date as YYYY-MM-DD, not {value!r}")
    raise AssertionError("unreachable")


@app.command()
def gaps(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(
        help=f"First day to read (YYYY-MM-DD, from 00:00 Kazakhstan time); default "
             f"{DEFAULT_DAYS} days ago.")] = None,
    agency: Annotated[str | None, typer.Option(
        help="Only the groups this agency (an id of agencies.yaml) handles.")] = None,
    reason: Annotated[str | None, typer.Option(
        help="Only the questions there for this reason: abstained (no page: one to "
             "write), clarified (the bot asked which page: pages that overlap), "
             "redirected (another agency's theme) or voted-down (an answer with more "
             "👎 than 👍).")] = None,
    chat: Annotated[str | None, typer.Option(
        help="Only the questions asked in this kind of chat: private (the bot's own "
             "chat) or group (a community group that mentioned the bot).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many groups.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Group the questions the bot did not answer (or whose answer got 👎) by need,
    biggest group first, each with the agency most likely to handle it."""
    from ..services import Directory, DirectoryError
    from ..services.gaps import gap_report
    from ..services.reviews import KZ  # days as staff and the digest count them

    settings = load_settings()
    clock = clock_of(ctx)
    today = dt.datetime.fromtimestamp(clock.time(), KZ).date()
    first = _since(since, today)
    if first > today:
        fail(f"--since {first.isoformat()} is after today ({today.isoformat()})")
    try:
        agencies = Directory.load(settings.knowledge_dir).agencies
    except DirectoryError as exc:
        fail(str(exc))
    if agency is not None and agency not in agencies:
        fail(f"unknown agency {agency!r}; agencies: {', '.join(agencies)}")
    if reason is not None and reason not in GAP_REASONS:
        fail(f"unknown reason {reason!r}; reasons: {', '.join(GAP_REASONS)}")
    if chat is not None and chat not in CHAT_TYPES:
        fail(f"unknown chat {chat!r}; chats: {', '.join(CHAT_TYPES)}")
    engine = _engine(settings)
    start = dt.datetime.combine(first, dt.time(), KZ).timestamp()
    try:
        report = asyncio.run(with_storage(
            settings, lambda storage: gap_report(storage, engine, agencies, start,
                                                 agency=agency, reason=reason,
                                                 chat_type=chat, limit=limit), clock))
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps({"clusters": [g.as_json() for g in report.gaps],
                               "since": first.isoformat(), "reason": reason, "chat": chat,
                               "total": report.total,
                               "clustered": report.clustered, "single": report.single,
                               "wordless": report.wordless},
                              ensure_ascii=False, indent=1))
        return
    scope = (f" for {agency}" if agency else "") + (f" in {chat} chats" if chat else "")
    what = f"questions {reason}" if reason else "questions not answered or voted down"
    typer.echo(f"Since {first.isoformat()}: {report.total} {what}{scope}.")
    if report.clustered < report.total:
        typer.echo(f"Only the newest {report.clustered} were grouped.")
    if not report.gaps:
        typer.echo("No group of similar questions.")
    for rank, g in enumerate(report.gaps, start=1):
        langs = ", ".join(f"{n} {lang}" for lang, n in g.langs.items())
        why = ", ".join(f"{why} {n}" for why, n in g.reasons.items())
        if g.chats.get(GROUP):
            why += f"; in groups {g.chats[GROUP]}"
        typer.echo(f"{rank}. [{g.count}] {g.agency or 'no agency'}: {g.label} ({langs}; {why})")
        for q in g.questions[1:]:
            typer.echo(f"     - {q}")
    if report.single:
        typer.echo(f"{report.single} questions are like no other (not shown).")
    if report.wordless:
        typer.echo(f"{report.wordless} questions hold no words (blank, or only a masked "
                   "number; not grouped).")

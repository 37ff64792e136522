"""`saual agency` (staff chats and rights, link codes, API tokens, feeds) and
`saual qa report` (ask an agency: questions per agency)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from ..clock import Clock
from ..config import Settings
from .base import app, clock_of, fail, load_settings, with_storage

agency_app = typer.Typer(no_args_is_help=True,
                         help="Agencies: staff chats and rights, link codes, API tokens, "
                              "feeds.")
app.add_typer(agency_app, name="agency")


async def _with_app(settings: Settings, clock: Clock, work):
    """Open the database (migrated) and the services, run `work(staff,
    announcements, feeds)`, close."""
    from ..app import opened

    async with opened(settings, clock) as services:
        return await work(services.staff, services.announcements, services.feeds)


def _agency_or_fail(settings: Settings, agency: str) -> None:
    from ..services import Directory, DirectoryError

    try:
        known = Directory.load(settings.knowledge_dir).agencies
    except DirectoryError as exc:
        fail(str(exc))
    if agency not in known:
        fail(f"unknown agency {agency!r}; agencies: {', '.join(known)}")


@agency_app.command("invite")
def agency_invite(ctx: typer.Context,
                  agency: Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")]
                  ) -> None:
    """Print a one-time code that links a staff group chat to AGENCY (/link CODE)."""
    settings = load_settings()
    _agency_or_fail(settings, agency)
    code = asyncio.run(_with_app(settings, clock_of(ctx), lambda staff, *_: staff.invite(agency)))
    hours = settings.staff_code_ttl / 3600
    typer.echo(f"In the agency's staff group, send: /link {code}")
    typer.echo(f"(one use, valid for {hours:g} h)", err=True)


@agency_app.command("token")
def agency_token(ctx: typer.Context,
                 agency: Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")]
                 ) -> None:
    """Print a new HTTP API token for AGENCY (shown once; replaces the previous one)."""
    settings = load_settings()
    _agency_or_fail(settings, agency)
    token = asyncio.run(_with_app(settings, clock_of(ctx),
                                  lambda staff, *_: staff.issue_token(agency)))
    typer.echo(token)
    typer.echo("Shown once and stored hashed; a new token replaces this one.", err=True)


@agency_app.command("feed")
def agency_feed(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")],
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's address.")],
    lang: Annotated[str, typer.Option(help="The language of the feed's items: kk or ru.")] = "ru",
) -> None:
    """Register an RSS/Atom feed: new items become AGENCY's announcements."""
    from ..services.feeds import FeedError

    settings = load_settings()
    _agency_or_fail(settings, agency)

    async def work(_staff, _announcements, feeds):
        feed = await feeds.add(agency, url, lang)
        return feed, await feeds.poll(feed)  # the first poll notes what is already there

    try:
        feed, _queued = asyncio.run(_with_app(settings, clock_of(ctx), work))
    except ValueError as exc:
        fail(str(exc))
    except FeedError as exc:  # registered, but not readable now: retried every poll
        typer.echo(f"feed registered, but the first poll failed: {exc}", err=True)
        return
    typer.echo(f"feed {feed.id} of {agency} registered; polled every "
               f"{settings.feed_poll_interval:g} s by `saual run`")


@agency_app.command("unlink")
def agency_unlink(
    ctx: typer.Context,
    agency: Annotated[str | None, typer.Argument(help="Agency id (agencies.yaml).")] = None,
    chat: Annotated[int | None, typer.Option(help="A staff chat's id, instead of AGENCY.")
                    ] = None,
) -> None:
    """Revoke AGENCY's staff chat (or the chat --chat): nobody acts from it any more;
    its open questions wait until the agency links a chat again."""
    settings = load_settings()
    if (agency is None) == (chat is None):
        fail("give an AGENCY or --chat CHAT_ID (not both)")
    if agency is not None:
        _agency_or_fail(settings, agency)
    revoked = asyncio.run(_with_app(settings, clock_of(ctx), lambda staff, *_: staff.unlink(
        agency=agency, chat_id=chat)))
    if not revoked:
        fail(f"no linked chat {'of ' + agency if agency else str(chat)}")
    for c in revoked:
        typer.echo(f"chat {c.chat_id} of {c.agency} unlinked")


staff_app = typer.Typer(no_args_is_help=True,
                        help="Who may act for an agency in its linked staff chat.")
agency_app.add_typer(staff_app, name="staff")
AgencyArg = Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")]
UserArg = Annotated[int, typer.Argument(help="The person's Telegram user id.")]


@staff_app.command("add")
def staff_add(ctx: typer.Context, agency: AgencyArg, user_id: UserArg) -> None:
    """Give USER_ID staff rights for AGENCY (they act in its linked chat)."""
    settings = load_settings()
    _agency_or_fail(settings, agency)
    added = asyncio.run(_with_app(settings, clock_of(ctx),
                                  lambda staff, *_: staff.add_member(agency, user_id)))
    typer.echo(f"user {user_id}: staff of {agency}" + ("" if added else " already"))


@staff_app.command("remove")
def staff_remove(ctx: typer.Context, agency: AgencyArg, user_id: UserArg) -> None:
    """Take USER_ID's staff rights for AGENCY; they stop at once."""
    settings = load_settings()
    _agency_or_fail(settings, agency)
    removed = asyncio.run(_with_app(settings, clock_of(ctx),
                                    lambda staff, *_: staff.remove_member(agency, user_id)))
    if not removed:
        fail(f"user {user_id} is not staff of {agency}")
    typer.echo(f"user {user_id}: no longer staff of {agency}")


@staff_app.command("list")
def staff_list(ctx: typer.Context, agency: AgencyArg) -> None:
    """AGENCY's linked chat and staff members (user id, who added them, when)."""
    settings = load_settings()
    _agency_or_fail(settings, agency)

    async def work(staff, *_):
        return await staff.chats(agency), await staff.members(agency)

    chats, members = asyncio.run(_with_app(settings, clock_of(ctx), work))
    typer.echo(f"chat: {chats[0].chat_id}" if chats else "chat: none linked")
    for m in members:
        by = "maintainer" if m.added_by is None else f"link by {m.added_by}"
        when = dt.datetime.fromtimestamp(m.added_at, dt.UTC)
        typer.echo(f"{m.user_id}\t{by}\t{when:%Y-%m-%d %H:%M}")
    if not members:
        typer.echo("no staff members")


qa_app = typer.Typer(no_args_is_help=True, help="Ask an agency: citizens' questions.")
app.add_typer(qa_app, name="qa")


@qa_app.command("report")
def qa_report(ctx: typer.Context) -> None:
    """Per agency: open, overdue and answered questions, median time to answer, and
    open questions waiting because the agency has linked no staff chat."""
    from ..services.tickets import report

    async def tickets(storage):
        return await storage.tickets.all()

    clock = clock_of(ctx)
    rows = report(asyncio.run(with_storage(load_settings(), tickets, clock)), clock.time())
    if not rows:
        typer.echo("No questions yet.")
        return
    typer.echo(f"{'agency':<20} {'open':>6} {'overdue':>8} {'answered':>9} {'median h':>9} "
               f"{'no chat':>8}")
    for r in rows:
        median = "-" if r.median_hours is None else f"{r.median_hours:.1f}"
        typer.echo(f"{r.agency:<20} {r.open:>6} {r.overdue:>8} {r.answered:>9} {median:>9} "
                   f"{r.waiting:>8}")
    if any(r.waiting for r in rows):
        typer.echo("'no chat': open questions waiting for the agency to link a staff chat "
                   "(saual agency invite AGENCY).", err=True)



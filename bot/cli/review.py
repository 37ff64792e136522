"""`saual review`: what agency staff confirmed or corrected from their staff
chat (/review), for maintainers to write into the page files.

``list`` shows what waits; ``apply ID`` writes one into the knowledge files
(a confirmation: ``status: verified`` with the agency and date in both
languages; a correction: the section's new text, the page back to a draft)
and ``reject ID`` turns one down. ``saual index`` then publishes the pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated

import typer

from .base import app, clock_of, fail, load_settings, with_storage

review_app = typer.Typer(no_args_is_help=True,
                         help="Staff confirmations and corrections of pages: list, apply, "
                              "reject.")
app.add_typer(review_app, name="review")

PREVIEW = 200  # characters of a correction shown in the list


@review_app.command("list")
def review_list(ctx: typer.Context,
                as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
                ) -> None:
    """What the agencies' staff confirmed or proposed, waiting for a maintainer."""
    settings = load_settings()
    pending = asyncio.run(with_storage(settings, lambda s: s.reviews.pending(),
                                       clock_of(ctx)))
    if as_json:
        typer.echo(json.dumps({"reviews": [
            {"id": r.id, "topic": r.topic_id, "agency": r.agency, "kind": r.kind,
             "lang": r.lang, "section": r.section, "heading": r.heading, "text": r.text,
             "user_id": r.user_id,
             "created_at": dt.datetime.fromtimestamp(r.created_at, dt.UTC).isoformat()}
            for r in pending]}, ensure_ascii=False, indent=2))
        return
    if not pending:
        typer.echo("Nothing waits for review.")
        return
    for r in pending:
        when = dt.datetime.fromtimestamp(r.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        if r.kind == "confirm":
            typer.echo(f"#{r.id}  {when}  {r.agency}  {r.topic_id}  confirm (kk and ru)")
            continue
        typer.echo(f"#{r.id}  {when}  {r.agency}  {r.topic_id}.{r.lang}  correction of "
                   f"section {(r.section or 0) + 1} «{r.heading}»:")
        text = r.text if len(r.text) <= PREVIEW else r.text[:PREVIEW - 1] + "…"
        for line in text.splitlines():
            typer.echo(f"      {line}")
    typer.echo(f"{len(pending)} waiting. `saual review apply ID` writes one into the pages, "
               "`saual review reject ID` turns it down.")


@review_app.command("apply")
def review_apply(ctx: typer.Context,
                 review_id: Annotated[int, typer.Argument(help="The review's number.")],
                 force: Annotated[bool, typer.Option(
                     "--force", help="Write a correction although the page changed since "
                                     "(its section must have the same heading).")] = False,
                 ) -> None:
    """Write review ID into the knowledge page files (then: saual index)."""
    from ..services import ReviewError, apply_review
    from ..services.reviews import kz_date

    settings = load_settings()
    clock = clock_of(ctx)
    try:
        written = asyncio.run(with_storage(
            settings, lambda s: apply_review(s, settings.knowledge_dir, review_id,
                                             kz_date(clock.time()), force=force), clock))
    except ReviewError as exc:
        fail(str(exc))
    for path in written:
        typer.echo(f"written: {path}")
    typer.echo("Check the change (git diff), then publish it: saual index")


@review_app.command("reject")
def review_reject(ctx: typer.Context,
                  review_id: Annotated[int, typer.Argument(help="The review's number.")]
                  ) -> None:
    """Turn review ID down: it leaves the list and nothing is written."""
    from ..services import ReviewError, reject_review

    settings = load_settings()
    try:
        review = asyncio.run(with_storage(settings, lambda s: reject_review(s, review_id),
                                          clock_of(ctx)))
    except ReviewError as exc:
        fail(str(exc))
    typer.echo(f"review #{review.id} ({review.topic_id}) rejected")

"""Serving commands: `saual run` (the bot), `saual chat` (the terminal chat),
`saual worker` (the announcement outbox) and `saual translations`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated

import typer

from embeddings import EmbeddingsError

from .base import app, clock_of, fail, load_settings


@app.command()
def run(
    webhook: Annotated[bool, typer.Option(
        "--webhook", help="Serve a webhook (aiohttp) instead of long polling.")] = False,
) -> None:
    """Run the Telegram bot (long polling, or a webhook with --webhook)."""
    from ..runners import ConfigurationError, run_polling, run_webhook
    from ..services import DirectoryError

    settings = load_settings()
    if settings.bot_token is None:
        fail("BOT_TOKEN is not set. Get a token from @BotFather in Telegram and put it in .env "
              "(see .env.example), or talk to the bot in the terminal with `saual chat`.")
    if webhook and not settings.webhook_url:
        fail("--webhook needs WEBHOOK_URL: the public https address Telegram will post "
              "updates to (see .env.example).")
    try:
        asyncio.run(run_webhook(settings) if webhook else run_polling(settings))
    except KeyboardInterrupt:
        pass
    except (ConfigurationError, EmbeddingsError, DirectoryError) as exc:
        fail(str(exc))


@app.command()
def chat() -> None:
    """Talk to the bot in the terminal: the same handlers, no Telegram needed."""
    from ..console import run_chat

    settings = load_settings()
    if logging.getLogger().level == logging.INFO:
        # The conversation is the output; keep per-update log lines out of it.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        asyncio.run(run_chat(settings, read=lambda: input("> "), out=typer.echo))
    except EmbeddingsError as exc:
        fail(str(exc))


@app.command()
def translations(
    update: Annotated[bool, typer.Option(
        "--update", help="Extract the strings, merge them into the .po files, compile .mo.")]
        = False,
) -> None:
    """Check the Kazakh and Russian interface catalogues (or update them)."""
    from .. import translations as tr

    if update:
        tr.update()
    found = tr.problems()
    for line in found:
        typer.echo(line, err=True)
    if found:
        raise typer.Exit(1)
    typer.echo(f"{tr.LOCALES}: every interface string is translated into "
               f"{' and '.join(tr.LANGS)} and compiled")


@app.command()
def worker(
    ctx: typer.Context,
    until_empty: Annotated[bool, typer.Option(
        "--until-empty", help="Stop when the outbox is empty.")] = False,
) -> None:
    """Drain the announcement outbox (what `saual run` does with DELIVERY_ENABLED)."""
    from ..runners import run_worker
    from ..services import DirectoryError

    settings = load_settings()
    if settings.bot_token is None:
        fail("BOT_TOKEN is not set (see .env.example).")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(settings, until_empty=until_empty, clock=clock_of(ctx)))
    except DirectoryError as exc:
        fail(str(exc))



"""`saual link`: the deep link that opens a page or a service in the bot, and
its QR code for posters in the ЦОН and agencies' channels."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from .base import app, fail, load_settings

QR_SCALE = 10  # pixels per module: a poster's code stays sharp when printed large
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks


async def _username(settings) -> str:
    """The bot's username from Telegram (getMe), with BOT_TOKEN."""
    from ..app import make_bot

    bot = make_bot(settings)
    try:
        me = await bot.me()
    finally:
        await bot.session.close()
    return me.username or ""


@app.command()
def link(
    target: Annotated[str, typer.Argument(
        help="A topic id (a page), or stations, ask, help, or sub-AGENCY (an agency's news).")],
    lang: Annotated[str | None, typer.Option(
        help="For a page: open it in this language (kk or ru) whatever the reader's.")] = None,
    qr: Annotated[Path | None, typer.Option(
        help="Also write the link as a QR code to this PNG file.")] = None,
    bot: Annotated[str | None, typer.Option(
        help="The bot's @username; default BOT_USERNAME, else asked of Telegram.")] = None,
) -> None:
    """Print the t.me link that opens TARGET in the bot (and write its QR code)."""
    from embeddings import DocKind, EmbeddingsError, load_knowledge

    from ..services import links

    settings = load_settings()
    if qr is not None and qr.suffix.lower() != ".png":
        fail(f"--qr writes a PNG image: name the file .png, not {qr.name!r}")
    parsed = links.parse(target)
    if parsed is not None and parsed.kind is not links.Kind.TOPIC and lang:
        fail(f"--lang is for a page; {target!r} opens a service")
    try:
        corpus = load_knowledge(settings.knowledge_dir)
    except EmbeddingsError as exc:
        fail(f"{settings.knowledge_dir}: the knowledge does not load, fix it first:\n{exc}")
    try:
        if parsed is None or parsed.kind is links.Kind.TOPIC:
            # a topic id as typed, or a payload such as id-card_kk (--lang wins)
            topic_id, payload_lang = (parsed.id, parsed.lang) if parsed else (target, "")
            wanted = links.topic(topic_id, lang or payload_lang)
            # (the loader has made sure every page is there in both languages)
            if not any(d.id == wanted.id for d in corpus.documents if d.kind == DocKind.PAGE):
                fail(f"no page {wanted.id!r} in {settings.knowledge_dir}")
        else:
            wanted = parsed
            if wanted.kind is links.Kind.SUBSCRIBE and wanted.id not in corpus.agencies:
                fail(f"unknown agency {wanted.id!r}; agencies: {', '.join(corpus.agencies)}")
        username = bot or settings.bot_username
        if not username:
            if settings.bot_token is None:
                fail("the bot's username is needed: pass --bot, or set BOT_USERNAME "
                     "(or BOT_TOKEN, to ask Telegram)")
            username = asyncio.run(_username(settings))
        url = links.url(username, wanted)
    except links.LinkError as exc:
        fail(str(exc))
    typer.echo(url)
    if qr is not None:
        import segno

        code = segno.make(url, error="m", micro=False)
        qr.parent.mkdir(parents=True, exist_ok=True)
        code.save(qr, kind="png", scale=QR_SCALE, border=QR_BORDER)
        size = (code.symbol_size(scale=QR_SCALE, border=QR_BORDER))[0]
        typer.echo(f"QR code written to {qr} ({size}×{size} px)", err=True)

"""The `saual` command line: run, chat, index, ask, eval, translations, stations,
agency (link codes, API tokens, feeds) and worker (the announcement outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from embeddings import (
    CorpusError,
    EmbeddingsError,
    IndexNotFound,
    SearchEngine,
    build_index,
    ensure_index,
    evaluate,
    load_index,
    load_knowledge,
    load_passages,
    load_questions,
    make_encoder,
)

from .clock import SYSTEM, Clock
from .config import Settings
from .services.masking import install_redaction

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Saual: government-portal answers in Kazakh and Russian.")
logger = logging.getLogger("saual")


# Loggers that log SQL parameters or row data below these levels: aiosqlite logs
# every call with its arguments and results at DEBUG, SQLAlchemy's engine logs
# statements with their parameters at INFO and rows at DEBUG.
QUIET_LOGGERS = {"aiosqlite": logging.INFO, "sqlalchemy.engine": logging.WARNING}


def _settings() -> Settings:
    settings = Settings()
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, root.getEffectiveLevel()))
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    install_redaction(root.handlers, token)  # tokens out of every record, whatever logs it
    return settings


def _clock(ctx: typer.Context) -> Clock:
    """The clock the caller handed in (`CliRunner().invoke(app, args, obj=clock)`),
    else the system's: every command that reads the time reads it through this."""
    return ctx.find_object(Clock) or SYSTEM


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


class _Progress:
    """A tqdm bar on a terminal, silent elsewhere, fed by build callbacks."""

    def __init__(self, total: int, label: str):
        self._bar = tqdm(total=total, desc=f"embedding {label}", unit="chunk",
                         disable=not sys.stderr.isatty(), leave=False)

    def progress(self, done: int, total: int) -> None:
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _build(corpus, encoder, root: Path, label: str):
    bar = _Progress(len(corpus.chunks()), label)
    try:
        return build_index(corpus, encoder, root, progress=bar.progress)
    finally:
        bar.close()


@app.command()
def index(
    check: Annotated[bool, typer.Option("--check", help="Validate only; build nothing.")] = False,
    knowledge: Annotated[Path | None, typer.Option(help="Knowledge folder.")] = None,
) -> None:
    """Validate the knowledge files and build + publish a new index."""
    settings = _settings()
    folder = knowledge or settings.knowledge_dir
    try:
        corpus = load_knowledge(folder)
    except CorpusError as exc:
        _fail(f"{exc}\nThe index in service was left as it was.")
    pages = sum(1 for d in corpus.documents if d.kind == "page")
    qa = sum(1 for d in corpus.documents if d.kind == "qa")
    topics = len({d.id for d in corpus.documents if d.kind == "page"})
    themes = len({d.id for d in corpus.documents if d.kind == "redirect"})
    typer.echo(f"{folder}: {pages} pages ({topics} topics), {qa} published answers, "
               f"{themes} out-of-scope themes, {len(corpus.agencies)} agencies, "
               f"{len(corpus.synonyms)} synonym groups; no errors")
    if check:
        return
    try:
        encoder = make_encoder(settings.encoder)
        report = _build(corpus, encoder, settings.index_dir, str(folder))
    except EmbeddingsError as exc:
        _fail(str(exc))
    typer.echo(f"built {report.build_id}: {report.chunks} chunks, {report.embedded} embedded "
               f"(the rest from cache) in {report.seconds:.1f}s; now serving from "
               f"{settings.index_dir}")


def _engine(settings: Settings) -> SearchEngine:
    try:
        encoder = make_encoder(settings.encoder)
        return SearchEngine(load_index(settings.index_dir, encoder), encoder,
                            settings.search_config(), settings.index_dir)
    except IndexNotFound as exc:
        _fail(str(exc))
    except EmbeddingsError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many results.")] = 5,
) -> None:
    """Ask one question and print the best pages."""
    settings = _settings()
    engine = _engine(settings)
    result = engine.search(text, k=k)
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return
    status = "confident" if result.confident else "not confident: would abstain"
    typer.echo(f"[{result.lang}] {status} ({result.confidence:.2f})")
    for i, hit in enumerate(result.hits, start=1):
        flag = " (other language)" if hit.fallback else ""
        typer.echo(f"{i}. {hit.title} [{hit.id}, {hit.lang}{flag}] score {hit.score:.3f}")
        typer.echo(f"   {hit.url}")
        if i == 1:
            typer.echo(f"   § {hit.section}: {hit.snippet[:300]}")


@app.command("eval")
def eval_(
    questions: Annotated[Path, typer.Option(help="Question set (JSON Lines).")],
    passages: Annotated[Path | None, typer.Option(
        help="Index this passage set instead of the knowledge base.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lexical_weight: Annotated[float | None, typer.Option(
        help="Override the fusion weight (1 = lexical only, 0 = dense only).")] = None,
    fusion: Annotated[str | None, typer.Option(help="Override the fusion: zscore or rrf.")] = None,
) -> None:
    """Measure hit@k, MRR, abstention and latency on a question set."""
    settings = _settings()
    try:
        qs = load_questions(questions)
    except (CorpusError, FileNotFoundError) as exc:
        _fail(str(exc))
    config = settings.search_config()
    if lexical_weight is not None:
        config = replace(config, lexical_weight=lexical_weight)
    if fusion is not None:
        if fusion not in ("zscore", "rrf"):
            _fail(f"--fusion must be zscore or rrf, not {fusion!r}")
        config = replace(config, fusion=fusion)
    if passages is None:
        engine = _engine(settings)
        engine = SearchEngine(engine.index, engine.encoder, config, settings.index_dir)
    else:
        try:
            corpus = load_passages(passages)
            encoder = make_encoder(settings.encoder)
        except EmbeddingsError as exc:
            _fail(str(exc))
        root = Path("var/eval") / hashlib.sha256(str(passages.resolve()).encode()).hexdigest()[:12]
        bar = _Progress(len(corpus.documents), passages.name)
        try:
            loaded = ensure_index(corpus, encoder, root, progress=bar.progress,
                                  cache_path=Path("var/embedding-cache.sqlite3"))
        finally:
            bar.close()
        engine = SearchEngine(loaded, encoder, config)
    metrics = evaluate(engine, qs)
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    _print_metrics(metrics)


def _print_metrics(m: dict) -> None:
    def line(label: str, s: dict) -> str:
        return (f"{label:<14} n={s['n']:<5} hit@1 {s['hit@1']}  hit@3 {s['hit@3']}  "
                f"hit@5 {s['hit@5']}  MRR@10 {s['mrr@10']}")

    typer.echo(line("all", m))
    for lang, s in m["by_lang"].items():
        typer.echo(line(f"lang {lang}", s))
    for kind, s in m["by_kind"].items():
        typer.echo(line(f"kind {kind}", s))
    typer.echo(f"out-of-scope false-answer rate {m['oos_false_answer_rate']}  "
               f"in-scope abstain rate {m['in_scope_abstain_rate']}  "
               f"language match@1 {m['lang_match@1']}")
    typer.echo(f"latency ms p50 {m['latency_ms']['p50']}  p95 {m['latency_ms']['p95']}")


@app.command()
def run(
    webhook: Annotated[bool, typer.Option(
        "--webhook", help="Serve a webhook (aiohttp) instead of long polling.")] = False,
) -> None:
    """Run the Telegram bot (long polling, or a webhook with --webhook)."""
    from .factory import ConfigurationError, run_polling, run_webhook
    from .services import DirectoryError

    settings = _settings()
    if settings.bot_token is None:
        _fail("BOT_TOKEN is not set. Get a token from @BotFather in Telegram and put it in .env "
              "(see .env.example), or talk to the bot in the terminal with `saual chat`.")
    if webhook and not settings.webhook_url:
        _fail("--webhook needs WEBHOOK_URL: the public https address Telegram will post "
              "updates to (see .env.example).")
    try:
        asyncio.run(run_webhook(settings) if webhook else run_polling(settings))
    except KeyboardInterrupt:
        pass
    except (ConfigurationError, EmbeddingsError, DirectoryError) as exc:
        _fail(str(exc))


@app.command()
def chat() -> None:
    """Talk to the bot in the terminal: the same handlers, no Telegram needed."""
    from .console import run_chat

    settings = _settings()
    if logging.getLogger().level == logging.INFO:
        # The conversation is the output; keep per-update log lines out of it.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        asyncio.run(run_chat(settings, read=lambda: input("> "), out=typer.echo))
    except EmbeddingsError as exc:
        _fail(str(exc))


@app.command()
def translations(
    update: Annotated[bool, typer.Option(
        "--update", help="Extract the strings, merge them into the .po files, compile .mo.")]
        = False,
) -> None:
    """Check the Kazakh and Russian interface catalogues (or update them)."""
    from . import translations as tr

    if update:
        tr.update()
    found = tr.problems()
    for line in found:
        typer.echo(line, err=True)
    if found:
        raise typer.Exit(1)
    typer.echo(f"{tr.LOCALES}: every interface string is translated into "
               f"{' and '.join(tr.LANGS)} and compiled")


stations_app = typer.Typer(no_args_is_help=True,
                           help="Polling stations: import precinct lists, look up an address.")
app.add_typer(stations_app, name="stations")


async def _with_storage(settings: Settings, work, clock: Clock = SYSTEM):
    """Open the database, bring it to the newest migration, run `work(storage)`, close."""
    from .storage import Storage

    storage = Storage.from_url(settings.database_url, clock=clock)
    try:
        await storage.migrate()
        return await work(storage)
    finally:
        await storage.close()


async def _with_stations(settings: Settings, work, *, load: bool = True):
    """Open the database (migrated), load the precincts, run `work(stations)`, close."""
    from .services import Stations

    async def with_stations(storage):
        stations = Stations(storage, settings.stations_config())
        if load:
            await stations.load()
        return await work(stations)

    return await _with_storage(settings, with_stations)


@stations_app.command("import")
def stations_import(
    file: Annotated[Path, typer.Argument(help="Precinct list (CSV, see "
                                              "knowledge/polling_stations/README.md).")],
    aliases: Annotated[Path | None, typer.Option(
        help="Street aliases (CSV): old names, Kazakh and Russian forms.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Validate only; import nothing.")]
        = False,
) -> None:
    """Validate a precinct list and replace its cities' precincts with it, all or nothing."""
    from .services import StationDataError, read_station_files

    settings = _settings()
    try:
        data = read_station_files(file, aliases)
    except StationDataError as exc:
        _fail(f"{exc}\nNothing was imported.")
    summary = (f"{file}: {len(data.precincts)} precincts in {', '.join(data.cities)}"
               + (f", {len(data.aliases)} street aliases" if data.aliases is not None else "")
               + ("; SAMPLE data (source: sample)" if data.sample else "")
               + "; no errors")
    typer.echo(summary)
    if check:
        return

    async def work(stations):
        return await stations.import_data(data)

    import_id = asyncio.run(_with_stations(settings, work, load=False))
    typer.echo(f"imported as import {import_id}: the precincts of {', '.join(data.cities)} were "
               "replaced" + ("" if data.aliases is not None else
                             " (their street aliases were kept: none given)")
               + "; a running bot picks them up within seconds")


@stations_app.command("find")
def stations_find(
    address: Annotated[str, typer.Argument(help="The address, as a citizen would type it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Look an address up in the imported precincts, as the bot does."""
    settings = _settings()

    async def work(stations):
        return stations.index.find(address)

    result = asyncio.run(_with_stations(settings, work))
    parsed = result.address

    def place(area) -> str:
        return f"мкр {area.name_ru}" if area.kind == "mkr" else area.name_ru

    understood = {"street": parsed.street_text or None, "microdistrict": parsed.microdistrict,
                  "house": parsed.house.text if parsed.house else None, "city": parsed.city}
    matches = [{"precinct": m.precinct.number, "city": m.precinct.city_ru,
                "place": place(m.area), "score": round(m.score, 1),
                "name": m.precinct.name_ru, "address": m.precinct.address_ru,
                "hours": m.precinct.hours, "phone": m.precinct.phone,
                "lat": m.precinct.lat, "lon": m.precinct.lon, "sample": m.precinct.sample}
               for m in result.matches]
    if as_json:
        typer.echo(json.dumps({"status": result.status.value, "understood": understood,
                               "matches": matches,
                               "place": place(result.area) if result.area else None},
                              ensure_ascii=False, indent=1))
    else:
        typer.echo(f"{result.status.value}: " + ", ".join(
            f"{k}={v}" for k, v in understood.items() if v is not None))
        if result.area is not None:
            typer.echo(f"  place: {place(result.area)} ({result.area.city_ru})")
        for m in matches:
            typer.echo(f"  № {m['precinct']} ({m['city']}) via {m['place']} "
                       f"[score {m['score']}]: {m['name']}, {m['address']}, {m['hours']}, "
                       f"phone {m['phone'] or '—'}" + (" [SAMPLE]" if m["sample"] else ""))
    if result.status.value in ("no_data", "not_understood", "unknown_place"):
        raise typer.Exit(1)


agency_app = typer.Typer(no_args_is_help=True,
                         help="Agencies: staff chats and rights, link codes, API tokens, "
                              "feeds.")
app.add_typer(agency_app, name="agency")


async def _with_app(settings: Settings, clock: Clock, work):
    """Open the database (migrated) and the news services, run `work(services)`, close."""
    from .feedfetch import build_feeds
    from .services import Announcements, Directory, StaffChats

    directory = Directory.load(settings.knowledge_dir)

    async def with_services(storage):
        announcements = Announcements(storage, directory, clock=clock.time)
        staff = StaffChats(storage, directory.agencies, code_ttl=settings.staff_code_ttl,
                           clock=clock.time)
        return await work(staff, announcements,
                          build_feeds(storage, announcements, settings, clock))

    return await _with_storage(settings, with_services, clock)


def _agency_or_fail(settings: Settings, agency: str) -> None:
    from .services import Directory, DirectoryError

    try:
        known = Directory.load(settings.knowledge_dir).agencies
    except DirectoryError as exc:
        _fail(str(exc))
    if agency not in known:
        _fail(f"unknown agency {agency!r}; agencies: {', '.join(known)}")


@agency_app.command("invite")
def agency_invite(ctx: typer.Context,
                  agency: Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")]
                  ) -> None:
    """Print a one-time code that links a staff group chat to AGENCY (/link CODE)."""
    settings = _settings()
    _agency_or_fail(settings, agency)
    code = asyncio.run(_with_app(settings, _clock(ctx), lambda staff, *_: staff.invite(agency)))
    hours = settings.staff_code_ttl / 3600
    typer.echo(f"In the agency's staff group, send: /link {code}")
    typer.echo(f"(one use, valid for {hours:g} h)", err=True)


@agency_app.command("token")
def agency_token(ctx: typer.Context,
                 agency: Annotated[str, typer.Argument(help="Agency id (agencies.yaml).")]
                 ) -> None:
    """Print a new HTTP API token for AGENCY (shown once; replaces the previous one)."""
    settings = _settings()
    _agency_or_fail(settings, agency)
    token = asyncio.run(_with_app(settings, _clock(ctx),
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
    from .services.feeds import FeedError

    settings = _settings()
    _agency_or_fail(settings, agency)

    async def work(_staff, _announcements, feeds):
        feed = await feeds.add(agency, url, lang)
        return feed, await feeds.poll(feed)  # the first poll notes what is already there

    try:
        feed, _queued = asyncio.run(_with_app(settings, _clock(ctx), work))
    except ValueError as exc:
        _fail(str(exc))
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
    settings = _settings()
    if (agency is None) == (chat is None):
        _fail("give an AGENCY or --chat CHAT_ID (not both)")
    if agency is not None:
        _agency_or_fail(settings, agency)
    revoked = asyncio.run(_with_app(settings, _clock(ctx), lambda staff, *_: staff.unlink(
        agency=agency, chat_id=chat)))
    if not revoked:
        _fail(f"no linked chat {'of ' + agency if agency else str(chat)}")
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
    settings = _settings()
    _agency_or_fail(settings, agency)
    added = asyncio.run(_with_app(settings, _clock(ctx),
                                  lambda staff, *_: staff.add_member(agency, user_id)))
    typer.echo(f"user {user_id}: staff of {agency}" + ("" if added else " already"))


@staff_app.command("remove")
def staff_remove(ctx: typer.Context, agency: AgencyArg, user_id: UserArg) -> None:
    """Take USER_ID's staff rights for AGENCY; they stop at once."""
    settings = _settings()
    _agency_or_fail(settings, agency)
    removed = asyncio.run(_with_app(settings, _clock(ctx),
                                    lambda staff, *_: staff.remove_member(agency, user_id)))
    if not removed:
        _fail(f"user {user_id} is not staff of {agency}")
    typer.echo(f"user {user_id}: no longer staff of {agency}")


@staff_app.command("list")
def staff_list(ctx: typer.Context, agency: AgencyArg) -> None:
    """AGENCY's linked chat and staff members (user id, who added them, when)."""
    import datetime as dt

    settings = _settings()
    _agency_or_fail(settings, agency)

    async def work(staff, *_):
        return await staff.chats(agency), await staff.members(agency)

    chats, members = asyncio.run(_with_app(settings, _clock(ctx), work))
    typer.echo(f"chat: {chats[0].chat_id}" if chats else "chat: none linked")
    for m in members:
        by = "maintainer" if m.added_by is None else f"link by {m.added_by}"
        added = dt.datetime.fromtimestamp(m.added_at, dt.UTC)
        typer.echo(f"{m.user_id}\t{by}\t{added:%Y-%m-%d %H:%M}")
    if not members:
        typer.echo("no staff members")


qa_app = typer.Typer(no_args_is_help=True, help="Ask an agency: citizens' questions.")
app.add_typer(qa_app, name="qa")


@qa_app.command("report")
def qa_report(ctx: typer.Context) -> None:
    """Per agency: open, overdue and answered questions, median time to answer, and
    open questions waiting because the agency has linked no staff chat."""
    from .services.tickets import report

    async def tickets(storage):
        return await storage.tickets.all()

    clock = _clock(ctx)
    rows = report(asyncio.run(_with_storage(_settings(), tickets, clock)), clock.time())
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


@app.command()
def worker(
    until_empty: Annotated[bool, typer.Option(
        "--until-empty", help="Stop when the outbox is empty.")] = False,
) -> None:
    """Drain the announcement outbox (what `saual run` does with DELIVERY_ENABLED)."""
    from .factory import worker as run_worker
    from .services import DirectoryError

    settings = _settings()
    if settings.bot_token is None:
        _fail("BOT_TOKEN is not set (see .env.example).")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(settings, until_empty=until_empty))
    except DirectoryError as exc:
        _fail(str(exc))


def main() -> None:
    app()


if __name__ == "__main__":
    main()

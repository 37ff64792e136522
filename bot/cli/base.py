"""What every `saual` command shares: the Typer app, the settings and logging
set-up, the clock, failing with a message, and a progress bar."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import typer
from tqdm import tqdm

from ..clock import SYSTEM, Clock
from ..config import Settings
from ..logformat import JsonFormatter
from ..services.masking import install_redaction

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Saual: government-portal answers in Kazakh and Russian.")
logger = logging.getLogger("saual")


# Loggers that log SQL parameters or row data below these levels: aiosqlite logs
# every call with its arguments and results at DEBUG, SQLAlchemy's engine logs
# statements with their parameters at INFO and rows at DEBUG.
QUIET_LOGGERS = {"aiosqlite": logging.INFO, "sqlalchemy.engine": logging.WARNING}


def load_settings() -> Settings:
    settings = Settings()
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    if settings.log_format == "json":  # one JSON object per line; redaction as for text
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, root.getEffectiveLevel()))
    # Alembic says "Context impl ..." on every start and a line per migration
    # step; Storage.migrate logs one line when the schema changed instead.
    logging.getLogger("alembic").setLevel(
        logging.WARNING if root.getEffectiveLevel() > logging.DEBUG else logging.NOTSET)
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    install_redaction(root.handlers, token)  # tokens out of every record, whatever logs it
    return settings


def clock_of(ctx: typer.Context) -> Clock:
    """The clock the caller handed in (`CliRunner().invoke(app, args, obj=clock)`),
    else the system's: every command that reads the time reads it through this."""
    return ctx.find_object(Clock) or SYSTEM


def fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


class Progress:
    """A tqdm bar on a terminal, silent elsewhere, fed by build callbacks; a
    build's later stage (the topic model's questions) gets a bar of its own."""

    def __init__(self, total: int, label: str, unit: str = "chunk"):
        self._label = label
        self._bar = self._open(total, label, unit)

    @staticmethod
    def _open(total: int, label: str, unit: str) -> tqdm:
        return tqdm(total=total, desc=f"embedding {label}", unit=unit,
                    disable=not sys.stderr.isatty(), leave=False)

    def progress(self, done: int, total: int) -> None:
        self._bar.total = total
        self._bar.update(done - self._bar.n)
        if total and done >= total:  # cleared now: the log lines that follow start clean
            self._bar.close()

    def stage(self, label: str, unit: str) -> Callable[[int, int], None]:
        """A callback like :meth:`progress` whose first call closes the bar
        in use and opens one labelled `label`."""

        def progress(done: int, total: int) -> None:
            if self._label != label:
                self._bar.close()
                self._label = label
                self._bar = self._open(total, label, unit)
            self.progress(done, total)

        return progress

    def close(self) -> None:
        self._bar.close()


async def with_storage(settings: Settings, work, clock: Clock = SYSTEM):
    """Open the database, bring it to the newest migration, run `work(storage)`, close."""
    from ..app import database

    async with database(settings, clock) as storage:
        return await work(storage)

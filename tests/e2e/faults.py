"""Process-level faults against the Bot API emulator, shared by the fault
tests (tests/e2e/test_e2e_faults.py) and the benchmark (scripts/bench.py):

- :func:`kill_broadcast`: `saual worker` killed with SIGKILL at seeded random
  points of a broadcast and started again each time, then drained; what the
  emulator stored is compared with what was queued (lost, duplicates);
- :func:`bot_api_down`: every chat's sends answer 500 a few times first (a Bot
  API that fails for a while); the worker backs off and delivers everything.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bot.services import Announcements, Directory, Draft
from bot.storage import Storage, tables

from .harness import TOKEN, Emulator

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "knowledge"
SAUAL = Path(sys.executable).with_name("saual")
# Long enough to go as two messages (a Telegram message holds 4096 characters).
LONG = "\n\n".join(f"Абзац {n}: " + "ЦОН работает по субботам с 9:00 до 13:00. " * 20
                   for n in range(1, 6))


def environment(emulator: Emulator, folder: Path, **extra: str) -> dict[str, str]:
    return {"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": emulator.base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'saual.sqlite3'}",
            "KNOWLEDGE_DIR": str(FIXTURE), "LOG_LEVEL": "INFO",
            "DELIVERY_RATE": "100", "DELIVERY_BACKOFF": "0.2", "DELIVERY_MAX_ATTEMPTS": "5",
            "DELIVERY_TIMEOUT": "1", "DELIVERY_LEASE": "2.5", **extra}


def queue(env: dict, chats: list[int], texts: list[str]) -> None:
    """Subscribers of `mvd` and announcements to them, as the bot queues them."""

    async def work():
        storage = Storage.from_url(env["DATABASE_URL"])
        try:
            await storage.migrate()
            for chat in chats:
                await storage.users.get_or_create(chat)
                await storage.subscriptions.toggle(chat, "agency", "mvd")
            announcements = Announcements(storage, Directory.load(Path(env["KNOWLEDGE_DIR"])))
            for text in texts:
                await announcements.publish("mvd", Draft(text_ru=text), source="api")
        finally:
            await storage.close()

    asyncio.run(work())


def outbox(env: dict) -> list[dict]:
    """Every outbox row, as column -> value (as tests/dbkit.py's outbox_rows; this
    module is also imported as tests.e2e.faults by scripts/bench.py)."""

    async def work():
        storage = Storage.from_url(env["DATABASE_URL"])
        try:
            async with storage.engine.connect() as conn:
                rows = await conn.execute(sa.select(tables.outbox).order_by(tables.outbox.c.id))
                return [dict(r._mapping) for r in rows.all()]
        finally:
            await storage.close()

    return asyncio.run(work())


def worker(env: dict, cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(SAUAL), "worker", *args], env={**os.environ, **env}, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def delivered(emulator: Emulator) -> list[dict]:
    return emulator.call("/deliveries", {})["result"]


@dataclass
class Figures:
    expected: int  # messages (parts) that should arrive
    arrived: int = 0
    lost: int = 0  # (chat, message) pairs that never arrived
    duplicates: int = 0  # arrivals beyond the first of a (chat, message) pair
    kills: int = 0
    # Messages the emulator had stored but the outbox had not recorded as sent
    # when a worker died, summed over the kills: the only ones allowed to repeat.
    in_flight: int = 0
    unexplained: list = field(default_factory=list)  # repeats of messages recorded at a kill
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    errors: str = ""  # the worker's stderr when it failed


def tally(emulator: Emulator, env: dict, figures: Figures, chats: list[int],
          per_chat: int) -> None:
    """Compare what the emulator stored with `per_chat` messages to each chat."""
    got = Counter((d["chat_id"], d["text"]) for d in delivered(emulator))
    figures.arrived = sum(got.values())
    figures.duplicates = sum(n - 1 for n in got.values())
    distinct = Counter(chat for chat, _text in got)
    figures.lost = sum(max(per_chat - distinct[c], 0) for c in chats)
    figures.statuses = dict(Counter(r["status"] for r in outbox(env)))


def settled(emulator: Emulator, quiet: float = 0.3, limit: float = 5.0) -> list[dict]:
    """What the emulator stored, once nothing more has arrived for `quiet` s (a
    request a killed worker had written may still be handled after its death)."""
    seen = delivered(emulator)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = delivered(emulator)
        if len(now) == len(seen):
            break
        seen = now
    return seen


def unrecorded(emulator: Emulator, env: dict, texts: list[str]) -> Counter:
    """The messages stored by the emulator and not recorded in the outbox, as
    (chat, text) -> 1: for each row, the parts beyond those recorded sent
    (all of a `sent` row's; `parts_sent` of the others), in the order they
    arrived. `texts[i]` is announcement i + 1's text."""
    arrived: dict[tuple[int, int], list[str]] = {}
    for d in settled(emulator):
        # A part holds the start of one of its announcement's paragraphs at least.
        announcement = next(i + 1 for i, t in enumerate(texts)
                            if any(p[:30] in d["text"] for p in t.split("\n\n")))
        parts = arrived.setdefault((d["chat_id"], announcement), [])
        if d["text"] not in parts:
            parts.append(d["text"])
    out: Counter = Counter()
    for row in outbox(env):
        parts = arrived.get((row["chat_id"], row["announcement_id"]), [])
        recorded = len(parts) if row["status"] == "sent" else row["parts_sent"]
        out.update((row["chat_id"], text) for text in parts[recorded:])
    return out


def kill_broadcast(emulator: Emulator, folder: Path, *, seed: int = 7, kills: int = 5,
                   chats: int = 120) -> Figures:
    """A short and a long (two-part) announcement to `chats` subscribers;
    `saual worker` is killed with SIGKILL `kills` times at seeded random
    points, started again each time, and finally run until the outbox is empty."""
    env = environment(emulator, folder)
    ids = list(range(7000, 7000 + chats))
    texts = ["Короткое объявление", LONG]
    queue(env, ids, texts)
    figures = Figures(expected=3 * chats)
    allowed: Counter = Counter()
    rng = random.Random(seed)
    points = sorted(rng.sample(range(figures.expected // 10, figures.expected * 9 // 10),
                               kills))
    started = time.monotonic()
    for point in points:
        proc = worker(env, folder)
        deadline = time.monotonic() + 60
        while len(delivered(emulator)) < point:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                figures.errors = proc.communicate()[1][-3000:]
                return figures
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        figures.kills += 1
        allowed += unrecorded(emulator, env, texts)
    last = worker(env, folder, "--until-empty")
    _out, err = last.communicate(timeout=120)
    if last.returncode:
        figures.errors = err[-3000:]
    figures.seconds = time.monotonic() - started
    tally(emulator, env, figures, ids, per_chat=3)
    figures.in_flight = sum(allowed.values())
    got = Counter((d["chat_id"], d["text"]) for d in delivered(emulator))
    figures.unexplained = sorted((chat, text[:40], n - 1) for (chat, text), n in got.items()
                                 if n - 1 > allowed[chat, text])
    return figures


def bot_api_down(emulator: Emulator, folder: Path, *, chats: int = 30,
                 failures: int = 3) -> Figures:
    """Every chat's first `failures` sends answer 500 (the Bot API failing for
    a while); the worker (`saual worker`'s code, in this process) backs off and
    must deliver every message once."""
    from bot.config import Settings
    from bot.runners import run_worker

    env = environment(emulator, folder, DELIVERY_BACKOFF="0.1")
    ids = list(range(8000, 8000 + chats))
    queue(env, ids, ["Объявление после сбоя"])
    for chat in ids:
        emulator.call("/faults", {"chatId": chat, "kind": "500", "count": failures})
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()
                                          if k != "LOG_LEVEL"})
    figures = Figures(expected=chats)
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(run_worker(settings, until_empty=True), 120))
    figures.seconds = time.monotonic() - started
    tally(emulator, env, figures, ids, per_chat=1)
    return figures

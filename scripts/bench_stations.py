"""Benchmark of the polling-station lookup on generated precincts.

Generates N synthetic precincts (deterministic seed) in several made-up cities,
with streets split by odd/even sides and from-to ranges and microdistricts
split by building lists, writes them as a precinct file, then measures what a
deployment does:

- validate the file (`read_station_files`, what `saual stations import` runs),
- import it into a fresh SQLite database in one transaction and load it back,
- build the in-memory lookup index (what the bot does at start-up),
- look up a few thousand generated addresses, in Russian, Kazakh and Latin
  spellings, with typos, with and without the city, and check each answer,
- find the stations nearest to random points.

Prints a Markdown section (and writes it with --out)::

    .venv/bin/python scripts/bench_stations.py
    .venv/bin/python scripts/bench_stations.py --precincts 10000 --queries 3000 --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from bot.services import Stations
from bot.storage import Storage
from precincts import (
    PRECINCT_COLUMNS,
    Snapshot,
    StationIndex,
    StationsConfig,
    Status,
    read_station_files,
)

SYLLABLES = ("ка ра жан бек сай тас кол бай сар ар мен тай жар кен ул тем ир ос нур ай "
             "дал кыз ес бол сул там ас ба").split()
LATIN = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
                 ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                  "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y",
                  "", "e", "yu", "ya", "a", "g", "q", "n", "o", "u", "u", "h", "i"],
                 strict=True))
VERDICTS = ("n", "found", "offered", "city", "wrong", "missed")
KK_LETTERS = {"а": "ә", "о": "ө", "у": "ұ", "к": "қ", "г": "ғ", "н": "ң", "и": "і"}


@dataclass(frozen=True)
class Piece:
    kind: str  # "street" or "mkr"
    name: str  # the base name of a street, or a microdistrict number
    low: int
    high: int | None
    parity: str | None

    def boundary(self) -> str:
        place = f"мкр {self.name}" if self.kind == "mkr" else f"улица {ru_genitive(self.name)}"
        if self.low == 1 and self.high is None:
            houses = self.parity or "*"
        else:
            houses = f"{self.low}-{self.high if self.high is not None else ''}"
            if self.parity:
                houses += f" {self.parity}"
        return f"{place}: {houses}"

    def house(self, rng: random.Random) -> int:
        high = self.high if self.high is not None else self.low + 60
        n = rng.randint(self.low, high)
        if self.parity and (n % 2 == 1) != (self.parity == "odd"):
            n = n + 1 if n + 1 <= high else n - 1
        return n


def ru_genitive(name: str) -> str:
    """A surname-like base in the Russian genitive: Сарбаев -> Сарбаева."""
    return name + "а" if name[-1] in "внрмлктсдб" else name


def make_name(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return word.capitalize() + rng.choice(("ев", "ов", "бек", "ин", ""))


def kazakh(name: str, rng: random.Random) -> str:
    """The same name with some Kazakh letters, as a Kazakh spelling would have."""
    chars = list(name)
    for i, ch in enumerate(chars[1:], start=1):
        if ch in KK_LETTERS and rng.random() < 0.3:
            chars[i] = KK_LETTERS[ch]
    return "".join(chars)


def latin(text: str) -> str:
    return "".join(LATIN.get(ch, LATIN.get(ch.lower(), ch).capitalize() if ch.isupper()
                             else ch) for ch in text)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "swap", "double"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i] + word[i:]


def generate(n: int, cities: int, seed: int):
    """Rows of a precinct file, and for each precinct the pieces it covers."""
    rng = random.Random(seed)
    per_city = n // cities
    city_names: list[str] = []
    while len(city_names) < cities:
        name = make_name(rng)[:-2] + rng.choice(("сай", "тау", "кент", "бұлақ", "көл"))
        if name not in city_names:
            city_names.append(name)
    rows, covered = [], []
    for c, city in enumerate(city_names):
        lat0, lon0 = 43.0 + (c % 5) * 2.0, 52.0 + (c // 5) * 6.0
        city_kk = kazakh(city, rng)
        pieces: list[Piece] = []
        used: set[str] = set()
        for m in range(1, rng.randint(15, 40) + 1):
            top = rng.randint(30, 80)
            cut = rng.randint(10, top - 10)
            pieces += [Piece("mkr", str(m), 1, cut, None), Piece("mkr", str(m), cut + 1, None,
                                                                     None)]
        while len(pieces) < per_city * 2:
            name = make_name(rng)
            if name in used:
                continue
            used.add(name)
            style = rng.random()
            if style < 0.3:
                pieces.append(Piece("street", name, 1, None, None))
            elif style < 0.55:
                pieces += [Piece("street", name, 1, None, "odd"),
                           Piece("street", name, 1, None, "even")]
            elif style < 0.8:
                cut = rng.randint(10, 120)
                pieces += [Piece("street", name, 1, cut, None),
                           Piece("street", name, cut + 1, None, None)]
            else:
                cut = rng.choice((31, 45, 61, 81))
                pieces += [Piece("street", name, 1, cut, "odd"),
                           Piece("street", name, cut + 2, None, "odd"),
                           Piece("street", name, 2, cut + 1, "even"),
                           Piece("street", name, cut + 3, None, "even")]
        rng.shuffle(pieces)
        start = 0
        for number in range(1, per_city + 1):
            take = pieces[start:start + (2 if number % 3 == 0 else 1)]
            start += len(take)
            lat = lat0 + rng.uniform(-0.05, 0.05)
            lon = lon0 + rng.uniform(-0.07, 0.07)
            rows.append({
                "precinct": number, "city_kk": city_kk, "city_ru": city,
                "district_kk": "", "district_ru": "", "name_kk": f"№ {number} мектеп",
                "name_ru": f"Школа № {number}", "address_kk": f"{city} қ., {number} үй",
                "address_ru": f"г. {city}, дом {number}", "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}", "phone": "", "hours": "",
                "boundary": "; ".join(p.boundary() for p in take), "source": "sample"})
            covered.append((city, number, take))
    return rows, covered


def query(city: str, piece: Piece, house: int, style: str, with_city: bool,
          rng: random.Random) -> str:
    name = piece.name
    if style == "typo" and piece.kind == "street":
        name = typo(name, rng)
    if piece.kind == "mkr":
        text = rng.choice((f"{name} мкр {house} дом", f"мкр. {name}, д. {house}",
                           f"{name} шағын аудан, {house} үй", f"{house} үй {name} шағын аудан",
                           f"{name}-{house}"))
        if style == "latin":
            text = f"mkr {name} dom {house}"
    elif style == "kk":
        text = rng.choice((f"{kazakh(name, rng)} көшесі {house} үй",
                           f"{kazakh(name, rng)} көшесі, {house}"))
    elif style == "latin":
        text = latin(f"{ru_genitive(name)} {house}")
    else:
        text = rng.choice((f"ул. {ru_genitive(name)}, д. {house}", f"{ru_genitive(name)} {house}",
                           f"улица {ru_genitive(name)} {house}"))
    if with_city:
        text = (f"г. {city}, " if style != "latin" else f"{latin(city)}, ") + text
    return text


def snapshot_of(data) -> Snapshot:
    """What the database holds after importing `data` (the bot builds its index from this)."""
    precincts = tuple(dataclasses.replace(p, id=i, line=0)
                      for i, p in enumerate(data.precincts, start=1))
    aliases = tuple(dataclasses.replace(a, line=0) for a in data.aliases or ())
    return Snapshot(1, precincts, aliases)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def import_and_load(path: Path, data) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage.from_url(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
        try:
            await storage.migrate()
            stations = Stations(storage, StationsConfig())
            started = time.perf_counter()
            await stations.import_data(data)
            imported = time.perf_counter() - started
            started = time.perf_counter()
            await stations.load()
            loaded = time.perf_counter() - started
        finally:
            await storage.close()
    return imported, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precincts", type=int, default=10_000)
    parser.add_argument("--cities", type=int, default=20)
    parser.add_argument("--queries", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    args = parser.parse_args()

    rows, covered = generate(args.precincts, args.cities, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "precincts.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=PRECINCT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        started = time.perf_counter()
        data = read_station_files(path)
        validate_s = time.perf_counter() - started
        import_s, load_s = asyncio.run(import_and_load(path, data))

    snap = snapshot_of(data)
    started = time.perf_counter()
    index = StationIndex(snap)
    build_ms = (time.perf_counter() - started) * 1000
    tracemalloc.start()  # (slows allocation down: measured apart from the time)
    measured = StationIndex(snap)
    index_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del measured

    rng = random.Random(args.seed + 1)
    styles = ["ru"] * 4 + ["kk"] * 2 + ["latin"] * 2 + ["typo"] * 2
    by_city_number = {(p.city_ru, p.number): p.id for p in index.precincts.values()}
    latencies: list[float] = []
    outcome: dict[str, dict[str, int]] = {}
    for _ in range(args.queries):
        city, number, pieces = rng.choice(covered)
        piece = rng.choice(pieces)
        style = rng.choice(styles)
        with_city = rng.random() < 0.7
        text = query(city, piece, piece.house(rng), style, with_city, rng)
        started = time.perf_counter()
        result = index.find(text)
        latencies.append((time.perf_counter() - started) * 1000)
        want = by_city_number[(city, number)]
        ids = [m.precinct.id for m in result.matches]
        if result.status is Status.FOUND and ids == [want]:
            verdict = "found"
        elif result.status is Status.CHOOSE and want in ids:
            verdict = "offered"
        elif result.status is Status.NEED_CITY and want in ids:
            verdict = "city"
        elif result.status in (Status.FOUND, Status.CHOOSE):
            verdict = "wrong"
        else:
            verdict = "missed"
        key = f"{style}{'' if with_city else ', no city'}"
        outcome.setdefault(key, dict.fromkeys(VERDICTS, 0))
        outcome[key]["n"] += 1
        outcome[key][verdict] += 1

    near_ms = []
    for _ in range(1000):
        lat, lon = rng.uniform(41.0, 52.0), rng.uniform(50.0, 78.0)
        started = time.perf_counter()
        index.nearest(lat, lon)
        near_ms.append((time.perf_counter() - started) * 1000)

    streets = sum(1 for key in index._entries if key[1] == "street")
    mkrs = sum(1 for key in index._entries if key[1] == "mkr")
    outcome["all"] = {k: sum(o[k] for o in outcome.values()) for k in VERDICTS}
    command = ("`.venv/bin/python scripts/bench_stations.py --precincts "
               f"{args.precincts} --cities {args.cities} --queries {args.queries} "
               f"--seed {args.seed}`")
    p95 = percentile(latencies, 95)
    lines = [
        "## Polling-station lookup",
        "",
        f"{command}: {len(index):,} generated precincts in {len(index.cities)} made-up cities "
        f"({streets:,} streets split by odd/even sides and from-to ranges, {mkrs:,} "
        f"microdistricts split by building lists), {args.queries:,} generated addresses "
        "(Russian, Kazakh, Latin, with typos; 70% name the city). Python "
        f"{sys.version.split()[0]}, one core.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| validate the file (`saual stations import --check`) | {validate_s:.2f} s |",
        f"| import into SQLite, one transaction | {import_s:.2f} s |",
        f"| load from the database and build the index (bot start-up) | {load_s:.2f} s |",
        f"| build the index alone | {build_ms:.0f} ms, {index_mb:.0f} MB |",
        f"| address lookup p50 / p95 / p99 / max | {statistics.median(latencies):.2f} / "
        f"{p95:.2f} / {percentile(latencies, 99):.2f} / {max(latencies):.2f} ms |",
        f"| nearest stations p50 / p95 | {statistics.median(near_ms):.2f} / "
        f"{percentile(near_ms, 95):.2f} ms |",
        f"| target: lookup p95 <= 20 ms | {'met' if p95 <= 20 else 'NOT met'} |",
        "",
        "| queries | n | right precinct | offered among choices | asked for the city | wrong "
        "| not found |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in [*sorted(k for k in outcome if k != "all"), "all"]:
        o = outcome[key]
        lines.append(f"| {key} | {o['n']} | " + " | ".join(
            f"{o[v] / o['n']:.1%}" for v in VERDICTS[1:]) + " |")
    lines += [
        "",
        "Right precinct: one answer, the right one. Offered: the right precinct is among the "
        "buttons. Asked for the city: the address exists in more cities than fit the buttons, "
        "so the bot asks which. Wrong: an answer without the right precinct. Not found: the "
        "street was not recognised.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

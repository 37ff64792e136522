"""The in-memory precinct index: find a citizen's precinct by address, or the stations
near a point.

:class:`StationIndex` is built from a :class:`~precincts.records.Snapshot` of
the precinct tables and is read-only once built. A lookup is:

1. :func:`~precincts.address.parse_address` finds the street or
   microdistrict, the house and maybe the city;
2. the street is matched on its key: exactly against the names in the
   boundaries and the aliases (old names, Kazakh and Russian forms, Latin
   spellings), else with rapidfuzz over the same keys (a typo), else by one
   of its words ("Мангилик" for "Мәңгілік Ел");
3. the precinct whose boundary holds the house is the answer; several
   candidates are offered as a choice, and what was not understood is said.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from .address import ParsedAddress, loose_key, name_words, parse_address, street_key
from .boundaries import House, Houses, parse_boundary
from .cities import CITIES
from .errors import BoundaryError
from .records import Precinct, Snapshot

logger = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class StationsConfig:
    match_cutoff: float = 75.0  # rapidfuzz ratio (0-100) a misspelt street name must reach
    match_margin: float = 5.0  # streets within this of the best are all offered
    choices: int = 5  # at most this many candidates to choose from
    nearest: int = 3  # stations listed for a shared location
    near_km: float = 30.0  # farther than this is not "near"


@dataclass(frozen=True)
class Area:
    """A street or a microdistrict of a city, named for the citizen."""

    kind: str  # "street" or "mkr"
    city_kk: str
    city_ru: str
    name_kk: str  # a street's name, or a microdistrict's id ("3А")
    name_ru: str

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru

    def city(self, lang: str) -> str:
        return self.city_kk if lang == "kk" else self.city_ru


class Status(StrEnum):
    FOUND = "found"  # one precinct
    CHOOSE = "choose"  # several candidates: the citizen chooses
    NEED_HOUSE = "need_house"  # the place is split between precincts: which house?
    NEED_CITY = "need_city"  # found in more cities than can be offered: which city?
    NO_HOUSE = "no_house"  # the place is known, its house number is in no boundary
    UNKNOWN_PLACE = "unknown_place"  # no such street or microdistrict in the data
    NOT_UNDERSTOOD = "not_understood"  # no street or microdistrict in the text at all
    NO_DATA = "no_data"  # no precincts are loaded
    OTHER_CITY = "other_city"  # the address is in a city whose list is not loaded


@dataclass(frozen=True)
class Match:
    precinct: Precinct
    area: Area
    house: House | None
    score: float  # 100 for an exact name or alias, less for a misspelling


@dataclass(frozen=True)
class Lookup:
    status: Status
    address: ParsedAddress
    matches: tuple[Match, ...] = ()  # one when FOUND, several when CHOOSE
    area: Area | None = None  # the place, for NEED_HOUSE and NO_HOUSE

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


@dataclass(frozen=True)
class Nearby:
    """A polling station (one building may serve several precincts) and its distance."""

    precincts: tuple[Precinct, ...]
    distance_m: float


@dataclass
class _Entry:
    area: Area
    rules: list[tuple[Houses, int]] = field(default_factory=list)  # (houses, precinct id)

    def precincts(self, h: House | None) -> list[int]:
        """Precinct ids for house `h` (every precinct of the place when `h` is None)."""
        if h is None:
            return list(dict.fromkeys(pid for _, pid in self.rules))
        exact = [pid for houses, pid in self.rules if h in houses.single]
        if exact:
            return exact[:1]
        return list(dict.fromkeys(pid for houses, pid in self.rules
                                  if any(s.contains(h.number) for s in houses.spans)))


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (works on numpy arrays too)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


class StationIndex:
    """The lookup structures for one snapshot of the precinct tables. Read-only once built."""

    def __init__(self, snapshot: Snapshot, config: StationsConfig | None = None):
        started = time.perf_counter()
        self.config = config or StationsConfig()
        self.import_id = snapshot.import_id
        self.precincts: dict[int, Precinct] = {}
        self.cities: dict[str, str] = {}  # city_ru -> city_kk
        self.city_words: dict[tuple[str, ...], str] = {}  # a city name's word keys -> city_ru
        self._entries: dict[tuple[str, str, str], _Entry] = {}  # (city, kind, key) -> entry
        self._names: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> (city, street)
        self._words: dict[str, list[tuple[str, str]]] = defaultdict(list)
        street_names: dict[tuple[str, str], str] = {}
        for p in snapshot.precincts:
            try:
                items = parse_boundary(p.boundary)
            except BoundaryError as exc:  # imports are validated: only a hand edit gets here
                logger.error("polling stations: precinct %d of %s skipped, its boundary does "
                             "not parse: %s", p.number, p.city_ru, exc)
                continue
            self.precincts[p.id] = p
            if p.city_ru not in self.cities:
                self.cities[p.city_ru] = p.city_kk
                for name in (p.city_ru, p.city_kk):
                    words = tuple(loose_key(w) for w in name_words(name))
                    if words:
                        self.city_words[words] = p.city_ru
            for item in items:
                place = item.place
                if place.kind == "mkr":
                    key = place.name
                    area = Area("mkr", p.city_kk, p.city_ru, key.upper(), key.upper())
                else:
                    key = street_key(place.name)
                    street_names.setdefault((p.city_ru, key), place.name)
                    area = Area("street", p.city_kk, p.city_ru, place.name, place.name)
                entry = self._entries.setdefault((p.city_ru, place.kind, key), _Entry(area))
                entry.rules.append((item.houses, p.id))
        # Cities without a list, so that an address there is not matched here.
        self.elsewhere_words: dict[tuple[str, ...], tuple[str, str]] = {}
        for ru, kk, forms in CITIES:
            keys = [tuple(loose_key(w) for w in name_words(n)) for n in (ru, kk, *forms)]
            if not any(k in self.city_words for k in keys):
                self.elsewhere_words.update((k, (ru, kk)) for k in keys if k)
        # Street names in each language: the aliases of kind "name", else the boundary's.
        display: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for city, key in street_names:
            self._add_name(key, city, key)
        for alias in snapshot.aliases:
            street = street_key(alias.street)
            if (alias.city_ru, "street", street) not in self._entries:
                continue  # its street is no longer in the data
            self._add_name(street_key(alias.alias), alias.city_ru, street)
            if alias.kind == "name" and alias.lang in ("kk", "ru"):
                display[(alias.city_ru, street)].setdefault(alias.lang, alias.alias)
        for (city, key), names in display.items():
            entry = self._entries[(city, "street", key)]
            a = entry.area
            entry.area = Area("street", a.city_kk, a.city_ru, names.get("kk", a.name_kk),
                              names.get("ru", a.name_ru))
        # Fuzzy choices: every name key, overall and per city.
        self._choices: dict[str | None, tuple[list[str], list[list[tuple[str, str]]]]] = {}
        per_city: dict[str | None, dict[str, list[tuple[str, str]]]] = defaultdict(dict)
        for key, owners in self._names.items():
            per_city[None][key] = owners
            for owner in owners:
                per_city[owner[0]].setdefault(key, []).append(owner)
        for city, keys in per_city.items():
            self._choices[city] = (list(keys), list(keys.values()))
        # Coordinates for "near me".
        ids = list(self.precincts)
        self._ids = np.array(ids, dtype=np.int64)
        self._lat = np.array([self.precincts[i].lat for i in ids], dtype=np.float64)
        self._lon = np.array([self.precincts[i].lon for i in ids], dtype=np.float64)
        self.build_ms = (time.perf_counter() - started) * 1000

    def _add_name(self, key: str, city: str, street: str) -> None:
        owner = (city, street)
        if key and owner not in self._names[key]:
            self._names[key].append(owner)
        for word in key.split():
            if len(word) >= 4 and owner not in self._words[word]:
                self._words[word].append(owner)

    # -- lookup ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.precincts)

    def find(self, text: str) -> Lookup:
        parsed = parse_address(text, self.city_words, self.elsewhere_words)
        if not self.precincts:
            return Lookup(Status.NO_DATA, parsed)
        if parsed.elsewhere is not None:
            return Lookup(Status.OTHER_CITY, parsed)
        cities = [parsed.city] if parsed.city else list(self.cities)
        if parsed.microdistrict is not None:
            found = [self._entries.get((c, "mkr", parsed.microdistrict)) for c in cities]
            candidates = [(e, 100.0) for e in found if e is not None]
            if not candidates:
                city = parsed.city or next(iter(self.cities))
                area = Area("mkr", self.cities[city], city, parsed.microdistrict.upper(),
                            parsed.microdistrict.upper())
                return Lookup(Status.UNKNOWN_PLACE, parsed, area=area)
            return self._resolve(parsed, candidates)
        key = parsed.street_key
        if not key:
            return Lookup(Status.NOT_UNDERSTOOD, parsed)
        candidates = self._streets(key, parsed.city)
        if not candidates:
            return Lookup(Status.UNKNOWN_PLACE, parsed)
        return self._resolve(parsed, candidates)

    def _streets(self, key: str, city: str | None) -> list[tuple[_Entry, float]]:
        exact = [o for o in self._names.get(key, ()) if city is None or o[0] == city]
        if exact:
            return [(self._entries[(c, "street", s)], 100.0) for c, s in exact]
        scores: dict[tuple[str, str], float] = {}
        keys, owners = self._choices.get(city, ([], []))
        # Both sides are keys already (lowercase, Cyrillic, loosened, types dropped): no
        # further processing, so the score compares exactly what the index holds.
        for _choice, score, i in process.extract(
                key, keys, scorer=fuzz.ratio, processor=None,
                score_cutoff=self.config.match_cutoff, limit=2 * self.config.choices):
            for owner in owners[i]:
                scores[owner] = max(scores.get(owner, 0.0), float(score))
        for word in key.split():
            for owner in self._words.get(word, ()):
                if city is None or owner[0] == city:
                    scores[owner] = max(scores.get(owner, 0.0), 90.0)
        if not scores:
            return []
        best = max(scores.values())
        ranked = sorted(((s, o) for o, s in scores.items() if s >= best - self.config.match_margin),
                        key=lambda so: (-so[0], so[1]))
        return [(self._entries[(c, "street", st)], s) for s, (c, st) in ranked]

    def _resolve(self, parsed: ParsedAddress, candidates: list[tuple[_Entry, float]]) -> Lookup:
        h = parsed.house
        matches: list[Match] = []
        unresolved: list[_Entry] = []  # split between precincts, and no house given
        missing: list[_Entry] = []  # the house is in none of its precincts
        for entry, score in candidates:
            ids = entry.precincts(h)
            if h is None and len(ids) > 1:
                unresolved.append(entry)
            elif not ids:
                missing.append(entry)
            else:
                matches.extend(Match(self.precincts[i], entry.area, h, score) for i in ids)
        distinct = list({m.precinct.id: m for m in matches}.values())
        if h is None and unresolved:
            return Lookup(Status.NEED_HOUSE, parsed, area=unresolved[0].area)
        if len(distinct) == 1:
            return Lookup(Status.FOUND, parsed, (distinct[0],))
        if distinct:
            distinct.sort(key=lambda m: (-m.score, m.area.city_ru, m.precinct.number))
            cities = {m.area.city_ru for m in distinct}
            if len(distinct) > self.config.choices and len(cities) > 1:
                # A cut list could leave the citizen's own city out: ask for it instead.
                return Lookup(Status.NEED_CITY, parsed, tuple(distinct))
            return Lookup(Status.CHOOSE, parsed, tuple(distinct[: self.config.choices]))
        return Lookup(Status.NO_HOUSE, parsed, area=missing[0].area)

    # -- near a point ---------------------------------------------------------------------
    def nearest(self, lat: float, lon: float, k: int | None = None) -> list[Nearby]:
        """The `k` stations nearest to a point (within `near_km`), each with its precincts."""
        if not self.precincts or not (math.isfinite(lat) and math.isfinite(lon)):
            return []
        k = k or self.config.nearest
        distances = haversine_m(lat, lon, self._lat, self._lon)
        order = np.argsort(distances, kind="stable")
        stations: dict[tuple[float, float, str], list[tuple[Precinct, float]]] = {}
        for i in order:
            d = float(distances[i])
            if d > self.config.near_km * 1000:
                break
            p = self.precincts[int(self._ids[i])]
            # Precincts of one building share its coordinates, so they come together.
            where = (round(p.lat, 5), round(p.lon, 5), p.address_ru)
            if where not in stations and len(stations) == k:
                break
            stations.setdefault(where, []).append((p, d))
        return [Nearby(tuple(sorted((p for p, _ in found), key=lambda p: p.number)), found[0][1])
                for found in stations.values()]

    def precinct(self, precinct_id: int) -> Precinct | None:
        return self.precincts.get(precinct_id)

    def city_names(self, lang: str) -> list[str]:
        return [kk if lang == "kk" else ru for ru, kk in self.cities.items()]

    @property
    def sample(self) -> bool:
        return any(p.sample for p in self.precincts.values())

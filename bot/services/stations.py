"""Polling stations: the service around the precinct engine (:mod:`precincts`).

The precincts live in the database (``saual stations import``); the bot
holds an in-memory :class:`~precincts.StationIndex` built from them at
start-up and rebuilt when a newer import appears (:meth:`Stations.refresh`).
The engine is plain Python; its CPU work runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass

from precincts import EMPTY, Lookup, Nearby, Precinct, StationData, StationIndex, StationsConfig

from ..storage import Storage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportChanges:
    """What an import would do beyond what its file shows: `dropped` (city,
    district, precincts) stored for a city of the file in a district the file
    does not have, which the import removes (one district's file imported after
    another's); `renamed` (stored city, file's city) pairs that look like one
    city under two Russian names, which would both stay in service."""

    dropped: tuple[tuple[str, str, int], ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()


def _city_key(name: str) -> str:
    """A city name as compared for sameness: casefolded, «г.» and look-alike
    Latin letters (an «A» typed in «Aктау») folded."""
    folded = name.casefold().translate(str.maketrans("aceopxyk", "асеорхук"))
    return " ".join(w for w in folded.replace(".", " ").split() if w not in ("г", "город"))


class Stations:
    """The polling-station service: lookups on the index in service, imports, refreshes."""

    def __init__(self, storage: Storage, config: StationsConfig | None = None):
        self.storage = storage
        self.config = config or StationsConfig()
        self.index = StationIndex(EMPTY, self.config)
        self._lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        return bool(self.index.precincts)

    async def load(self) -> StationIndex:
        """Build the index from the database and put it in service."""
        async with self._lock:
            snapshot = await self.storage.stations.snapshot()
            index = await asyncio.to_thread(StationIndex, snapshot, self.config)
            self.index = index
        logger.info("polling stations: import %s, %d precincts in %d cities, built in %.0f ms",
                    index.import_id, len(index), len(index.cities), index.build_ms)
        return index

    async def refresh(self) -> bool:
        """Rebuild the index if an import newer than the one in service exists."""
        latest = await self.storage.stations.latest_import_id()
        if latest == self.index.import_id:
            return False
        await self.load()
        return True

    async def find(self, text: str) -> Lookup:
        index = self.index
        result = await asyncio.to_thread(index.find, text)
        # The address itself is personal data: log only what kind of answer it got.
        logger.info("station lookup: %s (%d candidates)", result.status.value,
                    len(result.matches))
        return result

    def nearest(self, lat: float, lon: float) -> list[Nearby]:
        return self.index.nearest(lat, lon)

    def precinct(self, precinct_id: int) -> Precinct | None:
        return self.index.precinct(precinct_id)

    def city_names(self, lang: str) -> list[str]:
        return self.index.city_names(lang)

    async def imported(self) -> bool:
        """Whether any precinct list was ever imported into this database."""
        return await self.storage.stations.latest_import_id() is not None

    async def changes(self, data: StationData) -> ImportChanges:
        """What importing `data` would remove or leave doubled (see ImportChanges)."""
        stored = (await self.storage.stations.snapshot()).precincts
        mine = set(data.cities)
        districts = {(p.city_ru, p.district_ru) for p in data.precincts}
        dropped = Counter((p.city_ru, p.district_ru) for p in stored
                          if p.city_ru in mine and (p.city_ru, p.district_ru) not in districts)
        keys = {}
        for p in data.precincts:
            keys.setdefault(_city_key(p.city_ru), p.city_ru)
            keys.setdefault(_city_key(p.city_kk), p.city_ru)
        renamed = {}
        for p in stored:
            if p.city_ru in mine:
                continue
            twin = keys.get(_city_key(p.city_ru)) or keys.get(_city_key(p.city_kk))
            if twin is not None:
                renamed[p.city_ru] = twin
        return ImportChanges(tuple((c, d, n) for (c, d), n in sorted(dropped.items())),
                             tuple(sorted(renamed.items())))

    async def import_data(self, data: StationData) -> int:
        """Replace the precincts of the file's cities (all or nothing); returns the import id."""
        import_id = await self.storage.stations.replace(
            file=data.file, digest=data.digest, cities=data.cities,
            precinct_rows=[p.record() for p in data.precincts],
            alias_rows=[a.record() for a in data.aliases] if data.aliases is not None else None)
        logger.info("polling stations: imported %s as import %d (%d precincts, %s aliases)",
                    data.file, import_id, len(data.precincts),
                    len(data.aliases) if data.aliases is not None else "no")
        return import_id

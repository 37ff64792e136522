"""Helpers for the polling-station tests: the shipped sample, as files and as an index."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from precincts import Snapshot, StationData, StationIndex, StationsConfig, read_station_files

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "knowledge" / "polling_stations" / "aktau.sample.csv"
SAMPLE_ALIASES = ROOT / "knowledge" / "polling_stations" / "aktau.sample.aliases.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stations"


def snapshot(*datas: StationData, import_id: int = 1) -> Snapshot:
    """What the database would hold after importing `datas` (ids counted from 1)."""
    ids = itertools.count(1)
    precincts = tuple(dataclasses.replace(p, id=next(ids), line=0)
                      for d in datas for p in d.precincts)
    aliases = tuple(dataclasses.replace(a, line=0) for d in datas for a in d.aliases or ())
    return Snapshot(import_id, precincts, aliases)


def sample_data() -> StationData:
    return read_station_files(SAMPLE, SAMPLE_ALIASES)


def sample_index(config: StationsConfig | None = None) -> StationIndex:
    return StationIndex(snapshot(sample_data()), config)


HEADER = ("precinct,city_kk,city_ru,district_kk,district_ru,name_kk,name_ru,address_kk,"
          "address_ru,lat,lon,phone,hours,boundary,source")


def row(number: int, boundary: str, *, city: tuple[str, str] = ("Ақтау", "Актау"),
        lat: str = "43.65", lon: str = "51.16", phone: str = "", hours: str = "",
        source: str = "sample", name: str = "") -> str:
    """One CSV row of a precinct file (the boundary is quoted)."""
    name = name or f"Мектеп {number}"
    return (f"{number},{city[0]},{city[1]},,,{name},Школа {number},"
            f"\"{city[0]} қ., {number} үй\",\"г. {city[1]}, дом {number}\","
            f"{lat},{lon},{phone},{hours},\"{boundary}\",{source}")


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path

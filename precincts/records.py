"""The records of the engine: a precinct, a street alias, and a snapshot of both.

One :class:`Precinct` serves the file reader (``id`` 0, ``line`` its line in
the file), the storage (which writes :meth:`Precinct.record` and reads rows
back with their ``id``) and the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SAMPLE = "sample"  # the `source` of synthetic data: the bot says so under every answer


def is_sample(source: str) -> bool:
    return source.strip().casefold() == SAMPLE


@dataclass(frozen=True)
class Precinct:
    """One precinct: its polling station and the boundary of the places it serves."""

    number: int
    city_kk: str
    city_ru: str
    district_kk: str
    district_ru: str
    name_kk: str
    name_ru: str
    address_kk: str
    address_ru: str
    lat: float
    lon: float
    phone: str
    hours: str
    boundary: str
    source: str
    id: int = 0  # the database id; 0 before the precinct is stored
    line: int = field(default=0, compare=False)  # the line of the file it was read from

    def record(self) -> dict[str, object]:
        """The stored columns (neither the id nor the file line)."""
        return {name: getattr(self, name) for name in (
            "number", "city_kk", "city_ru", "district_kk", "district_ru", "name_kk", "name_ru",
            "address_kk", "address_ru", "lat", "lon", "phone", "hours", "boundary", "source")}

    @property
    def sample(self) -> bool:
        return is_sample(self.source)

    def city(self, lang: str) -> str:
        return self.city_kk if lang == "kk" else self.city_ru

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru

    def address(self, lang: str) -> str:
        return self.address_kk if lang == "kk" else self.address_ru


@dataclass(frozen=True)
class Alias:
    """Another name of a street: a Kazakh or Russian form, an old name, a Latin spelling."""

    city_ru: str
    street: str  # the street as named in the boundaries
    alias: str
    lang: str
    kind: str
    line: int = field(default=0, compare=False)

    def record(self) -> dict[str, object]:
        return {"city_ru": self.city_ru, "street": self.street, "alias": self.alias,
                "lang": self.lang, "kind": self.kind}


@dataclass(frozen=True)
class Snapshot:
    """Everything the lookup needs, read in one transaction."""

    import_id: int | None  # the newest import, None before the first
    precincts: tuple[Precinct, ...]
    aliases: tuple[Alias, ...]


EMPTY = Snapshot(None, (), ())

"""Polling stations: precincts and street aliases, replaced a city at a time by
an import (`saual stations import`), and the log of imports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from precincts import Alias, Precinct, Snapshot

from .base import Repo
from .tables import precincts, station_imports, street_aliases


@dataclass(frozen=True)
class StationImport:
    id: int
    file: str
    digest: str
    cities: tuple[str, ...]
    precincts: int
    aliases: int | None
    created_at: float  # unix seconds


class StationRepo(Repo):
    """Precincts and street aliases, replaced a city at a time by an import."""

    async def replace(
        self,
        *,
        file: str,
        digest: str,
        cities: Sequence[str],
        precinct_rows: Sequence[Mapping[str, object]],
        alias_rows: Sequence[Mapping[str, object]] | None,
    ) -> int:
        """Replace the precincts of `cities` (and their aliases when `alias_rows` is not
        None) in one transaction: all of it, or, on any error, nothing. Returns the import id.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(station_imports.insert().values(
                file=file, digest=digest, cities="\n".join(cities),
                precincts=len(precinct_rows),
                aliases=len(alias_rows) if alias_rows is not None else None,
                created_at=self.now()))
            import_id = int(result.inserted_primary_key[0])
            await conn.execute(precincts.delete().where(precincts.c.city_ru.in_(cities)))
            if precinct_rows:
                await conn.execute(precincts.insert(),
                                   [{**row, "import_id": import_id} for row in precinct_rows])
            if alias_rows is not None:
                await conn.execute(street_aliases.delete().where(
                    street_aliases.c.city_ru.in_(cities)))
                if alias_rows:
                    await conn.execute(street_aliases.insert(),
                                       [{**row, "import_id": import_id} for row in alias_rows])
        return import_id

    async def latest_import(self) -> StationImport | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(station_imports).order_by(
                station_imports.c.id.desc()).limit(1))).first()
        if row is None:
            return None
        return StationImport(row.id, row.file, row.digest, tuple(row.cities.split("\n")),
                             row.precincts, row.aliases, row.created_at)

    async def latest_import_id(self) -> int | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(sa.func.max(station_imports.c.id)))).scalar()

    async def snapshot(self) -> Snapshot:
        async with self.engine.begin() as conn:
            latest = (await conn.execute(sa.select(sa.func.max(station_imports.c.id)))).scalar()
            rows = (await conn.execute(sa.select(precincts).order_by(
                precincts.c.city_ru, precincts.c.number))).all()
            alias_rows = (await conn.execute(sa.select(street_aliases).order_by(
                street_aliases.c.id))).all()
        return Snapshot(
            latest,
            tuple(Precinct(
                r.number, r.city_kk, r.city_ru, r.district_kk, r.district_ru, r.name_kk,
                r.name_ru, r.address_kk, r.address_ru, float(r.lat), float(r.lon), r.phone,
                r.hours, r.boundary, r.source, id=r.id) for r in rows),
            tuple(Alias(r.city_ru, r.street, r.alias, r.lang, r.kind) for r in alias_rows),
        )

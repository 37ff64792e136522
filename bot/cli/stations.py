"""`saual stations`: import precinct lists, look an address up."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from ..config import Settings
from .base import app, fail, load_settings, with_storage

stations_app = typer.Typer(no_args_is_help=True,
                           help="Polling stations: import precinct lists, look up an address.")
app.add_typer(stations_app, name="stations")


async def _with_stations(settings: Settings, work, *, load: bool = True):
    """Open the database (migrated), load the precincts, run `work(stations)`, close."""
    from ..services import Stations

    async def with_stations(storage):
        stations = Stations(storage, settings.stations_config())
        if load:
            await stations.load()
        return await work(stations)

    return await with_storage(settings, with_stations)


@stations_app.command("import")
def stations_import(
    file: Annotated[Path, typer.Argument(help="Precinct list (CSV, see "
                                              "knowledge/polling_stations/README.md).")],
    aliases: Annotated[Path | None, typer.Option(
        help="Street aliases (CSV): old names, Kazakh and Russian forms.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Validate only; import nothing.")]
        = False,
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="Import only into a database that has no precinct list yet "
                           "(`make run` loads the sample this way).")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Also remove the stored precincts of the file's cities in "
                          "districts the file does not have.")] = False,
) -> None:
    """Validate a precinct list and replace its cities' precincts with it, all or nothing."""
    from ..services import StationDataError, read_station_files

    settings = load_settings()

    async def imported(stations) -> bool:
        return await stations.imported()

    already = (f"polling stations: the database has precinct lists already; {file} was not "
               "imported (--if-empty)")
    if if_empty and not check and asyncio.run(_with_stations(settings, imported, load=False)):
        typer.echo(already)
        return
    try:
        data = read_station_files(file, aliases)
    except StationDataError as exc:
        fail(f"{exc}\nNothing was imported.")
    summary = (f"{file}: {len(data.precincts)} precincts in {', '.join(data.cities)}"
               + (f", {len(data.aliases)} street aliases" if data.aliases is not None else "")
               + ("; SAMPLE data (source: sample)" if data.sample else "")
               + "; no errors")
    typer.echo(summary)
    if check:  # the file only: --check opens no database
        return

    async def changes(stations):
        return await stations.changes(data)

    found = asyncio.run(_with_stations(settings, changes, load=False))
    if found.renamed:
        fail("\n".join(f"{file}: «{new}» looks like the stored city «{old}» under another "
                       f"name; both would stay in service. Write it as «{old}» in the file."
                       for old, new in found.renamed)
             + "\nNothing was imported.")
    if found.dropped:
        lines = [f"{n} precincts of {city}, district «{district or '(none)'}»"
                 for city, district, n in found.dropped]
        what = ("the import removes what the file does not have: " + "; ".join(lines))
        if not replace:
            fail(f"{file}: {what}. Import a file with every district of the city, or add "
                 "--replace to remove them.\nNothing was imported.")
        typer.echo(what)

    async def work(stations):
        if if_empty and await stations.imported():
            return None
        return await stations.import_data(data)

    import_id = asyncio.run(_with_stations(settings, work, load=False))
    if import_id is None:  # another process imported a list meanwhile
        typer.echo(already)
        return
    if data.sample:
        typer.echo(f"SAMPLE polling stations: {len(data.precincts)} invented precincts of "
                   f"{', '.join(data.cities)}, for trying /stations; every answer from them "
                   "says it is sample data. Import an akimat's list to replace them.")
    typer.echo(f"imported as import {import_id}: the precincts of {', '.join(data.cities)} were "
               "replaced" + ("" if data.aliases is not None else
                             " (their street aliases were kept: none given)")
               + "; a running bot picks them up within seconds")


@stations_app.command("find")
def stations_find(
    address: Annotated[str, typer.Argument(help="The address, as a citizen would type it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Look an address up in the imported precincts, as the bot does."""
    settings = load_settings()

    async def work(stations):
        return stations.index.find(address)

    result = asyncio.run(_with_stations(settings, work))
    parsed = result.address

    def place(area) -> str:
        return f"мкр {area.name_ru}" if area.kind == "mkr" else area.name_ru

    understood = {"street": parsed.street_text or None, "microdistrict": parsed.microdistrict,
                  "house": parsed.house.text if parsed.house else None, "city": parsed.city}
    matches = [{"precinct": m.precinct.number, "city": m.precinct.city_ru,
                "place": place(m.area), "score": round(m.score, 1),
                "name": m.precinct.name_ru, "address": m.precinct.address_ru,
                "hours": m.precinct.hours, "phone": m.precinct.phone,
                "lat": m.precinct.lat, "lon": m.precinct.lon, "sample": m.precinct.sample}
               for m in result.matches]
    if as_json:
        typer.echo(json.dumps({"status": result.status.value, "understood": understood,
                               "matches": matches,
                               "place": place(result.area) if result.area else None},
                              ensure_ascii=False, indent=1))
    else:
        typer.echo(f"{result.status.value}: " + ", ".join(
            f"{k}={v}" for k, v in understood.items() if v is not None))
        if result.area is not None:
            typer.echo(f"  place: {place(result.area)} ({result.area.city_ru})")
        for m in matches:
            typer.echo(f"  № {m['precinct']} ({m['city']}) via {m['place']} "
                       f"[score {m['score']}]: {m['name']}, {m['address']}, {m['hours']}, "
                       f"phone {m['phone'] or '—'}" + (" [SAMPLE]" if m["sample"] else ""))
    if result.status.value in ("no_data", "not_understood", "unknown_place"):
        raise typer.Exit(1)



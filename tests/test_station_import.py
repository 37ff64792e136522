"""Precinct files: validation (every bad row, by line and reason), all-or-nothing imports,
the index following imports, and the `saual stations` commands."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from stationkit import FIXTURES, HEADER, SAMPLE, SAMPLE_ALIASES, row, sample_data, write
from typer.testing import CliRunner

from bot.cli import app
from bot.services import StationDataError, Stations, Status, read_station_files

runner = CliRunner()


def _problems(exc: StationDataError) -> list[tuple[int, str]]:
    return [(p.line, p.reason) for p in exc.problems]


# -- validation ---------------------------------------------------------------------------


def test_the_sample_validates_and_says_it_is_a_sample():
    data = sample_data()
    assert len(data.precincts) >= 40 and data.cities == ("Актау",) and data.sample
    assert len(data.aliases) == 20
    assert all(p.phone == "" for p in data.precincts)  # never invent phone numbers
    assert all(43.63 <= p.lat <= 43.70 and 51.13 <= p.lon <= 51.25 for p in data.precincts)
    assert {p.hours for p in data.precincts} == {"07:00–20:00"}  # empty hours: the default
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.startswith("# SAMPLE DATA: SYNTHETIC, NOT REAL PRECINCT BOUNDARIES.")
    assert "SAMPLE DATA: SYNTHETIC" in SAMPLE_ALIASES.read_text(encoding="utf-8")


def test_every_bad_row_is_reported_with_its_line_and_reason(tmp_path):
    bad = write(
        tmp_path / "bad.csv",
        row(1, "мкр 1: 1-20"),                                        # line 2: fine
        row(1, "мкр 1: 1-20").replace("1,", "x,", 1),                 # 3: number
        row(2, "мкр 2: *", lat="abc"),                                # 4: not a number
        row(3, "мкр 3: *", lat="51.16", lon="43.65"),                 # 5: swapped
        row(4, "мкр 1: 15-30"),                                       # 6: overlaps precinct 1
        row(1, "мкр 9: *"),                                           # 7: duplicate number
        row(5, "мкр 5: *", phone="call me"),                          # 8: phone
        row(6, "мкр 6: *", hours="8-20"),                             # 9: hours
        row(7, "Абая: 1-45 left"),                                    # 10: boundary
        row(8, "мкр 8: *", name="x").replace(",x,", ",,", 1),         # 11: empty name_kk
        row(9, "мкр 9: *").replace(",,,", ",Ақтау,,", 1),            # 12: one district
        "10,Ақтау,Актау,,,Мектеп,Школа",                              # 13: too few fields
        row(11, "мкр 11: *", hours="20:00-07:00"),                    # 14: backwards hours
        row(12, "мкр 12: *", city=("Актау", "Актау")),                # 15: city_kk differs
    )
    with pytest.raises(StationDataError) as caught:
        read_station_files(bad)
    found = _problems(caught.value)
    expected = [
        (3, "precinct: «x» is not a positive whole number"),
        (4, "lat: «abc» is not a number"),
        (5, "lon: 43.65 is outside Kazakhstan (46.4..87.4); lat and lon swapped?"),
        (6, "мкр 1 in precinct 4 overlaps precinct 1 (line 2, мкр 1): 15-30 and 1-20 overlap"),
        (7, "precinct 1 of Актау is already on line 2"),
        (8, "phone: «call me» is not a phone number"),
        (9, "hours: «8-20» is not HH:MM-HH:MM"),
        (10, "boundary: Абая: «1-45 left»: after a range only odd or even may follow"),
        (11, "empty: name_kk"),
        (12, "district: give it in both languages"),
        (13, "7 fields, but the header has 15"),
        (14, "hours: «20:00-07:00» ends before it starts"),
        (15, "city_kk: «Актау», but line 2 names Актау «Ақтау»"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, caught.value.problems))
    for (line, reason), (want_line, want) in zip(found, expected, strict=True):
        assert line == want_line and reason.startswith(want), (line, reason)
    message = str(caught.value)
    assert f"{bad}:3: precinct" in message and message.endswith("13 problems")


def test_header_problems_are_reported_once(tmp_path):
    header = HEADER.replace("boundary", "borders").replace(",phone", "")
    bad = write(tmp_path / "bad.csv", row(1, "мкр 1: *"), header=header)
    with pytest.raises(StationDataError) as caught:
        read_station_files(bad)
    assert _problems(caught.value) == [
        (1, "missing columns: phone, boundary"),
        (1, "unknown columns: borders (expected: precinct, city_kk, city_ru, district_kk, "
            "district_ru, name_kk, name_ru, address_kk, address_ru, lat, lon, phone, hours, "
            "boundary, source)"),
    ]


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(StationDataError, match="the file is empty"):
        read_station_files(empty)
    with pytest.raises(StationDataError, match="no precincts in the file"):
        read_station_files(write(tmp_path / "header.csv"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\n").encode() + "1,Ақтау".encode() + b"\xe9\n")
    with pytest.raises(StationDataError, match=r"latin1.csv:2: not UTF-8"):
        read_station_files(latin1)
    with pytest.raises(StationDataError, match="cannot read"):
        read_station_files(tmp_path / "missing.csv")


def test_a_spreadsheet_export_with_semicolons_bom_and_decimal_commas(tmp_path):
    text = ("\ufeff# exported from a spreadsheet\n" + HEADER.replace(",", ";") + "\n"
            "1;Ақтау;Актау;;;Мектеп;Школа;\"Ақтау қ.,\n1 шағын аудан\";г. Актау;43,65;51,16;"
            "+7 (000) 000-00-00;07:00-20:00;\"мкр 1: 1-20; мкр 2\";Решение акима № 1\n"
            "x;Ақтау;Актау;;;Мектеп;Школа;а;б;43,65;51,16;;;мкр 3;Решение акима № 1\n")
    path = tmp_path / "semicolons.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StationDataError) as caught:
        read_station_files(path)
    # the quoted address spans two lines; the bad row after it is on line 5
    assert _problems(caught.value) == [(5, "precinct: «x» is not a positive whole number")]
    path.write_text(text.splitlines(keepends=True)[0] + "".join(text.splitlines(
        keepends=True)[1:4]), encoding="utf-8")
    [p] = read_station_files(path).precincts
    assert (p.lat, p.lon, p.address_kk, p.phone) == (43.65, 51.16, "Ақтау қ.,\n1 шағын аудан",
                                                     "+7 (000) 000-00-00")
    assert p.boundary == "мкр 1: 1-20; мкр 2" and not is_sample_data(path)


def is_sample_data(path) -> bool:
    return read_station_files(path).sample


def test_alias_problems(tmp_path):
    aliases = tmp_path / "aliases.csv"
    aliases.write_text(
        "city,street,alias,lang,kind\n"
        "Актау,проспект Абая,Абай даңғылы,kk,name\n"            # 2: fine
        "Алматы,проспект Абая,Абай даңғылы,kk,name\n"           # 3: no such city here
        "Ақтау,улица Пушкина,Пушкин көшесі,kk,name\n"           # 4: no such street
        "Актау,проспект Абая,улица Сатпаева,ru,old\n"           # 5: another street's name
        "Актау,улица Толе би,Ленин даңғылы,kk,old\n"            # 6: fine
        "Актау,улица Сатпаева,проспект Ленина,ru,old\n"         # 7: already Толе би's
        "Актау,улица Сатпаева,Сатпаев,en,nickname\n",           # 8: lang and kind
        encoding="utf-8")
    with pytest.raises(StationDataError) as caught:
        read_station_files(SAMPLE, aliases)
    assert _problems(caught.value) == [
        (3, "city: «Алматы» has no precincts in the precinct file"),
        (4, "street: «улица Пушкина» is in no boundary of Актау"),
        (5, "alias: «улица Сатпаева» is the name of another street of Актау, «улица Сатпаева»"),
        (7, "alias: «проспект Ленина» is already an alias of «улица Толе би» (line 6)"),
        (8, "lang: «en» is not one of kk, ru, lat"),
        (8, "kind: «nickname» is not one of name, old, variant"),
    ]


# -- imports ------------------------------------------------------------------------------


async def test_an_import_is_all_or_nothing(storage, tmp_path):
    stations = Stations(storage)
    await stations.import_data(sample_data())
    before = await storage.stations.snapshot()
    assert len(before.precincts) == 46 and len(before.aliases) == 20
    # a file with one bad row is refused before anything is written
    bad = write(tmp_path / "bad.csv", row(1, "мкр 1: *"), row(2, "мкр 1: 5"))
    with pytest.raises(StationDataError):
        await stations.import_data(read_station_files(bad))
    assert await storage.stations.snapshot() == before
    # a failure inside the transaction (here: an alias row the table refuses) rolls back
    good = read_station_files(write(tmp_path / "good.csv", row(1, "мкр 1: *")))
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        await storage.stations.replace(
            file="x", digest="y", cities=["Актау"],
            precinct_rows=[p.record() for p in good.precincts],
            alias_rows=[{"city_ru": "Актау", "street": "x", "alias": None, "lang": "ru",
                         "kind": "old"}])
    assert await storage.stations.snapshot() == before


async def test_storage_gives_back_the_precincts_the_files_gave_with_their_ids(storage,
                                                                               tmp_path):
    city = ("Жаңаөзен", "Жанаозен")
    other = read_station_files(write(
        tmp_path / "z.csv",
        row(7, "Сатпаева: *", city=city, phone="+7 729 34 5-67-89", hours="08:00-19:00"
            ).replace(",,,", ",Маңғыстау ауданы,Мангистауский район,", 1),
        row(8, "мкр 3А: 1-", city=city, lat="43.3412", lon="52.8601", source="Решение №5")))
    stations = Stations(storage)
    await stations.import_data(sample_data())
    await stations.import_data(other)
    snap = await storage.stations.snapshot()
    ids = [p.id for p in snap.precincts]
    assert all(ids) and len(set(ids)) == len(ids)
    # one record from file to database and back: every stored field survives, as it was read
    read = [*sample_data().precincts, *other.precincts]
    def order(p):
        return p.city_ru, p.number

    assert sorted((replace(p, id=0) for p in snap.precincts), key=order) == sorted(read, key=order)
    assert snap.aliases == sample_data().aliases


async def test_an_import_replaces_its_cities_only(storage, tmp_path):
    stations = Stations(storage)
    await stations.import_data(sample_data())
    other = read_station_files(FIXTURES / "zhanaozen.csv")
    second = await stations.import_data(other)
    snap = await storage.stations.snapshot()
    assert snap.import_id == second
    assert {p.city_ru for p in snap.precincts} == {"Актау", "Жанаозен"}
    assert len(snap.aliases) == 20  # Zhanaozen came without aliases: Aktau's stay
    # Aktau again, smaller, without an aliases file: its precincts are replaced, aliases kept
    small = read_station_files(write(tmp_path / "aktau.csv", row(1, "проспект Абая: *")))
    await stations.import_data(small)
    snap = await storage.stations.snapshot()
    assert sorted((p.city_ru, p.number) for p in snap.precincts) == [
        ("Актау", 1), ("Жанаозен", 1), ("Жанаозен", 2)]
    assert len(snap.aliases) == 20
    latest = await storage.stations.latest_import()
    assert latest.cities == ("Актау",) and latest.precincts == 1 and latest.aliases is None
    # the index keeps the aliases whose street is still there, and ignores the others
    await stations.load()
    assert stations.index.find("Ленина 10").best.precinct.number == 1
    assert stations.index.find("Комсомольская 8").status is Status.UNKNOWN_PLACE


async def test_the_index_follows_a_new_import(storage):
    stations = Stations(storage)
    await stations.load()
    assert not stations.available and not await stations.refresh()
    await Stations(storage).import_data(sample_data())  # as `saual stations import` would
    assert await stations.refresh()
    assert stations.available and len(stations.index) == 46
    assert not await stations.refresh()  # nothing newer
    result = await stations.find("12 мкр 5 дом")
    assert result.status is Status.FOUND and result.best.precinct.number == 19


# -- the command line -----------------------------------------------------------------


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    return tmp_path


def test_stations_import_and_find(env):
    result = runner.invoke(app, ["stations", "import", str(SAMPLE), "--aliases",
                                 str(SAMPLE_ALIASES), "--check"])
    assert result.exit_code == 0, result.output
    assert "46 precincts in Актау, 20 street aliases; SAMPLE data" in result.output
    assert not (env / "cli.sqlite3").exists()  # --check writes nothing

    result = runner.invoke(app, ["stations", "import", str(SAMPLE), "--aliases",
                                 str(SAMPLE_ALIASES)])
    assert result.exit_code == 0, result.output
    assert "imported as import 1: the precincts of Актау were replaced" in result.output

    result = runner.invoke(app, ["stations", "find", "Абай даңғылы 45 үй", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert data["status"] == "found" and data["understood"]["house"] == "45"
    [match] = data["matches"]
    assert (match["precinct"], match["place"], match["sample"]) == (33, "проспект Абая", True)

    result = runner.invoke(app, ["stations", "find", "12 шағын аудан, 5 үй"])
    assert result.exit_code == 0 and "№ 19 (Актау) via мкр 12" in result.output
    result = runner.invoke(app, ["stations", "find", "Пушкина 5"])
    assert result.exit_code == 1 and result.output.startswith("unknown_place: street=пушкина")


def test_if_empty_imports_the_sample_once_and_never_over_a_real_list(env):
    """`make run` runs this on every start: the sample goes into an empty database,
    labelled as such, and never replaces what a maintainer imported."""
    args = ["stations", "import", str(SAMPLE), "--aliases", str(SAMPLE_ALIASES), "--if-empty"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "SAMPLE polling stations: 46 invented precincts of Актау" in result.output
    assert "imported as import 1" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "has precinct lists already" in again.output and "imported as" not in again.output

    real = write(env / "real.csv", row(1, "мкр 1: *", source="решение акима № 1"))
    assert runner.invoke(app, ["stations", "import", str(real)]).exit_code == 0
    result = runner.invoke(app, args)
    assert "has precinct lists already" in result.output
    result = runner.invoke(app, ["stations", "find", "мкр 1 дом 5", "--json"])
    data = json.loads(result.output[result.output.index("{"):])
    assert [m["sample"] for m in data["matches"]] == [False]  # the real list still serves


def _in_district(line: str, city: str, district: str) -> str:
    return line.replace(f",{city},,,", f",{city},{district},{district},", 1)


def test_a_district_file_does_not_silently_remove_the_other_districts(env):
    # One file per district, imported one after another: the second import
    # removed the first district's precincts and said only «replaced» (a review's
    # find).
    almaty = ("Алматы", "Алматы")
    first = write(env / "almaly.csv", *(_in_district(row(n, f"мкр {n}: *", city=almaty),
                                                      "Алматы", "Алмалинский") for n in (1, 2)))
    second = write(env / "bostandyk.csv", _in_district(row(3, "мкр 3: *", city=almaty),
                                                        "Алматы", "Бостандыкский"))
    assert runner.invoke(app, ["stations", "import", str(first)]).exit_code == 0
    refused = runner.invoke(app, ["stations", "import", str(second)])
    assert refused.exit_code == 1
    assert "2 precincts of Алматы, district «Алмалинский»" in refused.output
    assert "--replace" in refused.output and "Nothing was imported." in refused.output
    found = runner.invoke(app, ["stations", "find", "Алматы, мкр 1 дом 5"])
    assert found.exit_code == 0 and "№ 1 (Алматы)" in found.output
    replaced = runner.invoke(app, ["stations", "import", str(second), "--replace"])
    assert replaced.exit_code == 0 and "removes what the file does not have" in replaced.output


def test_a_city_under_another_name_is_refused(env):
    # «г. Актау» beside the stored «Актау»: both lists stayed in service.
    assert runner.invoke(app, ["stations", "import", str(SAMPLE)]).exit_code == 0
    other = write(env / "other.csv", row(1, "мкр 1: *", city=("Ақтау", "г. Актау")))
    result = runner.invoke(app, ["stations", "import", str(other)])
    assert result.exit_code == 1
    assert "«г. Актау» looks like the stored city «Актау»" in result.output


def test_a_bad_file_is_refused_by_the_command_with_every_problem(env):
    assert runner.invoke(app, ["stations", "import", str(SAMPLE)]).exit_code == 0
    bad = write(env / "bad.csv", row(1, "мкр 1: *", lat="x"), row(2, "мкр 2: 1-"),
                row(3, "мкр 2: 5"))
    result = runner.invoke(app, ["stations", "import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: lat: «x» is not a number" in result.output
    assert f"{bad}:4: мкр 2 in precinct 3 overlaps precinct 2" in result.output
    assert result.output.rstrip().endswith("2 problems\nNothing was imported.")
    result = runner.invoke(app, ["stations", "find", "мкр 12 дом 5"])
    assert result.exit_code == 0 and "№ 19" in result.output  # the sample still serves


# -- hostile files (audit: a field over 131,072 characters gave a traceback; NUL bytes
# were accepted) ----------------------------------------------------------------------


def test_a_field_over_the_csv_limit_is_a_problem_with_its_line(tmp_path):
    long = write(tmp_path / "long.csv", row(1, "мкр 1: *"),
                 row(2, "мкр 2: " + "1," * 70_000 + "3"), row(3, "мкр 3: *"))
    with pytest.raises(StationDataError) as caught:
        read_station_files(long)
    assert _problems(caught.value) == [(3, "a field longer than 131072 characters (an unclosed "
                                           "quote swallows the lines after it)")]
    unclosed = write(tmp_path / "unclosed.csv", row(1, "мкр 1: *"), '2,"Ақтау' + "x" * 140_000)
    with pytest.raises(StationDataError, match=r"unclosed.csv:3: a field longer than"):
        read_station_files(unclosed)


def test_a_value_longer_than_its_column_is_a_problem_with_its_line(tmp_path):
    # It passed --check and then failed the import on PostgreSQL with a traceback
    # (a review's find).
    path = write(tmp_path / "long.csv", row(1, "мкр 1: *"),
                 row(2, "мкр 2: *", name="Мектеп " + "я" * 400, source="s" * 301))
    with pytest.raises(StationDataError) as caught:
        read_station_files(path)
    assert _problems(caught.value) == [
        (3, "too long: name_kk (407 characters, at most 300), source (301 characters, at most "
            "300)")]


def test_column_limits_are_the_database_columns():
    from bot.storage.tables import precincts, street_aliases
    from precincts.data import FIELD_CHARS

    for table, columns in ((precincts, PRECINCT_LIMITED), (street_aliases, ("street", "alias"))):
        for column in columns:
            assert table.c[column].type.length == FIELD_CHARS[column], column
    assert street_aliases.c.city_ru.type.length == FIELD_CHARS["city"]


PRECINCT_LIMITED = ("city_kk", "city_ru", "district_kk", "district_ru", "name_kk", "name_ru",
                    "address_kk", "address_ru", "phone", "hours", "source")


def test_a_line_separator_inside_a_cell_does_not_shift_line_numbers(tmp_path):
    path = write(tmp_path / "sep.csv", row(1, "мкр 1: *", name="Мектеп\u2028бір"),
                 row(2, "мкр 2: *", lat="93.0"))
    with pytest.raises(StationDataError) as caught:
        read_station_files(path)
    assert [line for line, _ in _problems(caught.value)] == [3]


def test_nul_bytes_are_refused_line_by_line(tmp_path):
    nul = write(tmp_path / "nul.csv", row(1, "мкр 1: *"),
                row(2, "мкр 2: *").replace("Школа", "Шко\x00ла"), row(3, "мкр 3: *"))
    with pytest.raises(StationDataError) as caught:
        read_station_files(nul)
    assert _problems(caught.value) == [
        (3, "a NUL byte: not a text file (save it as CSV UTF-8)")]
    binary = write(tmp_path / "binary.csv", *(f"\x00{n}\x00" for n in range(1, 31)))
    with pytest.raises(StationDataError) as caught:
        read_station_files(binary)
    assert [line for line, _ in _problems(caught.value)] == list(range(2, 13))
    assert _problems(caught.value)[-1] == (12, "NUL bytes on 20 more lines")


@pytest.mark.parametrize("hostile", ["long", "nul"])
def test_the_command_refuses_a_hostile_file_and_imports_nothing(env, hostile):
    assert runner.invoke(app, ["stations", "import", str(SAMPLE)]).exit_code == 0
    bad = {"long": row(1, "мкр 1: " + "1," * 70_000 + "3"),
           "nul": row(1, "мкр 1: *").replace("Мектеп", "Мек\x00теп")}[hostile]
    path = write(env / "bad.csv", bad)
    result = runner.invoke(app, ["stations", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert f"{path}:2: " in result.output
    assert result.output.rstrip().endswith("1 problem\nNothing was imported.")
    result = runner.invoke(app, ["stations", "find", "мкр 12 дом 5"])
    assert result.exit_code == 0 and "№ 19" in result.output  # the sample still serves

"""Precinct files: read and validate a precinct list and its street aliases.

The format is documented in ``knowledge/polling_stations/README.md``. A file
is checked whole: every bad row is reported with its line and the reason,
and nothing is imported unless everything is right.

Errors: :class:`~precincts.errors.StationDataError` lists every problem
found (path, line, reason).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .address import street_key
from .boundaries import Houses, conflict, parse_boundary
from .errors import BoundaryError, Problem, StationDataError
from .records import Alias, Precinct

PRECINCT_COLUMNS = (
    "precinct", "city_kk", "city_ru", "district_kk", "district_ru", "name_kk", "name_ru",
    "address_kk", "address_ru", "lat", "lon", "phone", "hours", "boundary", "source",
)
OPTIONAL = frozenset({"district_kk", "district_ru", "phone", "hours"})
ALIAS_COLUMNS = ("city", "street", "alias", "lang", "kind")
# The most characters a value may have: what the database columns hold (a
# longer one passed `--check`, then failed the import on PostgreSQL with a
# traceback naming no line). test_station_import checks them against the tables.
FIELD_CHARS = {
    "city_kk": 100, "city_ru": 100, "district_kk": 100, "district_ru": 100,
    "name_kk": 300, "name_ru": 300, "address_kk": 300, "address_ru": 300,
    "phone": 40, "hours": 20, "source": 300, "city": 100, "street": 200, "alias": 200,
}
ALIAS_LANGS = ("kk", "ru", "lat")
ALIAS_KINDS = ("name", "old", "variant")
DEFAULT_HOURS = "07:00–20:00"  # the legal default in Kazakhstan
# Kazakhstan lies within these; a point outside is a typo (or lat/lon swapped).
LAT_RANGE = (40.5, 55.5)
LON_RANGE = (46.4, 87.4)
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\s*[-–—]\s*([01]\d|2[0-3]):([0-5]\d)")
_PHONE = re.compile(r"\+?\d[\d ()\-]{5,24}")
_NO_PHONE = frozenset({"", "-", "—", "–"})


@dataclass(frozen=True)
class StationData:
    """A validated precinct file and, if given, its aliases file."""

    file: str
    digest: str  # sha256 of the file contents (and of the aliases file)
    precincts: tuple[Precinct, ...]
    aliases: tuple[Alias, ...] | None  # None: no aliases file was given

    @property
    def cities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.city_ru for p in self.precincts))

    @property
    def sample(self) -> bool:
        return any(p.sample for p in self.precincts)


# -- CSV -------------------------------------------------------------------------------


MAX_FIELD = csv.field_size_limit()  # characters in one field (131,072)
_MAX_NUL_LINES = 10  # NUL bytes are reported on this many lines, then counted


def _decode(data: bytes, path: str, problems: list[Problem]) -> str | None:
    """The file as text; None (with problems) when it is not UTF-8 or has NUL bytes
    (a binary file or a spreadsheet saved as UTF-16 is not a precinct list)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, "not UTF-8 text (save the file as CSV UTF-8)"))
        return None
    if "\x00" not in text:
        return text
    lines = [n for n, line in enumerate(text.split("\n"), 1) if "\x00" in line]
    for n in lines[:_MAX_NUL_LINES]:
        problems.append(Problem(path, n, "a NUL byte: not a text file (save it as CSV UTF-8)"))
    if len(lines) > _MAX_NUL_LINES:
        problems.append(Problem(path, lines[_MAX_NUL_LINES],
                                f"NUL bytes on {len(lines) - _MAX_NUL_LINES} more lines"))
    return None


def _rows(text: str, path: str, columns: Sequence[str], optional: Iterable[str],
          problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: value}) for each data row; header problems go to `problems`.

    Lines starting with # are comments; the delimiter is a comma, or a
    semicolon when the header uses semicolons (a spreadsheet's "CSV" in a
    Russian or Kazakh locale).
    """
    # Lines end at \n (and \r\n, \r) only: str.splitlines() also ends one at a
    # form feed, U+2028 and others that a cell may hold, and the line numbers
    # reported were off.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = ["" if line.lstrip().startswith("#") else line for line in lines]
    header_at = next((i for i, line in enumerate(kept) if line.strip()), None)
    if header_at is None:
        problems.append(Problem(path, 1, "the file is empty"))
        return []
    header_line = kept[header_at]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(kept[header_at:])), delimiter=delimiter)
    offset = header_at
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except csv.Error as exc:
        problems.append(_csv_problem(exc, path, offset + reader.line_num))
        return []
    missing = [c for c in columns if c not in header]
    unknown = [h for h in header if h not in columns]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if missing:
        problems.append(Problem(path, offset + 1, "missing columns: " + ", ".join(missing)))
    if unknown:
        problems.append(Problem(path, offset + 1, "unknown columns: " + ", ".join(unknown)
                                + " (expected: " + ", ".join(columns) + ")"))
    if duplicated:
        problems.append(Problem(path, offset + 1, "repeated columns: " + ", ".join(duplicated)))
    if missing or unknown or duplicated:
        return []
    out = []
    previous_end = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot go on after this: report where it stopped.
            problems.append(_csv_problem(exc, path, offset + previous_end + 1))
            break
        line = offset + previous_end + 1
        previous_end = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(Problem(path, line, f"{len(values)} fields, but the header has "
                                                f"{len(header)}"))
            continue
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        empty = [c for c in columns if c not in optional and not row[c]]
        if empty:
            problems.append(Problem(path, line, "empty: " + ", ".join(empty)))
            continue
        long = [f"{c} ({len(row[c])} characters, at most {FIELD_CHARS[c]})" for c in columns
                if len(row[c]) > FIELD_CHARS.get(c, len(row[c]))]
        if long:
            problems.append(Problem(path, line, "too long: " + ", ".join(long)))
            continue
        out.append((line, row))
    return out


def _csv_problem(exc: csv.Error, path: str, line: int) -> Problem:
    if "field larger than field limit" in str(exc):
        return Problem(path, line, f"a field longer than {MAX_FIELD} characters (an unclosed "
                                   "quote swallows the lines after it)")
    return Problem(path, line, f"not readable as CSV: {exc}")


def _number(value: str) -> float:
    return float(value.replace(",", ".").replace(" ", ""))


def _precinct(line: int, row: dict[str, str], path: str,
              problems: list[Problem]) -> Precinct | None:
    reasons = []
    number = 0
    if re.fullmatch(r"\d{1,6}", row["precinct"]) and int(row["precinct"]) > 0:
        number = int(row["precinct"])
    else:
        reasons.append(f"precinct: «{row['precinct']}» is not a positive whole number")
    coords = []
    for key, (low, high) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        try:
            value = _number(row[key])
        except ValueError:
            reasons.append(f"{key}: «{row[key]}» is not a number")
            continue
        if not low <= value <= high:
            reasons.append(f"{key}: {value} is outside Kazakhstan ({low}..{high}); "
                           "lat and lon swapped?")
        coords.append(value)
    if bool(row["district_kk"]) != bool(row["district_ru"]):
        reasons.append("district: give it in both languages (district_kk and district_ru) "
                       "or leave both empty")
    phone = row["phone"]
    if phone in _NO_PHONE:
        phone = ""
    elif not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 6:
        reasons.append(f"phone: «{phone}» is not a phone number (digits, spaces, + ( ) -), "
                       "leave it empty when unknown")
    hours = DEFAULT_HOURS
    if row["hours"]:
        m = _HOURS.fullmatch(row["hours"])
        if m is None:
            reasons.append(f"hours: «{row['hours']}» is not HH:MM-HH:MM")
        elif (m.group(1), m.group(2)) >= (m.group(3), m.group(4)):
            reasons.append(f"hours: «{row['hours']}» ends before it starts")
        else:
            hours = f"{m.group(1)}:{m.group(2)}–{m.group(3)}:{m.group(4)}"
    try:
        parse_boundary(row["boundary"])
    except BoundaryError as exc:
        reasons.append(f"boundary: {exc}")
    if reasons:
        problems.extend(Problem(path, line, r) for r in reasons)
        return None
    return Precinct(
        number=number, city_kk=row["city_kk"], city_ru=row["city_ru"],
        district_kk=row["district_kk"], district_ru=row["district_ru"],
        name_kk=row["name_kk"], name_ru=row["name_ru"], address_kk=row["address_kk"],
        address_ru=row["address_ru"], lat=coords[0], lon=coords[1], phone=phone, hours=hours,
        boundary=" ".join(row["boundary"].split()), source=row["source"], line=line,
    )


def _check_together(rows: list[Precinct], path: str, problems: list[Problem]) -> None:
    """Across rows: one number per precinct and city, one Kazakh name per city, no building
    in two precincts."""
    seen: dict[tuple[str, int], Precinct] = {}
    city_kk: dict[str, tuple[str, int]] = {}
    claims: dict[tuple[str, str, str], list[tuple[Precinct, str, Houses]]] = {}
    for row in rows:
        first = seen.setdefault((row.city_ru, row.number), row)
        if first is not row:
            problems.append(Problem(path, row.line, f"precinct {row.number} of {row.city_ru} is "
                                                    f"already on line {first.line}"))
            continue
        kk, kk_line = city_kk.setdefault(row.city_ru, (row.city_kk, row.line))
        if kk != row.city_kk:
            problems.append(Problem(path, row.line, f"city_kk: «{row.city_kk}», but line "
                                                    f"{kk_line} names {row.city_ru} «{kk}»"))
        for item in parse_boundary(row.boundary):
            place = item.place
            key = place.name if place.kind == "mkr" else street_key(place.name)
            mine = claims.setdefault((row.city_ru, place.kind, key), [])
            for other, other_name, houses in mine:
                if other is row:
                    continue
                clash = conflict(item.houses, houses)
                if clash:
                    problems.append(Problem(path, row.line, (
                        f"{place} in precinct {row.number} overlaps precinct {other.number} "
                        f"(line {other.line}, {other_name}): {clash}")))
            mine.append((row, str(place), item.houses))


def _aliases(text: str, path: str, precincts: Sequence[Precinct],
             problems: list[Problem]) -> list[Alias]:
    cities: dict[str, str] = {}
    streets: dict[tuple[str, str], str] = {}  # (city_ru, street key) -> name in the boundaries
    for p in precincts:
        cities[p.city_ru.casefold()] = p.city_ru
        cities[p.city_kk.casefold()] = p.city_ru
        for item in parse_boundary(p.boundary):
            if item.place.kind == "street":
                streets.setdefault((p.city_ru, street_key(item.place.name)), item.place.name)
    out: list[Alias] = []
    owner: dict[tuple[str, str], tuple[str, int]] = {}
    for line, row in _rows(text, path, ALIAS_COLUMNS, (), problems):
        reasons = []
        city = cities.get(row["city"].casefold())
        if city is None:
            reasons.append(f"city: «{row['city']}» has no precincts in the precinct file")
        if row["lang"] not in ALIAS_LANGS:
            reasons.append(f"lang: «{row['lang']}» is not one of {', '.join(ALIAS_LANGS)}")
        if row["kind"] not in ALIAS_KINDS:
            reasons.append(f"kind: «{row['kind']}» is not one of {', '.join(ALIAS_KINDS)}")
        street = streets.get((city, street_key(row["street"]))) if city else None
        if city and street is None:
            reasons.append(f"street: «{row['street']}» is in no boundary of {city}")
        alias_key = street_key(row["alias"])
        if not alias_key:
            reasons.append(f"alias: «{row['alias']}» has no letters")
        if city and street and alias_key:
            named = streets.get((city, alias_key))
            first, first_line = owner.get((city, alias_key), (street, line))
            if named is not None and named != street:
                reasons.append(f"alias: «{row['alias']}» is the name of another street of "
                               f"{city}, «{named}»")
            elif first != street:
                reasons.append(f"alias: «{row['alias']}» is already an alias of «{first}» "
                               f"(line {first_line})")
            elif not reasons:
                owner[(city, alias_key)] = (first, first_line)
        if reasons:
            problems.extend(Problem(path, line, r) for r in reasons)
            continue
        assert city is not None and street is not None
        out.append(Alias(city, street, row["alias"], row["lang"], row["kind"], line))
    return out


def read_station_files(path: Path, aliases: Path | None = None) -> StationData:
    """Read and validate a precinct file (and its aliases); StationDataError lists every
    problem."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    rows: list[Precinct] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StationDataError([Problem(str(path), 0, f"cannot read: {exc.strerror}")]) from None
    digest.update(data)
    text = _decode(data, str(path), problems)
    if text is not None:
        for line, row in _rows(text, str(path), PRECINCT_COLUMNS, OPTIONAL, problems):
            parsed = _precinct(line, row, str(path), problems)
            if parsed is not None:
                rows.append(parsed)
        _check_together(rows, str(path), problems)
        if not rows and not problems:
            problems.append(Problem(str(path), 1, "no precincts in the file"))
    alias_rows: list[Alias] | None = None
    if aliases is not None:
        try:
            alias_data = aliases.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(aliases), 0, f"cannot read: {exc.strerror}"))
        else:
            digest.update(b"\0" + alias_data)
            alias_text = _decode(alias_data, str(aliases), problems)
            if alias_text is not None:
                alias_rows = _aliases(alias_text, str(aliases), rows, problems)
    if problems:
        # In file order, so a maintainer can walk through them top to bottom.
        order = {str(path): 0, str(aliases): 1}
        problems.sort(key=lambda p: (order.get(p.path, 2), p.line))
        raise StationDataError(problems)
    return StationData(str(path), digest.hexdigest(), tuple(rows),
                       tuple(alias_rows) if alias_rows is not None else None)

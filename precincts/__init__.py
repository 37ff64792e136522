"""Saual's polling-station engine: addresses, precinct boundaries, precinct files and the
in-memory index that matches one to the other.

Never imports the bot, Telegram or the database: the bot's storage reads and
writes :class:`Precinct` records, and its service builds a :class:`StationIndex`
from a :class:`Snapshot`. The public surface is this module's ``__all__``;
the exceptions are in :mod:`precincts.errors`.
"""

from .address import ParsedAddress, parse_address, street_key
from .boundaries import House, parse_boundary
from .data import PRECINCT_COLUMNS, StationData, read_station_files
from .errors import BoundaryError, Problem, StationDataError, StationsError
from .index import (
    Area,
    Lookup,
    Match,
    Nearby,
    StationIndex,
    StationsConfig,
    Status,
    haversine_m,
)
from .records import EMPTY, Alias, Precinct, Snapshot, is_sample

__all__ = [
    "EMPTY",
    "PRECINCT_COLUMNS",
    "Alias",
    "Area",
    "BoundaryError",
    "House",
    "Lookup",
    "Match",
    "Nearby",
    "ParsedAddress",
    "Precinct",
    "Problem",
    "Snapshot",
    "StationData",
    "StationDataError",
    "StationIndex",
    "StationsConfig",
    "StationsError",
    "Status",
    "haversine_m",
    "is_sample",
    "parse_address",
    "parse_boundary",
    "read_station_files",
    "street_key",
]

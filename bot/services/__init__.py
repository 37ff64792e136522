"""Use cases on plain Python values: no aiogram types, no SQL.

Handlers call these; they call the storage repositories and the retrieval
core (`embeddings`, through its public API).
"""

from ..storage import User
from .answers import Answer, Answers
from .catalog import LANGS, Catalog, Entry, Page, Section, other
from .flood import FloodLimiter, Verdict
from .intents import asks_for_polling_station
from .masking import mask
from .station_data import StationData, StationDataError, StationsError, read_station_files
from .stations import (
    Area,
    Lookup,
    Match,
    Nearby,
    Precinct,
    StationIndex,
    Stations,
    StationsConfig,
    Status,
)
from .users import Users, choose_locale

__all__ = [
    "LANGS", "Answer", "Answers", "Area", "Catalog", "Entry", "FloodLimiter", "Lookup", "Match",
    "Nearby", "Page", "Precinct", "Section", "StationData", "StationDataError", "StationIndex",
    "Stations", "StationsConfig", "StationsError", "Status", "User", "Users", "Verdict",
    "asks_for_polling_station", "choose_locale", "mask", "other", "read_station_files",
]

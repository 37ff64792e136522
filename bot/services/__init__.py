"""Use cases on plain Python values: no aiogram types, no SQL.

Handlers call these; they call the storage repositories and the retrieval
core (`embeddings`) and the polling-station engine (`precincts`), through their
public APIs; the engine's names the handlers use are re-exported here.
"""

from precincts import (
    Area,
    Lookup,
    Match,
    Nearby,
    Precinct,
    StationData,
    StationDataError,
    StationIndex,
    StationsConfig,
    StationsError,
    Status,
    read_station_files,
)

from ..storage import CHANGE_SOURCE, Announcement, Follows, Ticket, TicketStatus, User
from .announcements import (
    Announcements,
    AnnouncementStatus,
    Draft,
    Problem,
    body_digest,
    valid_url,
)
from .answers import Answer, Answers, Hit, Offers
from .catalog import LANGS, Catalog, Checked, Entry, Page, Section, other
from .delivery import Courier, Delivery, DeliveryConfig, Result
from .flood import FloodLimiter, Verdict
from .groups import Groups
from .intents import asks_for_polling_station
from .masking import mask
from .periodic import LoopState, Supervisor
from .publication import Publication
from .regions import Directory, DirectoryError, Named
from .reviews import Due, ReviewError, Reviews, Weekly, apply_review, reject_review
from .staff import StaffChats
from .stations import Stations
from .subscriptions import Following, Subscriptions
from .ticket_posts import GONE, NOT_SAID, Change, Said, TicketNotifier
from .ticket_rules import (
    EOTINISH,
    Actor,
    AgencyReport,
    Outcome,
    Refusal,
    Reminder,
    has_personal_data,
    valid_length,
)
from .tickets import Tickets, TicketsConfig
from .users import Users, choose_locale
from .watches import LAPSE, CheckReport, Watches

__all__ = [
    "CHANGE_SOURCE",
    "EOTINISH",
    "GONE",
    "LANGS",
    "LAPSE",
    "NOT_SAID",
    "Actor",
    "AgencyReport",
    "Announcement",
    "AnnouncementStatus",
    "Announcements",
    "Answer",
    "Answers",
    "Area",
    "Catalog",
    "Change",
    "CheckReport",
    "Checked",
    "Courier",
    "Delivery",
    "DeliveryConfig",
    "Directory",
    "DirectoryError",
    "Draft",
    "Due",
    "Entry",
    "FloodLimiter",
    "Following",
    "Follows",
    "Groups",
    "Hit",
    "Lookup",
    "LoopState",
    "Match",
    "Named",
    "Nearby",
    "Offers",
    "Outcome",
    "Page",
    "Precinct",
    "Problem",
    "Publication",
    "Refusal",
    "Reminder",
    "Result",
    "ReviewError",
    "Reviews",
    "Said",
    "Section",
    "StaffChats",
    "StationData",
    "StationDataError",
    "StationIndex",
    "Stations",
    "StationsConfig",
    "StationsError",
    "Status",
    "Subscriptions",
    "Supervisor",
    "Ticket",
    "TicketNotifier",
    "TicketStatus",
    "Tickets",
    "TicketsConfig",
    "User",
    "Users",
    "Verdict",
    "Watches",
    "Weekly",
    "apply_review",
    "asks_for_polling_station",
    "body_digest",
    "choose_locale",
    "has_personal_data",
    "mask",
    "other",
    "read_station_files",
    "reject_review",
    "valid_length",
    "valid_url",
]

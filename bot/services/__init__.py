"""Use cases on plain Python values: no aiogram types, no SQL.

Handlers call these; they call the storage repositories and the retrieval
core (`embeddings`, through its public API).
"""

from ..storage import User
from .answers import Answer, Answers
from .catalog import LANGS, Catalog, Entry, Page, Section, other
from .flood import FloodLimiter, Verdict
from .masking import mask
from .users import Users, choose_locale

__all__ = [
    "LANGS", "Answer", "Answers", "Catalog", "Entry", "FloodLimiter", "Page", "Section", "User",
    "Users", "Verdict", "choose_locale", "mask", "other",
]

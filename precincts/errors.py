"""Exceptions raised by the polling-station engine.

    StationsError               anything the polling-station feature refuses
    ├── BoundaryError           a boundary text that does not follow the syntax
    │                           (also a ValueError); the message says where
    └── StationDataError        a precinct or alias file that does not validate;
                                ``problems`` lists every Problem found (path, line, reason)

"Nothing found" is never an exception: a lookup returns a status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class StationsError(Exception):
    """Anything the polling-station feature refuses."""


class BoundaryError(StationsError, ValueError):
    """A boundary text that does not follow the syntax; the message says where."""


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class StationDataError(StationsError):
    """A precinct or alias file that does not validate; `problems` lists them all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''}")
        super().__init__("\n".join(lines))

"""Exceptions raised by the retrieval core.

    EmbeddingsError
    ├── CorpusError          knowledge or passage files that do not validate
    │                        (carries every Problem found, not just the first)
    ├── EncoderError         an encoder that cannot be built or loaded
    └── IndexError_
        ├── IndexNotFound    no published build in the index folder
        ├── IndexMismatch    the build was made with another encoder or schema
        └── IndexCorrupt     a build whose files cannot be read (truncated, wrong
                             types): the message names the build and the reason

"Nothing found" is never an exception: a search returns an empty result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EmbeddingsError(Exception):
    """Base class of every error raised by :mod:`embeddings`."""


class Ref(StrEnum):
    """What a problem that refers to something missing refers to (``Problem.ref``):
    the knowledge audit reports these as dead references or missing pages rather
    than as files that do not validate."""

    AGENCY = "agency"  # an agency id that agencies.yaml does not list
    CATEGORY = "category"  # a category id that catalog.yaml does not list
    TOPIC = "topic"  # a topic id that catalog.yaml does not list
    PAGE = "page"  # a topic's page in one language (the file does not exist)


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, located as precisely as we can; `ref` says what
    missing thing it refers to, when that is the problem."""

    path: str
    line: int
    field: str
    reason: str
    ref: Ref | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.reason}"


class CorpusError(EmbeddingsError):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the knowledge files:\n{lines}")


class EncoderError(EmbeddingsError):
    pass


class IndexError_(EmbeddingsError):  # named so as not to shadow the builtin IndexError
    pass


class IndexNotFound(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass

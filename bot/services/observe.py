"""What the services tell the process's metrics (``bot/metrics.py``).

The services count what they do through an :class:`Observer` they are handed
(plain strings and numbers, no metrics library here), so they stay testable
without one: :data:`UNOBSERVED` is the default that drops everything. Each
call must be as cheap as one dict lookup and one increment: it runs on every
update, question and send. Labels are small fixed sets (never a user id or a
text): the values below, and Telegram's update types.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class AnswerOutcome(StrEnum):
    """What the bot did with one citizen's question."""

    ANSWERED = "answered"  # a confident answer card
    CLARIFIED = "clarified"  # "did you mean ... or ...?" buttons
    REDIRECTED = "redirected"  # out of scope: the agency to turn to instead
    ABSTAINED = "abstained"  # no answer (close topics offered, or none)


class SendResult(StrEnum):
    """What became of one claimed outbox message (one send attempt of it)."""

    SENT = "sent"
    FAILED = "failed"  # a permanent refusal, or transient errors past the attempts
    BLOCKED = "blocked"  # the chat is gone
    RETRY = "retry"  # back to the queue: a 429, a network error or 5xx, a busy chat


class Observer(Protocol):
    def update(self, kind: str) -> None:
        """One Telegram update of type `kind` (message, callback_query, ...) came in."""

    def answered(self, outcome: AnswerOutcome, search_seconds: float) -> None:
        """A question was searched in `search_seconds` and got `outcome`."""

    def sent(self, result: SendResult) -> None:
        """The outbox worker settled one message with `result`."""

    def polled(self, ok: bool) -> None:
        """One feed was polled; `ok` is False when the poll failed."""


class Unobserved:
    """The observer that counts nothing (tests, and the command line)."""

    def update(self, kind: str) -> None:
        pass

    def answered(self, outcome: AnswerOutcome, search_seconds: float) -> None:
        pass

    def sent(self, result: SendResult) -> None:
        pass

    def polled(self, ok: bool) -> None:
        pass


UNOBSERVED: Observer = Unobserved()

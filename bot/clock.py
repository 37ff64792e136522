"""Where the bot reads the time: one object, handed to everything that asks.

:class:`Clock` gives wall time (``time()``, unix seconds: ticket due dates,
link-code expiry, feed polls, delivery leases, reports) and an interval timer
(``monotonic()``: flood limits). The composition root (:mod:`bot.app`)
and the command line (:mod:`bot.cli`) use :data:`SYSTEM` unless their caller
hands them another clock; tests hand them a frozen one, so no path of the bot
reads the machine's date behind the test's back.
"""

from __future__ import annotations

import time as _time


class Clock:
    """The machine's clock; a test's clock overrides both methods."""

    def time(self) -> float:
        return _time.time()

    def monotonic(self) -> float:
        return _time.monotonic()


SYSTEM = Clock()

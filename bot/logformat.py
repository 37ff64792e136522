"""LOG_FORMAT=json: one JSON object per line, for log shippers (Loki, ELK, journald).

Keys: ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``,
``message`` (the %-formatted message), and ``exception`` / ``stack`` when the
record has them. Newlines and control characters inside a message are JSON
escapes, so a record is always one line and a text cannot forge another record.

The formatter takes the record as the handler's filters left it: the
:class:`~bot.services.masking.RedactingFilter` has already taken bot tokens
out of the message, its arguments and the formatted traceback (``exc_text``,
which this formatter uses rather than formatting the exception again), and
citizens' texts are masked before anything logs them. So every redaction the
text format has, the JSON format has too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escaped, rather than a failed write
            line = json.dumps(entry, default=str)
        return line

"""Deep links: ``https://t.me/<bot>?start=<payload>`` opens a page or a service.

Agencies put them in their channels' posts, and as QR codes on posters in the
ЦОН (``saual link``); the bot's own answers in groups and in inline mode use
them to open the full page in a private chat. Telegram passes the payload as
``/start <payload>``: 1-64 characters of ``A-Z a-z 0-9 _ -``. The payloads:

- ``<topic id>``, or ``<topic id>_kk`` / ``<topic id>_ru``: the page, in that
  language (without one, in the reader's);
- ``stations``: the polling-station lookup;
- ``ask``: a question to an agency;
- ``sub-<agency id>``: following that agency's news;
- ``help``: how to use the bot.

Anyone can write any payload, so :func:`parse` takes only these forms; whether
the topic or the agency exists is for the caller to check against what it serves.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from embeddings import Lang

MAX_PAYLOAD = 64  # Telegram's limit for a start parameter
_ID = r"[a-z0-9][a-z0-9-]*"
_TOPIC = re.compile(rf"(?P<id>{_ID})(?:_(?P<lang>kk|ru))?")
_AGENCY = re.compile(rf"sub-(?P<id>{_ID})")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")  # Telegram's rule for a bot's username
SUBSCRIBE_PREFIX = "sub-"


class Kind(enum.StrEnum):
    TOPIC = "topic"
    STATIONS = "stations"
    ASK = "ask"
    SUBSCRIBE = "subscribe"
    HELP = "help"


# The services' own payloads: no topic may be called so (tests/test_links.py).
SERVICES = {"stations": Kind.STATIONS, "ask": Kind.ASK, "help": Kind.HELP}


@dataclass(frozen=True)
class Target:
    """What a deep link opens: a topic (`id`, optionally in `lang`), an agency's
    news (`id`), or a service."""

    kind: Kind
    id: str = ""
    lang: str = ""

    @property
    def payload(self) -> str:
        if self.kind is Kind.TOPIC:
            return f"{self.id}_{self.lang}" if self.lang else self.id
        if self.kind is Kind.SUBSCRIBE:
            return SUBSCRIBE_PREFIX + self.id
        return self.kind.value


class LinkError(ValueError):
    """What cannot be made into a deep link, and why."""


def parse(payload: str) -> Target | None:
    """The target of a start payload; None for anything else (a forged or
    mistyped link), which the bot answers with its ordinary /start."""
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    if payload in SERVICES:
        return Target(SERVICES[payload])
    if match := _AGENCY.fullmatch(payload):
        return Target(Kind.SUBSCRIBE, match["id"])
    match = _TOPIC.fullmatch(payload)
    if match is None or match["id"] in SERVICES or match["id"].startswith(SUBSCRIBE_PREFIX):
        return None  # "stations_kk", "sub-_ru": no topic is called so
    return Target(Kind.TOPIC, match["id"], match["lang"] or "")


def topic(topic_id: str, lang: str = "") -> Target:
    """The target of a page; LinkError when no link can carry it."""
    if lang and lang not in (Lang.KK, Lang.RU):
        raise LinkError(f"unknown language {lang!r}: kk or ru")
    target = Target(Kind.TOPIC, topic_id, lang)
    # Both forms must fit: the id alone, and with a language after it.
    if len(topic_id) > MAX_PAYLOAD - 3 or parse(target.payload) != target:
        raise LinkError(f"{topic_id!r} cannot be a deep link: a topic id is lowercase letters, "
                        f"digits and dashes, at most {MAX_PAYLOAD - 3} characters, and not "
                        f"one of {', '.join(sorted(SERVICES))} or sub-…")
    return target


def url(username: str, target: Target | None = None) -> str:
    """``https://t.me/<username>?start=<payload>`` (the bare chat without a target)."""
    name = username.removeprefix("@")
    if not _USERNAME.fullmatch(name):
        raise LinkError(f"{username!r} is not a bot's username (5-32 letters, digits, _)")
    base = f"https://t.me/{name}"
    return f"{base}?start={target.payload}" if target is not None else base

"""The two languages of Saual's knowledge and interface."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    """A language code as stored in pages, indexes and the database ("kk", "ru")."""

    KK = "kk"
    RU = "ru"


LANGS: tuple[Lang, ...] = tuple(Lang)


def other(lang: str) -> Lang:
    """The other language of the two: Russian for Kazakh, else Kazakh."""
    return Lang.RU if lang == Lang.KK else Lang.KK

"""Callback data of the inline buttons.

Telegram allows 64 bytes of callback data (a Cyrillic letter takes two), so
prefixes are one letter and values are ids, never titles.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# The widest id a database row has: PostgreSQL's INTEGER. Callback data comes
# from the client and can be forged: an id past it is no button of ours (and
# the database would refuse to look it up).
ID_MAX = 2**31 - 1
RowId = Annotated[int, Field(ge=-ID_MAX - 1, le=ID_MAX)]


def row_id(text: str) -> int | None:
    """`text` as a row id, or None when it is not one: only ASCII digits, within
    the id range (``str.isdigit`` also takes "²", which ``int`` refuses; and
    ``int`` refuses more than 4,300 digits, which a URL can carry)."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if value <= ID_MAX else None


class LangCB(CallbackData, prefix="l"):
    code: str  # kk | ru


class MenuCB(CallbackData, prefix="m"):
    """The menu: the list of categories (`cat` empty) or one category's topics."""

    cat: str = ""
    new: bool = False  # send a new menu message instead of editing this one


class TopicCB(CallbackData, prefix="t"):
    """One page: edited into the menu message, or sent as a new message."""

    id: str
    new: bool = False


class FullCB(CallbackData, prefix="f"):
    """The whole text of a page, as new messages."""

    id: str


class WatchCB(CallbackData, prefix="b"):
    """"Notify me if this page changes" (`on`), or stop (not `on`)."""

    id: str  # topic id
    on: bool


class VoteCB(CallbackData, prefix="v"):
    q: RowId  # question log id
    v: int  # 1 or -1


class MoreCB(CallbackData, prefix="o"):
    q: RowId  # question log id


class StationsCB(CallbackData, prefix="p"):
    """Start the polling-station lookup (from /start, /help and the menu)."""


class PrecinctCB(CallbackData, prefix="s"):
    """One precinct's card, chosen from candidates or from the stations nearby."""

    id: int  # precinct row id (changes with a new import: then the button is stale)


class SubCB(CallbackData, prefix="n"):
    """Subscriptions: the overview (`v` empty), a list (`a` agencies, `r` regions),
    pause (`stop`) or resume (`go`); with `t`, follow or unfollow that id."""

    v: str = ""
    t: str = ""
    new: bool = False  # send a new message instead of editing this one


class ComposeCB(CallbackData, prefix="c"):
    """Staff composing an announcement: toggle a region (`r` + `t`), the whole
    country (`all`), next (`next`), confirm (`ok`) or cancel (`no`)."""

    act: str
    t: str = ""


class AskCB(CallbackData, prefix="q"):
    """A citizen asking an agency: start (`new`, or `card` with the question-log
    id in `t`), pick an agency (`ag` + id, `all` lists every one), publication
    (`pub` + 1/0), send (`ok`) or cancel (`no`)."""

    act: str
    t: str = ""


class TicketCB(CallbackData, prefix="k"):
    """Staff on a ticket: take, reassign (`move`, then `to` + agency), reject;
    after the answer, do not publish it (`np`)."""

    act: str
    id: RowId
    t: str = ""


class ReplyCB(CallbackData, prefix="r"):
    """The citizen on an agency's answer: 👍 (`up`), 👎 (`down`), reopen (`re`)."""

    act: str
    id: RowId


class ReviewCB(CallbackData, prefix="w"):
    """Staff reviewing a page: open it (`open`), confirm both languages (`ok`),
    correct a language (`fix` + `l`), one of its sections (`sec` + `n`). `d` is
    the start of the content digest the staff read (the button of a page that
    has changed since is stale)."""

    act: str
    t: str  # topic id
    l: str = ""  # noqa: E741  (kk | ru)
    n: int = Field(default=0, ge=0, le=99)
    d: str = ""

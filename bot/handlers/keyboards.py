"""Inline keyboards; every label goes through gettext at build time."""

from __future__ import annotations

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from embeddings import AuditKind, DocKind, Lang

from ..services import Answer, Due, Entry, Following, Named, Page, links
from .callbacks import (
    AskCB,
    ComposeCB,
    FullCB,
    LangCB,
    MenuCB,
    MoreCB,
    PrecinctCB,
    ReplyCB,
    ReviewCB,
    StationsCB,
    SubCB,
    TicketCB,
    TopicCB,
    VoteCB,
    WatchCB,
)

# Language names are written in their own language, never translated.
LANGUAGE_NAMES = {Lang.KK: "🇰🇿 Қазақша", Lang.RU: "🇷🇺 Русский"}
MAX_LABEL = 60  # longer button labels are cut; clients show about this much


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def languages() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        kb.button(text=name, callback_data=LangCB(code=code))
    return kb.as_markup()


def about() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📚 Menu"), callback_data=MenuCB(new=True))
    kb.button(text=_("🌐 Language"), callback_data=LangCB(code=""))
    kb.button(text=stations_label(), callback_data=StationsCB())
    kb.button(text=subscriptions_label(), callback_data=SubCB(new=True))
    kb.adjust(2, 1, 1)
    return kb.as_markup()


def categories(entries: list[Entry]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for e in entries:
        kb.button(text=_label(e.title), callback_data=MenuCB(cat=e.id))
    kb.button(text=stations_label(), callback_data=StationsCB())
    kb.button(text=subscriptions_label(), callback_data=SubCB(new=True))
    kb.button(text=ask_label(), callback_data=AskCB(act="new"))
    kb.adjust(1)
    return kb.as_markup()


# -- polling stations ------------------------------------------------------------------


def stations_label() -> str:
    return _("🗳 Find my polling station")


def location_label() -> str:
    return _("📍 Send my location")


def cancel_label() -> str:
    return _("✖️ Cancel")


def ask_address() -> ReplyKeyboardMarkup:
    """Under the request for an address: share the location, or cancel."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=location_label(), request_location=True)],
                  [KeyboardButton(text=cancel_label())]],
        resize_keyboard=True, one_time_keyboard=False,
        input_field_placeholder=_("Street and house, or microdistrict and building"))


def precincts(choices: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per precinct: (precinct id, label)."""
    kb = InlineKeyboardBuilder()
    for precinct_id, label in choices:
        kb.button(text=_label(label), callback_data=PrecinctCB(id=precinct_id))
    kb.adjust(1)
    return kb.as_markup()


def topics(entries: list[Entry]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for e in entries:
        kb.button(text=_label(e.title), callback_data=TopicCB(id=e.id))
    kb.button(text=_("⬅️ All sections"), callback_data=MenuCB())
    kb.adjust(1)
    return kb.as_markup()


def _source(page_url: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=_("🔗 Official source"), url=page_url)] if page_url else []


def page(p: Page, *, in_menu: bool, truncated: bool) -> InlineKeyboardMarkup:
    rows = [_source(p.url)]
    if truncated:
        rows.append([InlineKeyboardButton(text=_("📄 Whole page"),
                                          callback_data=FullCB(id=p.id).pack())])
    if in_menu:
        rows.append([InlineKeyboardButton(text=_("⬅️ Back"),
                                          callback_data=MenuCB(cat=p.category).pack())])
    else:
        rows.append([InlineKeyboardButton(text=_("📚 Menu"),
                                          callback_data=MenuCB(new=True).pack())])
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def source(url: str) -> InlineKeyboardMarkup | None:
    row = _source(url)
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def answer(a: Answer, vote: int = 0) -> InlineKeyboardMarkup:
    """The answer card's buttons; `vote` marks the user's 👍 (1) or 👎 (-1)."""
    assert a.best is not None
    up, down = ("👍 ✓" if vote == 1 else "👍"), ("👎 ✓" if vote == -1 else "👎")
    rows = [
        _source(a.best.url),
        [InlineKeyboardButton(text=up, callback_data=VoteCB(q=a.question_id, v=1).pack()),
         InlineKeyboardButton(text=down, callback_data=VoteCB(q=a.question_id, v=-1).pack())],
        [],
    ]
    if a.best.kind == DocKind.PAGE:  # published answers (kind "qa") have no page to show
        rows[-1].append(InlineKeyboardButton(text=_("📄 Whole page"),
                                             callback_data=FullCB(id=a.best.id).pack()))
    if a.others:
        rows[-1].append(InlineKeyboardButton(text=_("🔎 Other answers"),
                                             callback_data=MoreCB(q=a.question_id).pack()))
    if a.best.kind == DocKind.PAGE:  # a page that can change; not an agency's answer
        rows.append([watch_button(a.best.id, a.watching)])
    rows.append([InlineKeyboardButton(text=ask_label(),
                                      callback_data=AskCB(act="card",
                                                          t=str(a.question_id)).pack())])
    rows.append([InlineKeyboardButton(text=_("📚 Menu"), callback_data=MenuCB(new=True).pack())])
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def watch_button(topic_id: str, watching: bool) -> InlineKeyboardButton:
    """Under an answer card: ask to hear of changes to its page, or stop."""
    if watching:
        return InlineKeyboardButton(text=_("🔕 Stop notifying me of changes"),
                                    callback_data=WatchCB(id=topic_id, on=False).pack())
    return InlineKeyboardButton(text=_("🔔 Notify me if this changes"),
                                callback_data=WatchCB(id=topic_id, on=True).pack())


def change_notice(topic_id: str) -> InlineKeyboardMarkup:
    """Under a change notice: open the page as it is now, or stop the notices."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=_("📄 Open the page"),
                              callback_data=TopicCB(id=topic_id, new=True).pack())],
        [watch_button(topic_id, True)],
    ])


# -- outside the private chat: groups and inline mode (buttons are links) ------------


def open_page(username: str, topic_id: str, lang: str, source_url: str) -> InlineKeyboardMarkup:
    """Under a page shared in a group or any chat: the whole page in a private
    chat with the bot (a deep link), and the official source."""
    rows = [[InlineKeyboardButton(text=_("📄 Whole page in the bot"),
                                  url=links.url(username, links.topic(topic_id, lang)))]] \
        if topic_id else [[InlineKeyboardButton(text=_("💬 Open the bot"),
                                                url=links.url(username))]]
    rows.append(_source(source_url))
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def topic_links(username: str, entries: list[tuple[str, str]], lang: str) -> InlineKeyboardMarkup:
    """Topics (id, title) that open in a private chat with the bot."""
    kb = InlineKeyboardBuilder()
    for topic_id, title in entries:
        kb.button(text=_label(title), url=links.url(username, links.topic(topic_id, lang)))
    kb.adjust(1)
    return kb.as_markup()


def ask_in_bot(username: str, *, ask: bool) -> InlineKeyboardMarkup:
    """"Ask in a private chat": straight to asking an agency when the question is
    on a government theme, else the bot's help."""
    target = links.Target(links.Kind.ASK if ask else links.Kind.HELP)
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=_("💬 Ask in a private chat"), url=links.url(username, target))]])


def topic_list(entries: list[Entry], *, menu: bool = True,
               ask: int | None = None) -> InlineKeyboardMarkup:
    """Topics that open as new messages (suggestions, other answers); with `ask`
    (the question-log id) also "ask the agency", pre-filled with that question."""
    kb = InlineKeyboardBuilder()
    for e in entries:
        kb.button(text=_label(e.title), callback_data=TopicCB(id=e.id, new=True))
    if ask is not None:
        kb.button(text=ask_label(), callback_data=AskCB(act="card", t=str(ask)))
    if menu:
        kb.button(text=_("📚 Menu"), callback_data=MenuCB(new=True))
    kb.adjust(1)
    return kb.as_markup()


# -- subscriptions and announcements ---------------------------------------------------


def subscriptions_label() -> str:
    return _("🔔 News subscriptions")


def subscriptions(following: Following) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🏛 Agencies"), callback_data=SubCB(v="a"))
    kb.button(text=_("📍 Regions"), callback_data=SubCB(v="r"))
    if following.paused:
        kb.button(text=_("▶️ Resume announcements"), callback_data=SubCB(v="go"))
    else:
        kb.button(text=_("⏸ Pause all announcements"), callback_data=SubCB(v="stop"))
    kb.adjust(2, 1)
    return kb.as_markup()


def follow_agency(agency: str) -> InlineKeyboardMarkup:
    """Under an agency's news offered by a deep link: follow it (then the list)."""
    follow = InlineKeyboardButton(text=_("✅ Follow"), callback_data=SubCB(v="a", t=agency).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[follow],
                                                 *subscriptions_button().inline_keyboard])


def subscriptions_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=subscriptions_label(), callback_data=SubCB().pack())]])


def follow_list(kind: str, items: list[tuple[str, str]], followed: tuple[str, ...],
                columns: int = 1) -> InlineKeyboardMarkup:
    """Every agency or region, (id, name), with a ✅ on those followed; a press toggles."""
    kb = InlineKeyboardBuilder()
    for item, name in items:
        mark = "✅ " if item in followed else ""
        kb.button(text=_label(mark + name), callback_data=SubCB(v=kind, t=item))
    kb.adjust(columns)
    kb.row(InlineKeyboardButton(text=_("⬅️ Back"), callback_data=SubCB().pack()))
    return kb.as_markup()


def compose_regions(regions: list[Named], chosen: list[str], lang: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for region in regions:
        mark = "✅ " if region.id in chosen else ""
        kb.button(text=_label(mark + region.name(lang)),
                  callback_data=ComposeCB(act="r", t=region.id))
    kb.adjust(2)
    everyone = ("✅ " if not chosen else "") + _("The whole country")
    kb.row(InlineKeyboardButton(text=everyone, callback_data=ComposeCB(act="all").pack()))
    kb.row(InlineKeyboardButton(text=_("Next ➡️"), callback_data=ComposeCB(act="next").pack()))
    return kb.as_markup()


def confirm_announcement() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Send"), callback_data=ComposeCB(act="ok"))
    kb.button(text=_("✖️ Cancel"), callback_data=ComposeCB(act="no"))
    return kb.as_markup()


# -- ask an agency -------------------------------------------------------------------


def ask_label() -> str:
    return _("✉️ Ask the agency")


def ask_agencies(ranked: list[tuple[str, str]], *, everyone: bool) -> InlineKeyboardMarkup:
    """Agencies (id, name) to choose from, the proposed one first."""
    kb = InlineKeyboardBuilder()
    for i, (agency, name) in enumerate(ranked):
        kb.button(text=_label(("✅ " if i == 0 and not everyone else "") + name),
                  callback_data=AskCB(act="ag", t=agency))
    if not everyone:
        kb.button(text=_("Another agency…"), callback_data=AskCB(act="all"))
    kb.button(text=cancel_label(), callback_data=AskCB(act="no"))
    kb.adjust(1)
    return kb.as_markup()


def ask_publication() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, publish it without my name"), callback_data=AskCB(act="pub", t="1"))
    kb.button(text=_("No, the answer is only for me"), callback_data=AskCB(act="pub", t="0"))
    kb.adjust(1)
    return kb.as_markup()


def ask_confirm() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Send"), callback_data=AskCB(act="ok"))
    kb.button(text=cancel_label(), callback_data=AskCB(act="no"))
    return kb.as_markup()


def ticket_staff(ticket_id: int, *, taken: bool = False) -> InlineKeyboardMarkup:
    """A question's buttons in the staff chat (no "take" once someone took it)."""
    kb = InlineKeyboardBuilder()
    if not taken:
        kb.button(text=_("🙋 Take"), callback_data=TicketCB(act="take", id=ticket_id))
    kb.button(text=_("↪️ Reassign"), callback_data=TicketCB(act="move", id=ticket_id))
    kb.button(text=_("⛔ Reject"), callback_data=TicketCB(act="rej", id=ticket_id))
    kb.adjust(3)
    return kb.as_markup()


def ticket_publication(ticket_id: int) -> InlineKeyboardMarkup:
    """Under the request for a question's public wording (a reply publishes)."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🚫 Do not publish"), callback_data=TicketCB(act="np", id=ticket_id))
    return kb.as_markup()


def ticket_agencies(ticket_id: int, agencies: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for agency, name in agencies:
        kb.button(text=_label(name), callback_data=TicketCB(act="to", id=ticket_id, t=agency))
    kb.adjust(1)
    return kb.as_markup()


def ticket_answer(ticket_id: int, vote: int | None = None) -> InlineKeyboardMarkup:
    """The agency's answer: 👍 / 👎 (✓ marks the citizen's vote), reopen."""
    kb = InlineKeyboardBuilder()
    kb.button(text="👍 ✓" if vote == 1 else "👍", callback_data=ReplyCB(act="up", id=ticket_id))
    kb.button(text="👎 ✓" if vote == -1 else "👎",
              callback_data=ReplyCB(act="down", id=ticket_id))
    kb.button(text=_("This does not answer me"), callback_data=ReplyCB(act="re", id=ticket_id))
    kb.adjust(2, 1)
    return kb.as_markup()


# -- staff reviewing their agency's pages -----------------------------------------

def review_list(due: list[Due]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for d in due:
        mark = "🆕" if d.reason == AuditKind.UNVERIFIED else "⏰"
        kb.button(text=_label(f"{mark} {d.title}"), callback_data=ReviewCB(act="open", t=d.id))
    kb.adjust(1)
    return kb.as_markup()


def review_page(topic_id: str, seen: str, langs: list[str]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=_("✅ Confirm: both languages are right"),
                                  callback_data=ReviewCB(act="ok", t=topic_id, d=seen).pack())]]
    for lang in langs:
        label = _("✏️ Correct the Kazakh page") if lang == Lang.KK \
            else _("✏️ Correct the Russian page")
        rows.append([InlineKeyboardButton(
            text=label, callback_data=ReviewCB(act="fix", t=topic_id, l=lang, d=seen).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def review_sections(topic_id: str, lang: str, seen: str,
                    headings: list[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n, heading in enumerate(headings):
        kb.button(text=_label(f"§ {heading}"),
                  callback_data=ReviewCB(act="sec", t=topic_id, l=lang, n=n, d=seen))
    kb.adjust(1)
    return kb.as_markup()

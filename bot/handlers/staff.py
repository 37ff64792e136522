"""Agency staff chats: /link CODE (by a group administrator), and in a linked
chat, for the agency's staff members, /announce (compose -> preview ->
confirm -> queued) and /status. Anyone else, and any chat that is not linked,
is refused; the rights check is a filter on the router (:class:`LinkedChat`)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.formatting import Bold, Text, as_list
from aiogram.utils.i18n import gettext as _

from embeddings import Lang

from ..services import Announcements, Draft, StaffChats, Tickets, valid_url
from ..services.reviews import KZ
from . import cards, keyboards
from .callbacks import ComposeCB
from .replies import PromptAnswer, ask_for, send, show

if TYPE_CHECKING:  # built once by bot.app.Saual, reaches handlers by name
    from ..ticket_notifier import TelegramNotifier

GROUPS = ("group", "supergroup")
# A bot in a group with privacy mode on sees only commands and replies to it:
# each prompt asks the staff member's client to reply to it (replies.ask_for).


class Compose(StatesGroup):
    kk = State()
    ru = State()
    link = State()
    regions = State()
    preview = State()


class LinkedChat(Filter):
    """Passes for a person with staff rights for the agency the chat is linked
    to (both are needed), and gives handlers its `agency` and `chat_lang` (the
    language the bot writes in there)."""

    async def __call__(self, event: Message | CallbackQuery,
                       staff: StaffChats) -> bool | dict[str, Any]:
        message = event.message if isinstance(event, CallbackQuery) else event
        if not isinstance(message, Message) or event.from_user is None \
                or message.chat.type not in GROUPS:
            return False  # only groups are linked (see link): no lookup for citizens
        linked = await staff.staff_chat(message.chat.id, event.from_user.id)
        return {"agency": linked[0], "chat_lang": linked[1]} if linked else False


async def admins(bot: Bot, chat_id: int) -> set[int]:
    """The people (not bots) who administer the group now."""
    return {m.user.id for m in await bot.get_chat_administrators(chat_id=chat_id)
            if not m.user.is_bot}


async def link(message: Message, command: CommandObject, bot: Bot, staff: StaffChats,
               announcements: Announcements, tickets: Tickets, notifier: TelegramNotifier,
               locale: str) -> None:
    """Link the group to an agency (it replaces the agency's previous chat); the
    group's administrators become the agency's staff. The bot will write there in
    the language of whoever linked it, and posts the questions that waited."""
    if message.chat.type not in GROUPS:
        await send(bot, message.chat.id, Text(_("Add me to your agency's staff group and "
                                                "send /link CODE there.")))
        return
    group_admins = await admins(bot, message.chat.id)
    if message.from_user.id not in group_admins:
        await send(bot, message.chat.id, Text(_("Only an administrator of this group can "
                                                "link it to an agency.")))
        return
    agency = await staff.link(message.chat.id, message.from_user.id, command.args or "",
                              locale, group_admins)
    if agency is None:
        await send(bot, message.chat.id, Text(_(
            "This code is wrong, expired or already used. Ask the bot's maintainers for a "
            "new one.")))
        return
    name = announcements.directory.name(agency, locale)
    await send(bot, message.chat.id, Text(
        _("This chat is now linked to {agency}. Send /announce to write an announcement "
          "and /status to see its delivery.").format(agency=name), "\n\n",
        _("Citizens' questions to the agency will appear here: answer one by replying to "
          "its message.")))
    await tickets.deliver_waiting(agency, notifier.via(bot))


async def refused(message: Message, bot: Bot, staff: StaffChats) -> None:
    if await staff.chat(message.chat.id):  # a linked chat, but not one of its staff
        await send(bot, message.chat.id, Text(_("Only the agency's staff can do this. Ask the "
                                                "bot's maintainers for staff rights.")))
        return
    await send(bot, message.chat.id, Text(_("Only a staff chat linked to an agency can do "
                                            "this. Link it with /link CODE.")))


async def announce(message: Message, bot: Bot, state: FSMContext) -> None:
    await state.set_state(Compose.kk)
    # `draft`: this announcement's own key, so that a second tap on "send" (or a
    # retried update) queues it once
    await state.update_data(kk="", ru="", url="", regions=[], draft=secrets.token_hex(8))
    await ask_for(bot, message.chat.id, Text(_("Send the announcement text in Kazakh, or "
                                               "/skip. /cancel stops.")), state)


async def cancel(message: Message, bot: Bot, state: FSMContext) -> None:
    await state.clear()
    await send(bot, message.chat.id, Text(_("The announcement is cancelled.")))


async def got_kk(message: Message, bot: Bot, state: FSMContext) -> None:
    if message.text and not message.text.startswith("/"):
        await state.update_data(kk=message.text)
    await state.set_state(Compose.ru)
    await ask_for(bot, message.chat.id, Text(_("Send the text in Russian, or /skip.")), state)


async def got_ru(message: Message, bot: Bot, state: FSMContext) -> None:
    if message.text and not message.text.startswith("/"):
        await state.update_data(ru=message.text)
    data = await state.get_data()
    if not (data.get(Lang.KK) or data.get(Lang.RU)):
        await state.set_state(Compose.kk)
        await ask_for(bot, message.chat.id, Text(_("An announcement needs a text in at least "
                                                   "one language. Send the text in Kazakh, "
                                                   "or /skip.")), state)
        return
    await state.set_state(Compose.link)
    await ask_for(bot, message.chat.id, Text(_("Send a link to the full text (https://...), "
                                               "or /skip.")), state)


async def got_link(message: Message, bot: Bot, state: FSMContext,
                   announcements: Announcements, locale: str) -> None:
    text = (message.text or "").strip()
    if not text.startswith("/"):
        if not valid_url(text):
            await ask_for(bot, message.chat.id, Text(_("This is not a web address. Send a "
                                                       "link that starts with https://, or "
                                                       "/skip.")), state)
            return
        await state.update_data(url=text)
    await state.set_state(Compose.regions)
    regions = list(announcements.directory.regions.values())
    await send(bot, message.chat.id, Text(_("Who should get it? Choose regions, or the whole "
                                            "country, then press «Next».")),
               keyboards.compose_regions(regions, [], locale))


async def region_pressed(callback: CallbackQuery, callback_data: ComposeCB, bot: Bot,
                         state: FSMContext, announcements: Announcements, locale: str) -> None:
    chosen: list[str] = (await state.get_data()).get("regions", [])
    if callback_data.act == "all":
        chosen = []
    elif callback_data.t in announcements.directory.regions:
        chosen = [r for r in chosen if r != callback_data.t] if callback_data.t in chosen \
            else [*chosen, callback_data.t]
    await state.update_data(regions=chosen)
    regions = list(announcements.directory.regions.values())
    await show(bot, callback, Text(_("Who should get it? Choose regions, or the whole "
                                     "country, then press «Next».")),
               keyboards.compose_regions(regions, chosen, locale))


def _draft(data: dict, announcements: Announcements) -> Draft:
    regions = tuple(r for r in announcements.directory.regions if r in data.get("regions", []))
    return Draft(data.get(Lang.KK, ""), data.get(Lang.RU, ""), data.get("url", ""), regions)


async def preview(callback: CallbackQuery, bot: Bot, state: FSMContext, agency: str,
                  announcements: Announcements, locale: str) -> None:
    draft = _draft(await state.get_data(), announcements)
    await state.set_state(Compose.preview)
    chat_id = callback.message.chat.id
    directory = announcements.directory
    for lang, body in ((Lang.KK, draft.text_kk), (Lang.RU, draft.text_ru)):
        if body:
            label = _("Preview in Kazakh:") if lang == Lang.KK else _("Preview in Russian:")
            await send(bot, chat_id, Text(Bold(label)))
            for part in cards.announcement(directory.name(agency, lang), body,
                                           draft.url):
                await send(bot, chat_id, part)
    where = ", ".join(directory.regions[r].name(locale) for r in draft.regions) or \
        _("the whole country")
    await send(bot, chat_id, Text(_("Recipients: followers of the agency and of the "
                                    "regions; regions: {regions}. Send it?")
                                  .format(regions=where)),
               keyboards.confirm_announcement())


async def confirm(callback: CallbackQuery, callback_data: ComposeCB, bot: Bot,
                  state: FSMContext, agency: str, announcements: Announcements) -> None:
    data = await state.get_data()
    await state.clear()
    if "draft" not in data:  # a second tap: the first one queued it (or cancelled it)
        return
    if callback_data.act != "ok":
        await show(bot, callback, Text(_("The announcement is cancelled.")))
        return
    found, _created = await announcements.publish(
        agency, _draft(data, announcements), source="staff",
        dedupe_key=f"staff:{callback.message.chat.id}:{data['draft']}")
    await show(bot, callback, Text(_("Announcement #{id} is queued for {n} recipients. "
                                     "/status shows its delivery.")
                                   .format(id=found.id, n=found.recipients)))


async def status(message: Message, bot: Bot, agency: str, announcements: Announcements) -> None:
    recent = await announcements.recent(agency)
    if not recent:
        await send(bot, message.chat.id, Text(_("No announcements yet. /announce writes one.")))
        return
    lines = []
    for s in recent:
        c = s.counts
        created = dt.datetime.fromtimestamp(s.announcement.created_at, KZ)  # staff's time
        lines.append(_("#{id} ({date}): queued {queued}, sent {sent}, failed {failed}, "
                       "blocked {blocked}").format(
            id=s.announcement.id, date=created.strftime("%Y-%m-%d %H:%M"), **c))
    await send(bot, message.chat.id, Text(Bold(_("Recent announcements")), "\n",
                                          as_list(*lines)))


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(link, Command("link"))
    staff = Router(name=f"{__name__}.linked")
    staff.message.filter(LinkedChat())
    staff.callback_query.filter(LinkedChat())
    staff.message.register(cancel, Command("cancel"))
    staff.message.register(announce, Command("announce"))
    staff.message.register(status, Command("status"))
    staff.message.register(got_kk, Compose.kk, F.text, PromptAnswer("/skip"))
    staff.message.register(got_ru, Compose.ru, F.text, PromptAnswer("/skip"))
    staff.message.register(got_link, Compose.link, F.text, PromptAnswer("/skip"))
    staff.callback_query.register(preview, Compose.regions, ComposeCB.filter(F.act == "next"))
    staff.callback_query.register(region_pressed, Compose.regions, ComposeCB.filter())
    staff.callback_query.register(confirm, Compose.preview, ComposeCB.filter())
    # (A router's own handlers are tried before its sub-routers': the refusal
    # lives in a sub-router included after the linked chats' one.)
    others = Router(name=f"{__name__}.others")
    others.message.register(refused, Command("announce", "status"))
    router.include_routers(staff, others)
    return router

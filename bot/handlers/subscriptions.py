"""Citizens' news subscriptions: /subscriptions (also resumes), /stop, and the
follow/unfollow buttons, in one message that is edited as the user moves."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Bold, Text, as_list
from aiogram.utils.i18n import gettext as _

from ..services import Following, Follows, Subscriptions, User
from . import keyboards
from .callbacks import SubCB
from .replies import present, send


def overview(following: Following, subs: Subscriptions, lang: str) -> Text:
    directory = subs.directory
    parts: list[object] = [Bold(_("News subscriptions")), "\n\n"]
    if following.empty:
        parts.append(_("You do not follow anything yet. Follow agencies to get their "
                       "announcements, and regions to get the news of your region."))
    else:
        names = [directory.name(a, lang) for a in following.agencies] + \
                [directory.regions[r].name(lang) for r in following.regions]
        parts += [_("You follow:"), "\n", as_list(*(f"• {n}" for n in names))]
    if following.paused:
        parts += ["\n\n", _("Announcements are paused. Press «Resume» to get them again.")]
    return Text(*parts)


async def subscriptions(message: Message, bot: Bot, subs: Subscriptions, user: User,
                        locale: str) -> None:
    await subs.set_paused(user.id, False)
    following = await subs.following(user.id)
    await send(bot, message.chat.id, overview(following, subs, locale),
               keyboards.subscriptions(following))


async def stop(message: Message, bot: Bot, subs: Subscriptions, user: User) -> None:
    await subs.set_paused(user.id, True)
    await send(bot, message.chat.id,
               Text(_("Announcements are paused. Send /subscriptions to resume them.")))


async def pressed(callback: CallbackQuery, callback_data: SubCB, bot: Bot, subs: Subscriptions,
                  user: User, locale: str, callback_answer: CallbackAnswer) -> None:
    kind = {"a": "agency", "r": "region"}.get(callback_data.v)
    if kind and callback_data.t:
        followed = await subs.toggle(user.id, kind, callback_data.t)
        if followed is not None:
            callback_answer.text = _("Subscribed.") if followed else _("Unsubscribed.")
    elif callback_data.v in ("stop", "go"):
        await subs.set_paused(user.id, callback_data.v == "stop")
        callback_answer.text = (_("Announcements are paused.") if callback_data.v == "stop"
                                else _("Announcements resumed."))
    following = await subs.following(user.id)
    if kind == Follows.AGENCY:
        content = Text(_("Agencies: press one to follow it or to stop following it."))
        markup = keyboards.follow_list("a", subs.directory.choices(locale),
                                       following.agencies)
    elif kind == Follows.REGION:
        content = Text(_("Regions: press one to follow it or to stop following it."))
        regions = [(r.id, r.name(locale)) for r in subs.directory.regions.values()]
        markup = keyboards.follow_list("r", regions, following.regions, columns=2)
    else:
        content, markup = overview(following, subs, locale), keyboards.subscriptions(following)
    await present(bot, callback, content, markup, new=callback_data.new)


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(subscriptions, Command("subscriptions"))
    router.message.register(stop, Command("stop"))
    router.callback_query.register(pressed, SubCB.filter())
    return router

"""Polling stations: /stations, the 🗳 button and "where do I vote?"; then an address
or a shared location.

After the request the chat is in :attr:`StationsForm.address`: the next text is
an address. A text that is clearly a question instead (no number, a sentence)
leaves the lookup and goes on to the question router. A location is answered
in any state. Comes before the media router (a location is not text) and the
question router (the intent goes first).
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from ..services import Lookup, Precinct, Stations, Status, asks_for_polling_station
from . import keyboards
from . import station_cards as cards
from .callbacks import PrecinctCB, StationsCB
from .replies import send


class StationsForm(StatesGroup):
    address = State()  # waiting for the address (or a location)


async def begin(bot: Bot, chat_id: int, state: FSMContext, stations: Stations,
                   locale: str) -> None:
    if not stations.available:
        await send(bot, chat_id, cards.no_data())
        return
    await state.set_state(StationsForm.address)
    await send(bot, chat_id, cards.ask_address(stations.city_names(locale)),
               keyboards.ask_address())


async def _card(bot: Bot, chat_id: int, precinct: Precinct, locale: str, **how) -> None:
    """The precinct card, then its map pin (sendVenue)."""
    await send(bot, chat_id, cards.precinct_card(precinct, locale, **how), ReplyKeyboardRemove())
    await bot.send_venue(chat_id=chat_id, latitude=precinct.lat, longitude=precinct.lon,
                         title=cards.precinct_title(precinct),
                         address=cards.venue_address(precinct, locale))


async def _answer(bot: Bot, chat_id: int, text: str, result: Lookup, stations: Stations,
                  state: FSMContext, locale: str) -> None:
    cities = stations.city_names(locale)
    with_city = len(cities) > 1
    if result.status is Status.FOUND:
        await state.clear()
        match = result.matches[0]
        await _card(bot, chat_id, match.precinct, locale, match=match, with_city=with_city)
    elif result.status is Status.CHOOSE:
        choices = [(m.precinct.id, cards.choice_label(m, locale, with_city))
                   for m in result.matches]
        await send(bot, chat_id, cards.choose(text), keyboards.precincts(choices))
    elif result.status is Status.NO_DATA:
        await state.clear()
        await send(bot, chat_id, cards.no_data(), ReplyKeyboardRemove())
    else:
        await send(bot, chat_id, cards.not_found(result, text, locale, cities))


async def request(message: Message, bot: Bot, state: FSMContext, stations: Stations,
                  locale: str) -> None:
    await begin(bot, message.chat.id, state, stations, locale)


async def request_from_button(callback: CallbackQuery, bot: Bot, state: FSMContext,
                              stations: Stations, locale: str) -> None:
    await begin(bot, callback.from_user.id, state, stations, locale)


async def asked(message: Message, bot: Bot, state: FSMContext, stations: Stations,
                locale: str) -> None:
    """"Where do I vote?": answer at once if the question carries an address, else ask."""
    assert message.text is not None
    if any(ch.isdigit() for ch in message.text):
        result = await stations.find(message.text)
        if result.status in (Status.FOUND, Status.CHOOSE, Status.OTHER_CITY):
            # waiting for an address, as after /stations: a choice may be refined
            # by writing the address again («Жанаозен, Абая 45»); a card clears it
            await state.set_state(StationsForm.address)
            await _answer(bot, message.chat.id, message.text, result, stations, state, locale)
            return
    await begin(bot, message.chat.id, state, stations, locale)


# Words a question starts with and an address does not.
_QUESTION_WORDS = frozenset(
    "как какой какая какие каким когда где куда откуда сколько почему зачем что чем кто "
    "можно нужно надо ли подскажите скажите қалай қандай қашан қайда қайдан қанша неше "
    "неге не кім кімге бола керек".split())


def _a_question(text: str) -> bool:
    """A text that is not an address at all: a question (a question mark, or a
    question word first: «как оформить пособие до 1,5 лет»), or a sentence
    with no number."""
    words = text.split()
    if text.rstrip().endswith("?") or (
            words and words[0].casefold().strip(",.!:;«»\"") in _QUESTION_WORDS):
        return True
    return not any(ch.isdigit() for ch in text) and len(words) >= 3


async def address(message: Message, bot: Bot, state: FSMContext, stations: Stations,
                  locale: str) -> None:
    assert message.text is not None
    result = await stations.find(message.text)
    if (result.status in (Status.UNKNOWN_PLACE, Status.NOT_UNDERSTOOD)
            and _a_question(message.text)):
        await state.clear()
        raise SkipHandler  # the question router answers it
    await _answer(bot, message.chat.id, message.text, result, stations, state, locale)


async def location(message: Message, bot: Bot, stations: Stations, locale: str) -> None:
    assert message.location is not None
    if not stations.available:
        await send(bot, message.chat.id, cards.no_data())
        return
    near = stations.nearest(message.location.latitude, message.location.longitude)
    if not near:
        await send(bot, message.chat.id,
                   cards.nothing_near(stations.config.near_km, stations.city_names(locale)))
        return
    buttons = [(p.id, cards.nearby_label(s, p)) for s in near for p in s.precincts]
    await send(bot, message.chat.id, cards.nearby(near, locale), keyboards.precincts(buttons))


async def chosen(callback: CallbackQuery, callback_data: PrecinctCB, bot: Bot,
                 state: FSMContext, stations: Stations, locale: str,
                 callback_answer: CallbackAnswer) -> None:
    precinct = stations.precinct(callback_data.id)
    if precinct is None:
        callback_answer.text = _("This list has changed. Please send your address again.")
        return
    await state.clear()
    await _card(bot, callback.from_user.id, precinct, locale)


async def cancel(message: Message, bot: Bot, state: FSMContext) -> None:
    await state.clear()
    await send(bot, message.chat.id, cards.cancelled(), ReplyKeyboardRemove())


async def no_location(message: Message, bot: Bot) -> None:
    """The location button pressed in an app that sent its label instead of a location."""
    await send(bot, message.chat.id, cards.no_location_from_client())


def _is(label: Callable[[], str]) -> Callable[[Message], bool]:
    """A filter: the text is this (translated) button label, in the user's language."""
    def check(message: Message) -> bool:
        return message.text == label()
    return check


def _asks(message: Message, stations: Stations) -> bool:
    return stations.available and asks_for_polling_station(message.text or "")


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(request, Command("stations"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(cancel, F.text, _is(keyboards.cancel_label))
    router.message.register(no_location, F.text, _is(keyboards.location_label))
    router.message.register(location, F.location)
    router.message.register(address, StationsForm.address, F.text, ~F.text.startswith("/"))
    router.message.register(asked, F.text, _asks)
    router.callback_query.register(request_from_button, StationsCB.filter())
    router.callback_query.register(chosen, PrecinctCB.filter())
    return router

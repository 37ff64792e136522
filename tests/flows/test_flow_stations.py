"""Polling stations in the bot: /stations, the 🗳 buttons, "where do I vote?", an address,
a shared location, choices, hints, cancel; cards with a map pin (sendVenue)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from botkit import Citizen
from stationkit import FIXTURES, SAMPLE, SAMPLE_ALIASES

from bot.services import Stations, StationsConfig, read_station_files

PROMPT_RU = "Напишите адрес, по которому вы зарегистрированы (прописаны)"
REPLY_KEYBOARD_RU = [[{"text": "📍 Отправить геолокацию", "request_location": True}],
                     [{"text": "✖️ Отмена"}]]


@pytest.fixture
async def aktau(saual):
    """The bot with the shipped Aktau sample imported, as `saual stations import` does."""
    await saual.stations.import_data(read_station_files(SAMPLE, SAMPLE_ALIASES))
    assert await saual.stations.refresh()
    return saual


def _sent(calls, method="sendMessage"):
    return [c for c in calls if c.method == method]


def _card_and_pin(calls):
    [card], [pin] = _sent(calls), _sent(calls, "sendVenue")
    assert calls.index(card) < calls.index(pin)  # the card first, then the map pin
    return card, pin


async def test_stations_command_address_card_and_map_pin(aktau, citizen, saual):
    calls = await citizen.send("/stations")
    [prompt] = calls
    assert prompt.text.startswith(PROMPT_RU)
    assert "Или отправьте геолокацию" in prompt.text
    assert "Списки участков загружены для: Актау." in prompt.text
    assert prompt.params["reply_markup"]["keyboard"] == REPLY_KEYBOARD_RU

    card, pin = _card_and_pin(await citizen.send("ул. Абая, д. 45"))
    assert card.text.split("\n") == [
        "Адрес: проспект Абая, 45",
        "",
        "Избирательный участок № 33",
        "Школа-гимназия № 26",
        "📍 г. Актау, проспект Абая, 41",
        "🕖 Время голосования: 07:00–20:00",
        "☎️ Телефон: —",
        "",
        "Ваш участок определяется по адресу регистрации (прописки).",
        "",
        "⚠️ Демонстрационные данные: эти участки и их границы придуманы для проверки бота, а не "
        "взяты из решения акима. Проверьте свой участок на election.gov.kz.",
    ]
    assert card.params["reply_markup"] == {"remove_keyboard": True}
    assert "parse_mode" not in card.params
    assert pin.params == {"chat_id": citizen.user.id, "latitude": 43.691, "longitude": 51.216,
                          "title": "Избирательный участок № 33",
                          "address": "Школа-гимназия № 26, г. Актау, проспект Абая, 41"}

    # the lookup is over: the next text is a question again
    calls = await citizen.send("прописка онлайн")
    assert _sent(calls)[0].text.startswith("Регистрация по месту жительства")
    assert not _sent(calls, "sendVenue")


async def test_kazakh_from_start_through_the_button(aktau, saual, bot, session, clock):
    user = Citizen(saual.dispatcher, bot, session, clock, user_id=900, language_code="kk")
    await user.send("/start")
    calls = await user.press("Қазақша")
    assert "🗳 Сайлау учаскемді табу" in [b["text"] for b in _sent(calls, "editMessageText")[0]
                                         .buttons]
    calls = await user.press("🗳 Сайлау учаскемді табу")
    [prompt] = _sent(calls)
    assert prompt.text.startswith("Тіркелген мекенжайыңызды (пропискаңызды) жазыңыз")
    assert prompt.params["reply_markup"]["keyboard"][0] == [
        {"text": "📍 Геолокацияны жіберу", "request_location": True}]

    card, pin = _card_and_pin(await user.send("5 үй 12 шағын аудан"))
    lines = card.text.split("\n")
    assert lines[:7] == ["Мекенжай: 12 шағын аудан, 5", "", "№ 19 сайлау учаскесі",
                         "№ 15 жалпы білім беретін орта мектеп",
                         "📍 Ақтау қ., 12 шағын аудан, 28 ғимарат",
                         "🕖 Дауыс беру уақыты: 07:00–20:00", "☎️ Телефон нөмірі: —"]
    assert "Сіздің учаскеңіз тіркелген мекенжайыңыз (пропискаңыз) бойынша анықталады." in lines
    assert lines[-1].startswith("⚠️ Үлгі деректер")
    assert pin.params["title"] == "№ 19 сайлау учаскесі"
    assert pin.params["address"] == ("№ 15 жалпы білім беретін орта мектеп, "
                                     "Ақтау қ., 12 шағын аудан, 28 ғимарат")


async def test_the_menu_and_help_lead_to_it(aktau, citizen):
    await citizen.send("/menu")
    calls = await citizen.press("🗳 Найти мой избирательный участок")
    [prompt] = _sent(calls)  # a new message; the menu stays
    assert prompt.text.startswith(PROMPT_RU) and not _sent(calls, "editMessageText")
    calls = await citizen.send("/help")
    assert "/stations" in calls[0].text


async def test_where_do_i_vote_is_answered_before_the_knowledge_base(aktau, citizen, saual):
    calls = await citizen.send("Где мне голосовать?")
    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].text.startswith(PROMPT_RU)
    calls = await citizen.send("/start")  # leaves the lookup waiting; harmless
    calls = await citizen.send("қай учаскеде дауыс беремін")
    assert _sent(calls)[0].text.startswith(PROMPT_RU)  # the interface is Russian
    # with the address in the same message: the answer at once
    card, _pin = _card_and_pin(await citizen.send("где мне голосовать, 12 мкр 5 дом"))
    assert "Избирательный участок № 19" in card.text
    assert await saual.storage.questions.recent() == []  # none of these went to search


async def test_other_election_questions_still_go_to_the_knowledge_base(aktau, citizen, saual):
    calls = await citizen.send("какие документы нужны чтобы проголосовать")
    assert calls[0].method == "sendChatAction"  # the question router: search
    assert not any(PROMPT_RU in c.text for c in _sent(calls))
    [logged] = await saual.storage.questions.recent()
    assert logged.text == "какие документы нужны чтобы проголосовать"


async def test_a_misspelt_address_is_confirmed(aktau, citizen):
    await citizen.send("/stations")
    card, _pin = _card_and_pin(await citizen.send("Сатпева 3"))
    assert card.text.startswith("Я понял адрес как «улица Сатпаева, 3». Если это не ваш "
                                "адрес, напишите его ещё раз.")
    card, _pin = _card_and_pin(await citizen.send("где мне голосовать, проспект Ленина 10"))
    assert card.text.startswith("Адрес: проспект Абая, 10")  # an old name is exact


async def test_what_was_not_understood_and_how_to_write_it(aktau, citizen, saual):
    await citizen.send("/stations")
    hints = {
        "Пушкина 5": "Я не нашёл улицу «пушкина» в списках (Актау). Проверьте название или "
                     "напишите так: «Абая 45» или «12 мкр 5».",
        "Абая": "Адрес «проспект Абая» относится к нескольким участкам. Напишите и номер дома, "
                "например «проспект Абая 5».",
        "Шевченко 150": "Адрес «улица Шевченко» мне известен, но дома 150 нет ни в одном из моих "
                        "списков участков. Проверьте номер или отправьте геолокацию, чтобы "
                        "увидеть участки рядом.",
        "99 мкр 5": "В моих списках (Актау) нет 99 микрорайона. Проверьте номер; пишите так: "
                    "«12 мкр 5».",
        "45": "В «45» я не нашёл ни улицы, ни микрорайона. Напишите улицу и дом, например «Абая "
              "45», или микрорайон и дом, например «12 мкр 5».",
    }
    for text, hint in hints.items():
        calls = await citizen.send(text)
        assert [c.text for c in calls] == [hint]
    # still waiting for an address: now a right one
    card, _pin = _card_and_pin(await citizen.send("Абая 2"))
    assert "Избирательный участок № 34" in card.text


async def test_an_address_in_a_city_without_a_list_is_told_so(aktau, citizen, saual):
    # «Астана, 12 мкр 5» got Aktau's precinct № 19 with full confidence (a review's
    # find): Aktau has a 12th microdistrict with a house 5.
    await citizen.send("/stations")
    calls = await citizen.send("Астана, 12 мкр 5")
    assert not _sent(calls, "sendVenue")
    [told] = _sent(calls)
    assert told.text.startswith("Списков избирательных участков по городу Астана у меня пока "
                                "нет. Они есть для: Актау.")
    assert "по ИИН на" in told.text and "Избирательный участок" not in told.text
    calls = await citizen.send("где мне голосовать, г. Шымкент, ул. Абая 10")
    assert "по городу Шымкент" in _sent(calls)[0].text
    # a street named after a city is still a street
    card, _pin = _card_and_pin(await citizen.send("Актау, Абая 45"))
    assert "Избирательный участок № 33" in card.text


async def test_a_question_typed_instead_of_an_address_is_answered(aktau, citizen, saual):
    await citizen.send("/stations")
    calls = await citizen.send("как получить удостоверение личности")
    assert calls[0].method == "sendChatAction"
    assert _sent(calls)[0].text.startswith("Получение удостоверения личности")
    calls = await citizen.send("Абая 45")  # the lookup was left: this is a question now
    assert not _sent(calls, "sendVenue")
    # a question with a number in it, while an address is awaited, is a question too
    # (a review found it answered «Я не нашёл улицу ...» and never searched)
    for question in ("Как оформить пособие по уходу за ребенком до 1,5 лет?",
                     "сколько стоит паспорт в 2026 году"):
        await citizen.send("/stations")
        await citizen.send("Шевченко 150")  # not found: the lookup still waits
        calls = await citizen.send(question)
        assert calls[0].method == "sendChatAction", question  # the question router


async def test_several_candidates_are_offered_as_buttons(aktau, citizen, saual):
    await saual.stations.import_data(read_station_files(FIXTURES / "zhanaozen.csv"))
    await saual.stations.refresh()
    await citizen.send("/stations")
    calls = await citizen.send("Абая 45")
    [choice] = calls
    assert choice.text == "Под «Абая 45» подходят несколько адресов. Выберите свой:"
    assert [b["text"] for b in choice.buttons] == [
        "Актау, проспект Абая, 45 · № 33", "Жанаозен, проспект Абая, 45 · № 1"]
    card, pin = _card_and_pin(await citizen.press("Жанаозен"))
    assert "Избирательный участок № 1\nШкола № 1" in card.text
    assert card.text.endswith("Границы участков: Тестовые данные (не решение акима).")
    assert pin.params["latitude"] == 43.34
    assert "Список участков" not in card.text and "⚠️" not in card.text
    # offered from «где мне голосовать, ...», the choice can be refined by typing the
    # address again (it went to the knowledge base: a review's find)
    await citizen.send("где мне голосовать, Абая 45")
    card, _pin = _card_and_pin(await citizen.send("Жанаозен, Абая 45"))
    assert "Избирательный участок № 1\nШкола № 1" in card.text
    assert await saual.storage.questions.recent() == []


async def test_an_address_in_more_cities_than_buttons_asks_for_the_city(aktau, citizen, saual):
    saual.stations.config = StationsConfig(choices=1)
    await saual.stations.import_data(read_station_files(FIXTURES / "zhanaozen.csv"))
    await saual.stations.refresh()
    calls = await citizen.send("где мне голосовать, Абая 45")
    assert calls[-1].text.startswith(PROMPT_RU)  # not an answer: the lookup asks instead
    calls = await citizen.send("Абая 45")
    assert [c.text for c in calls] == [
        "Такой адрес есть в нескольких городах. Напишите и город, например «Актау, Абая 45»."]
    card, _pin = _card_and_pin(await citizen.send("Жанаозен, Абая 45"))
    assert "Избирательный участок № 1" in card.text


async def test_a_shared_location_lists_the_nearest_stations(aktau, citizen):
    calls = await citizen.send_location(43.6402, 51.1502)
    [listing] = calls
    lines = listing.text.split("\n")
    assert lines[0] == "Избирательные участки рядом с вами:"
    assert lines[1] == ("1. № 1, № 2 — Общеобразовательная средняя школа № 3, г. Актау, 1 мкр, "
                        "здание 3 — 30 м")
    assert lines[2].startswith("2. № 3 — ") and lines[3].startswith("3. № 4 — ")
    assert ("Голосовать можно только на участке по адресу регистрации (прописки), и это не "
            "всегда ближайший участок. Чтобы найти свой, напишите этот адрес.") in lines
    assert lines[-1].startswith("⚠️ Демонстрационные данные")
    labels = [b["text"] for b in listing.buttons]
    assert labels[:2] == ["№ 1 · 30 м", "№ 2 · 30 м"] and len(labels) == 4
    card, pin = _card_and_pin(await citizen.press("№ 2 ·"))
    assert card.text.startswith("Избирательный участок № 2\n")  # no address line: by location
    assert (pin.params["latitude"], pin.params["longitude"]) == (43.64, 51.15)


async def test_a_location_far_from_every_station(aktau, citizen):
    calls = await citizen.send_location(51.1282, 71.4306)  # Astana
    assert [c.text for c in calls] == [
        "В радиусе 30 км от этой точки я не знаю ни одного избирательного участка.\n\n"
        "Списки участков загружены для: Актау."]


async def test_cancel_and_a_client_that_cannot_send_a_location(aktau, citizen):
    await citizen.send("/stations")
    calls = await citizen.send("📍 Отправить геолокацию")
    assert [c.text for c in calls] == [
        "Ваше приложение Telegram не отправило геолокацию. Напишите адрес."]
    calls = await citizen.send("✖️ Отмена")
    assert [c.text for c in calls] == ["Отменено. Задайте вопрос или откройте /menu."]
    assert calls[0].params["reply_markup"] == {"remove_keyboard": True}
    calls = await citizen.send("Абая 45")  # no longer an address
    assert not _sent(calls, "sendVenue")
    assert (await citizen.send("/cancel"))[0].text.startswith("Отменено")


async def test_without_precinct_lists(saual, citizen):
    calls = await citizen.send("/stations")
    assert [c.text for c in calls] == [
        "Списки избирательных участков ещё не загружены. Во время избирательной кампании свой "
        "участок можно найти по ИИН на election.gov.kz, на gov.kz или в eGov Mobile."]
    calls = await citizen.send("где мне голосовать")  # the knowledge base answers then
    assert calls[0].method == "sendChatAction"
    calls = await citizen.send_location(43.65, 51.16)
    assert calls[0].text.startswith("Списки избирательных участков ещё не загружены")


async def test_a_button_from_an_older_import(aktau, citizen):
    await citizen.send_location(43.6402, 51.1502)
    listing = citizen.last_with_buttons()
    await aktau.stations.import_data(read_station_files(SAMPLE, SAMPLE_ALIASES))
    await aktau.stations.refresh()  # new row ids: the old buttons point nowhere
    calls = await citizen.press("№ 1 ·", listing)
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == "Список изменился. Пожалуйста, отправьте адрес ещё раз."


async def test_a_running_bot_picks_up_an_import_by_itself(saual, bot, citizen):
    saual.engine.config = dataclasses.replace(saual.engine.config, reload_every=0.05)
    dp = saual.dispatcher
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    try:
        assert not saual.stations.available
        # another process (`saual stations import`) writes to the same database
        await Stations(saual.storage).import_data(read_station_files(SAMPLE, SAMPLE_ALIASES))
        for _ in range(100):
            if saual.stations.available:
                break
            await asyncio.sleep(0.05)
        assert saual.stations.available
        card, _pin = _card_and_pin(await citizen.send("где мне голосовать, мкр 3"))
        assert "Избирательный участок № 5" in card.text
    finally:
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)


async def test_the_terminal_chat_shares_a_location_and_shows_the_pin(aktau, settings):
    from bot.console import run_chat

    lines = iter(["/stations", "12 мкр 5 дом", "📍 43.6402 51.1502", "2"])
    out: list[str] = []

    def read() -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    await run_chat(settings, read, out.append, app=aktau)
    text = "\n".join(out)
    assert "  ⌨ 📍 Отправить геолокацию | ✖️ Отмена" in text
    assert ("📍 Избирательный участок № 19 — Общеобразовательная средняя школа № 15, г. Актау, "
            "12 мкр, здание 28 (43.68500, 51.16800)") in text
    assert "Избирательные участки рядом с вами:" in text and "[2] № 2 · 30 м" in text
    assert "📍 Избирательный участок № 2 — " in text  # pressed [2]: its card and pin

"""Answer-change notices through the production Dispatcher, in kk and ru: ask,
press the bell under the answer, a changed build is published and loaded, and
the delivery worker sends one message in the citizen's language that opens
the page."""

from __future__ import annotations

import pytest

from bot.delivery import TelegramCourier
from bot.services import Delivery, DeliveryConfig
from embeddings import build_index, load_knowledge

FAST = DeliveryConfig(rate=200, chat_interval=0.01, idle=0.01, flush=0.01, backoff=0.01)

CASES = {
    "ru": dict(question="где получить удостоверение личности",
               title="Получение удостоверения личности",
               bell="Сообщить, если это изменится", stop="Не сообщать об изменениях",
               on="Готово: я напишу здесь", off="Готово: уведомлений",
               changed="Эта страница изменилась", what="Что изменилось: суммы или другие числа.",
               open="Открыть страницу", old="с 16 лет. Документ", new="с 14 лет. Документ"),
    "kk": dict(question="жеке куәлікті қайдан аламын", title="Жеке куәлік алу",
               bell="Өзгерсе, маған хабарла", stop="Өзгерістер туралы хабарламау",
               on="Дайын: осы беттегі", off="Дайын: бұл бет туралы",
               changed="Бұл бет өзгерді", what="Не өзгерді: сомалар немесе басқа сандар.",
               open="Бетті ашу", old="16 жастан бастап. Құжат", new="14 жастан бастап. Құжат"),
}


def deliver(saual, bot) -> Delivery:
    return Delivery(saual.storage, TelegramCourier(bot, saual.directory), FAST)


def toast(calls) -> str:
    return next(c for c in calls if c.method == "answerCallbackQuery").params.get("text", "")


def republish(saual, encoder, page: str, old: str, new: str) -> None:
    path = saual.settings.knowledge_dir / page
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    build_index(load_knowledge(saual.settings.knowledge_dir), encoder, saual.settings.index_dir,
                topic_model=False)


@pytest.mark.parametrize("lang", ["ru", "kk"])
async def test_the_bell_brings_one_notice_of_a_change_in_the_citizens_language(
        saual, citizen, bot, session, encoder, lang):
    case = CASES[lang]
    if lang == "kk":
        await citizen.send("/start")
        await citizen.press("Қазақша")
    calls = await citizen.send(case["question"])
    [answer] = [c for c in calls if c.method == "sendMessage"]
    assert answer.text.startswith(case["title"])
    bell = next(b for b in answer.buttons if case["bell"] in b["text"])
    assert bell["callback_data"] == "b:id-card:1"

    calls = await citizen.press(case["bell"])
    assert toast(calls).startswith(case["on"])
    assert any(case["stop"] in b["text"] for b in citizen.buttons())  # the bell turned off
    assert await saual.watches.watching(citizen.user.id, "id-card")

    republish(saual, encoder, f"pages/documents/id-card.{lang}.md", case["old"], case["new"])
    await saual.reload_index()
    await saual.reload_index()  # loaded once: compared once
    before = len(session.calls)
    await deliver(saual, bot).run(until_empty=True)
    [notice] = [c for c in session.calls[before:] if c.method == "sendMessage"]
    assert notice.params["chat_id"] == citizen.user.id
    assert notice.text.startswith("🔔 " + case["title"])
    assert case["changed"] in notice.text and case["what"] in notice.text
    assert "14" not in notice.text  # a number out of its sentence is never quoted
    assert {b["callback_data"] for b in notice.buttons} == {"t:id-card:1", "b:id-card:0"}

    opened = await citizen.press(case["open"])
    [page] = [c for c in opened if c.method == "sendMessage"]
    assert page.text.startswith(case["title"]) and "14" in page.text

    # Nothing more for the same build, whoever loads it again.
    await saual.check_changes()
    before = len(session.calls)
    await deliver(saual, bot).run(until_empty=True)
    assert [c for c in session.calls[before:] if c.method == "sendMessage"] == []


async def test_the_bell_under_the_notice_stops_the_notices(saual, citizen, bot, session,
                                                           encoder):
    await citizen.send(CASES["ru"]["question"])
    await citizen.press(CASES["ru"]["bell"])
    republish(saual, encoder, "pages/documents/id-card.ru.md", "с 16 лет. Документ",
              "с 14 лет. Документ")
    await saual.reload_index()
    await deliver(saual, bot).run(until_empty=True)
    calls = await citizen.press(CASES["ru"]["stop"])
    assert toast(calls).startswith(CASES["ru"]["off"])
    assert not await saual.watches.watching(citizen.user.id, "id-card")

    republish(saual, encoder, "pages/documents/id-card.ru.md", "действует 10 лет",
              "действует 5 лет")
    await saual.reload_index()
    before = len(session.calls)
    await deliver(saual, bot).run(until_empty=True)
    assert [c for c in session.calls[before:] if c.method == "sendMessage"] == []


async def test_a_forged_bell_for_no_page_watches_nothing(saual, citizen):
    calls = await citizen.send(CASES["ru"]["question"])
    [answer] = [c for c in calls if c.method == "sendMessage"]
    message = citizen.last_with_buttons()
    for data in ("b:no-such-topic:1", "b:polling-station-qa:1"):
        calls = await citizen.press_data(data, message)
        assert toast(calls) == "Эта страница больше недоступна."
    assert not await saual.watches.watching(citizen.user.id, "no-such-topic")
    assert answer.text


async def test_asking_again_shows_the_watch_and_renews_it(saual, citizen, clock):
    await citizen.send(CASES["ru"]["question"])
    await citizen.press(CASES["ru"]["bell"])
    clock.now += 80 * 24 * 3600
    calls = await citizen.send(CASES["ru"]["question"])
    [answer] = [c for c in calls if c.method == "sendMessage"]
    assert any(CASES["ru"]["stop"] in b["text"] for b in answer.buttons)
    clock.now += 80 * 24 * 3600  # 160 days after the bell, 80 after the last question
    assert await saual.watches.watching(citizen.user.id, "id-card")
    clock.now += 11 * 24 * 3600
    assert not await saual.watches.watching(citizen.user.id, "id-card")
    calls = await citizen.send(CASES["ru"]["question"])
    [answer] = [c for c in calls if c.method == "sendMessage"]
    assert any(CASES["ru"]["bell"] in b["text"] for b in answer.buttons)

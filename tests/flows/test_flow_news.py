"""News subscriptions and agency announcements, through the production Dispatcher:
citizens follow agencies and regions; a staff chat is linked with a one-time code
and composes an announcement; the outbox worker delivers it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from botkit import Citizen

from bot.delivery import TelegramCourier
from bot.services import Delivery, DeliveryConfig, Draft

FAST = DeliveryConfig(rate=200, chat_interval=0.01, idle=0.01, flush=0.01, backoff=0.01)


def deliver(saual, bot) -> Delivery:
    return Delivery(saual.storage, TelegramCourier(bot, saual.directory), FAST)


@pytest.fixture
def staff(saual, bot, session, clock) -> Citizen:
    return Citizen(saual.dispatcher, bot, session, clock, user_id=900, group=-100500)


async def test_subscribe_and_unsubscribe(citizen, saual):
    calls = await citizen.send("/subscriptions")
    assert "Вы пока ни на что не подписаны" in calls[0].text
    await citizen.press("Ведомства")
    calls = await citizen.press("Министерство внутренних дел")
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "Вы подписались."
    assert any(b["text"].startswith("✅ Министерство внутренних дел") for b in citizen.buttons())
    await citizen.press("Назад")
    await citizen.press("Регионы")
    await citizen.press("город Астана")
    calls = await citizen.press("Назад")
    assert "Ваши подписки:" in calls[0].text and "город Астана" in calls[0].text
    following = await saual.subscriptions.following(citizen.user.id)
    assert following.agencies == ("mvd",) and following.regions == ("astana",)

    await citizen.press("Ведомства")
    calls = await citizen.press("✅ Министерство внутренних дел")
    assert next(c for c in calls if c.method == "answerCallbackQuery").params["text"] == \
        "Вы отписались."
    assert (await saual.subscriptions.following(citizen.user.id)).agencies == ()


async def test_subscriptions_are_reachable_from_start_and_menu(citizen):
    await citizen.send("/start")
    await citizen.press("Русский")
    calls = await citizen.press("Подписки на новости")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    assert "Вы пока ни на что не подписаны" in sent.text
    await citizen.send("/menu")
    calls = await citizen.press("Подписки на новости")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    assert any("Ведомства" in b["text"] for b in sent.buttons)


async def test_stop_pauses_and_subscriptions_resumes(citizen, saual):
    await citizen.send("/subscriptions")
    await citizen.press("Ведомства")
    await citizen.press("Министерство внутренних дел")
    calls = await citizen.send("/stop")
    assert "приостановлены" in calls[0].text
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="Новость"), source="staff")
    assert found.recipients == 0
    await citizen.send("/subscriptions")
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="Новость"), source="staff")
    assert found.recipients == 1


async def test_a_staff_chat_is_linked_with_a_one_time_code(staff, saual):
    calls = await staff.send("/link WRONGCODE1")
    assert "неверен, просрочен" in calls[-1].text
    code = await saual.staff.invite("mvd")
    calls = await staff.send(f"/link {code.lower()}")
    assert "привязан к ведомству: Министерство внутренних дел" in calls[-1].text
    assert await saual.staff.agency_of(-100500) == "mvd"
    other = Citizen(staff.dp, staff.bot, staff.session, staff.clock, user_id=901, group=-777)
    calls = await other.send(f"/link {code}")  # spent
    assert "неверен, просрочен" in calls[-1].text
    assert await saual.staff.agency_of(-777) is None


async def test_a_strangers_announce_is_refused(saual, bot, session, clock, citizen):
    stranger = Citizen(saual.dispatcher, bot, session, clock, user_id=66, group=-666)
    for who in (stranger, citizen):
        calls = await who.send("/announce")
        assert "только чату сотрудников" in calls[0].text
        calls = await who.send("/status")
        assert "только чату сотрудников" in calls[0].text
    assert await saual.storage.announcements.recent("mvd") == []


async def test_compose_preview_confirm_and_delivery(staff, saual, bot, session, clock):
    follower = Citizen(saual.dispatcher, bot, session, clock, user_id=1001, language_code="kk")
    await follower.send("/start")
    await follower.press("Қазақша")
    await follower.send("/subscriptions")
    await follower.press("Мемлекеттік органдар")
    await follower.press("Ішкі істер министрлігі")
    regional = Citizen(saual.dispatcher, bot, session, clock, user_id=1002)
    await regional.send("/subscriptions")
    await regional.press("Регионы")
    await regional.press("Шымкент")
    elsewhere = Citizen(saual.dispatcher, bot, session, clock, user_id=1003)
    await elsewhere.send("/subscriptions")
    await elsewhere.press("Регионы")
    await elsewhere.press("Актюбинская")

    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    calls = await staff.send("/announce")
    assert "на казахском" in calls[0].text
    # in a group with privacy mode on, the bot sees only replies: ask for one
    assert calls[0].params["reply_markup"] == {"force_reply": True, "selective": True}
    await staff.send("ЦОН-дар <b>сенбіде</b> жұмыс істейді")
    await staff.send("ЦОНы работают в субботу & воскресенье <b>")
    calls = await staff.send("not a link")
    assert "не веб-адрес" in calls[0].text
    calls = await staff.send("https://gov.kz/news/1")
    assert "Кому отправить" in calls[0].text
    await staff.press("Шымкент")
    calls = await staff.press("Далее")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert "Предпросмотр на казахском:" in texts and "Предпросмотр на русском:" in texts
    assert any("ЦОНы работают в субботу & воскресенье <b>" in t for t in texts)
    assert "город Шымкент" in texts[-1]
    calls = await staff.press("Отправить")
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert "поставлено в очередь, получателей: 2" in edit.text

    [announcement] = await saual.storage.announcements.recent("mvd")
    assert announcement.regions == ("shymkent",)
    before = len(session.calls)
    await deliver(saual, bot).run(until_empty=True)
    sent = {c.params["chat_id"]: c for c in session.calls[before:] if c.method == "sendMessage"}
    assert set(sent) == {1001, 1002}
    assert "сенбіде" in sent[1001].text and "Ішкі істер министрлігі" in sent[1001].text
    assert "<b>" in sent[1002].text and "parse_mode" not in sent[1002].params
    assert "https://gov.kz/news/1" in sent[1002].text

    calls = await staff.send("/status")
    assert f"#{announcement.id}" in calls[0].text and "доставлено 2" in calls[0].text


async def test_a_second_tap_on_send_queues_the_announcement_once(staff, saual, caplog):
    # Telegram delivers both taps; both passed the "preview" state, the second
    # read a cleared draft and queued an empty announcement (a review's find).
    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    await staff.send("/announce")
    await staff.send("/skip")
    await staff.send("ЦОНы работают в субботу")
    await staff.send("/skip")
    await staff.press("Далее")
    button = staff.last_with_buttons()
    await asyncio.gather(staff.press("Отправить", button), staff.press("Отправить", button))
    [announcement] = await saual.storage.announcements.recent("mvd")
    assert announcement.text_ru == "ЦОНы работают в субботу"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    calls = await staff.send("/status")  # in Kazakhstan's time, as staff read it
    kz = dt.datetime.fromtimestamp(announcement.created_at, dt.timezone(dt.timedelta(hours=5)))
    assert f"({kz:%Y-%m-%d %H:%M})" in calls[0].text
    with pytest.raises(ValueError, match="needs a text"):  # whoever calls, never empty
        await saual.announcements.publish("mvd", Draft(" ", ""), source="staff")


async def test_cancel_and_a_text_in_one_language(staff, saual):
    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    await staff.send("/announce")
    await staff.send("/skip")
    calls = await staff.send("/skip")
    assert "хотя бы на одном языке" in calls[0].text
    calls = await staff.send("/cancel")
    assert "отменено" in calls[0].text
    calls = await staff.send("ordinary text")  # no longer composing: not an announcement
    assert await saual.storage.announcements.recent("mvd") == []


async def test_a_blocked_user_gets_nothing_and_a_403_makes_them_inactive(citizen, saual, bot,
                                                                        session):
    await citizen.send("/subscriptions")
    await citizen.press("Ведомства")
    await citizen.press("Министерство внутренних дел")
    await citizen.block()
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="A"), source="staff")
    assert found.recipients == 0
    await citizen.block(False)
    session.blocked.add(citizen.user.id)  # blocked, but Telegram has not told us yet
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="B"), source="staff")
    assert found.recipients == 1
    await deliver(saual, bot).run(until_empty=True)
    status = await saual.announcements.status(found.id)
    assert status.counts == {"queued": 0, "sent": 0, "failed": 0, "blocked": 1}
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="C"), source="staff")
    assert found.recipients == 0


async def test_a_long_announcement_is_split(citizen, saual, bot, session):
    await citizen.send("/subscriptions")
    await citizen.press("Ведомства")
    await citizen.press("Министерство внутренних дел")
    text = "\n\n".join(f"Абзац {i}. " + "слово " * 120 for i in range(20))
    await saual.announcements.publish("mvd", Draft(text_ru=text), source="staff")
    before = len(session.calls)
    await deliver(saual, bot).run(until_empty=True)
    parts = [c for c in session.calls[before:] if c.method == "sendMessage"]
    assert len(parts) >= 3
    assert all(len(p.text) <= 4096 for p in parts)

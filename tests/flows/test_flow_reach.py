"""Reach: deep links (/start <payload>), inline mode (@bot question in any chat)
and community groups (answers on mention or reply, /quiet), through the
production Dispatcher."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from aiogram.types import Chat, Message, MessageEntity
from aiogram.types import User as TelegramUser
from botkit import BOT, Citizen

BOT_URL = f"https://t.me/{BOT['username']}"
ID_CARD_RU, ID_CARD_KK = "Получение удостоверения личности", "Жеке куәлік алу"
COMMUNITY = -2001  # a neighbourhood group: no staff chat
STAFF_CHAT = -100500


def messages(calls, chat: int | None = None):
    return [c for c in calls if c.method == "sendMessage"
            and (chat is None or c.params["chat_id"] == chat)]


def urls(call) -> list[str]:
    return [b["url"] for b in call.buttons if "url" in b]


# -- deep links ----------------------------------------------------------------------


async def test_a_topic_link_opens_its_page_in_the_readers_or_the_links_language(citizen):
    [card] = messages(await citizen.send("/start id-card"))
    assert card.text.startswith(ID_CARD_RU)
    assert "https://egov.kz/cms/ru/services/passport/id_card" in urls(card)
    assert "📚 Меню" in [b["text"] for b in card.buttons]

    [card] = messages(await citizen.send("/start id-card_kk"))  # a poster in Kazakh
    assert card.text.startswith(ID_CARD_KK)
    assert "🔗 Ресми дереккөз" in [b["text"] for b in card.buttons]
    [help_] = messages(await citizen.send("/help"))  # the reader's own language is kept
    assert help_.text.startswith("Как пользоваться Saual")


async def test_service_links_open_the_same_as_their_commands(citizen):
    for payload, command in (("stations", "/stations"), ("ask", "/ask"), ("help", "/help")):
        linked = [c.text for c in messages(await citizen.send(f"/start {payload}"))]
        await citizen.send("/cancel")
        direct = [c.text for c in messages(await citizen.send(command))]
        await citizen.send("/cancel")
        assert linked == direct and linked, payload


async def test_an_agency_link_offers_to_follow_its_news(citizen, saual):
    [offer] = messages(await citizen.send("/start sub-mvd"))
    assert "Подписаться на новости этого ведомства?" in offer.text
    calls = await citizen.press("✅ Подписаться")
    assert "mvd" in (await saual.subscriptions.following(citizen.user.id)).agencies
    assert any(c.params.get("text") == "Вы подписались." for c in calls)
    [again] = messages(await citizen.send("/start sub-mvd"))
    assert "Вы уже подписаны на новости этого ведомства." in again.text
    assert (await saual.subscriptions.following(citizen.user.id)).agencies == ("mvd",)


@pytest.mark.parametrize("payload", [
    "no-such-topic", "sub-nobody", "stations_kk", "ID-CARD", "id-card_en", "x" * 64,
    "<script>", "../../etc/passwd", "sub-mvd_kk",
])
async def test_a_forged_or_stale_link_gets_the_ordinary_start(citizen, saual, payload):
    [greeting] = messages(await citizen.send(f"/start {payload}"))
    assert "Здравствуйте!" in greeting.text and "Сәлеметсіз бе!" in greeting.text
    assert (await saual.subscriptions.following(citizen.user.id)).empty


async def test_a_link_ends_what_the_user_was_doing(citizen):
    await citizen.send("/stations")  # the bot waits for an address...
    await citizen.send("/start id-card")  # ...then a poster's link is opened
    [card] = messages(await citizen.send("прописка онлайн"))  # a question again, no address
    assert card.text.startswith("Регистрация по месту жительства")


async def test_a_link_in_a_group_is_the_groups_start(saual, bot, session, clock):
    member = Citizen(saual.dispatcher, bot, session, clock, user_id=31, group=COMMUNITY)
    [hint] = messages(await member.send("/start id-card"))
    assert hint.text.startswith("Спросите меня о госуслугах, упомянув меня")


# -- inline mode ---------------------------------------------------------------------


def answered(calls):
    [call] = [c for c in calls if c.method == "answerInlineQuery"]
    return call.params


@pytest.mark.parametrize(("query", "title", "payload", "label"), [
    ("как получить удостоверение личности", ID_CARD_RU, "id-card_ru", "📄 Полный текст в боте"),
    ("жеке куәлікті қалай алуға болады", ID_CARD_KK, "id-card_kk", "📄 Толық мәтін ботта"),
    ("propiska onlain", "Регистрация по месту жительства", "residence-registration_ru",
     "📄 Полный текст в боте"),
])
async def test_inline_queries_offer_pages_in_the_questions_language(
        saual, citizen, query, title, payload, label):
    params = answered(await citizen.inline(query))
    first = params["results"][0]
    assert first["type"] == "article" and first["title"] == title
    content = first["input_message_content"]
    assert content["message_text"].startswith(title)
    trust = "Мемлекеттік орган әлі тексерген жоқ." if payload.endswith("_kk") \
        else "Ещё не проверено ведомством."
    assert content["message_text"].endswith("\n\n" + trust)  # the verification line
    buttons = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0] == {"text": label, "url": f"{BOT_URL}?start={payload}"}
    assert buttons[1]["url"].startswith("https://egov.kz/")
    assert all("callback_data" not in b for b in buttons)  # a message in another chat
    assert params["is_personal"] is False and len({r["id"] for r in params["results"]}) == \
        len(params["results"])
    # Typed a fragment at a time: nothing logged, nobody recorded.
    assert await saual.storage.questions.recent() == []
    assert await saual.storage.users.get(citizen.user.id) is None


@pytest.mark.parametrize(("query", "start"), [
    ("рецепт плова с бараниной", "help"), ("ab", "help"), ("", "help"), ("привет", "help"),
])
async def test_inline_offers_nothing_for_what_no_page_answers(citizen, query, start):
    params = answered(await citizen.inline(query))
    assert params["results"] == []
    assert params["button"]["start_parameter"] == start


async def test_the_inline_flood_limit_answers_empty_and_spares_the_private_chat(
        saual, citizen, session):
    citizen.step = 0.1
    answers = [answered(await citizen.inline(f"удостоверение личности {i}")) for i in range(10)]
    limit = saual.settings.flood_limit
    assert all(a["results"] for a in answers[:limit])
    for over in answers[limit:]:
        assert over["results"] == [] and over["cache_time"] == 0 and over["is_personal"]
    assert messages(await citizen.send("/help"))  # messages have a limit of their own


# -- community groups ----------------------------------------------------------------


@pytest.fixture
def member(saual, bot, session, clock) -> Citizen:
    return Citizen(saual.dispatcher, bot, session, clock, user_id=41, group=COMMUNITY,
                   admin=False)


@pytest.fixture
def admin(saual, bot, session, clock) -> Citizen:
    return Citizen(saual.dispatcher, bot, session, clock, user_id=42, group=COMMUNITY)


async def test_a_mention_gets_a_short_answer_with_the_page_in_the_bot(member, saual):
    calls = await member.mention("как получить удостоверение личности? мой номер +7 701 123 45 67")
    [reply] = messages(calls, COMMUNITY)
    assert reply.text.startswith(ID_CARD_RU) and "§" not in reply.text  # no section: short
    assert reply.params["reply_parameters"]["message_id"] > 0
    assert urls(reply) == [f"{BOT_URL}?start=id-card_ru",
                           "https://egov.kz/cms/ru/services/passport/id_card"]
    [row] = await saual.storage.questions.recent()
    assert "123 45 67" not in row.text and row.topic_id == "id-card"
    assert row.chat_type == "group"  # the gap report can tell it from the bot's own chat

    [reply_kk] = messages(await member.mention("жеке куәлікті қалай алуға болады"), COMMUNITY)
    assert reply_kk.text.startswith(ID_CARD_KK)  # the question's language
    assert urls(reply_kk)[0] == f"{BOT_URL}?start=id-card_kk"


async def test_group_messages_not_for_the_bot_are_ignored_and_not_kept(member, saual):
    assert await member.send("как получить удостоверение личности") == []
    assert await member.mention("как получить удостоверение личности",
                                username="other_bot") == []
    assert await saual.storage.questions.recent() == []
    assert await saual.storage.users.get(member.user.id) is None


async def test_a_reply_to_the_bots_answer_is_a_question_and_a_reply_to_others_is_not(
        member, admin, session):
    await member.mention("как получить удостоверение личности")
    answer = member.last_with_buttons()
    [reply] = messages(await member.reply("а прописка онлайн?", answer), COMMUNITY)
    assert reply.text.startswith("Регистрация по месту жительства")
    [done] = messages(await admin.send("/quiet off"), COMMUNITY)  # no buttons: not an answer
    message = session.messages[max(session.messages)]
    assert message["text"] == done.text
    assert await member.reply("как получить удостоверение личности", message) == []


async def test_a_bare_mention_in_reply_to_a_neighbours_question_answers_it(
        member, saual, bot, session, clock):
    neighbour = Citizen(saual.dispatcher, bot, session, clock, user_id=43, group=COMMUNITY,
                        admin=False)
    assert await neighbour.send("прописка онлайн") == []  # not for the bot
    question = Message(message_id=5, date=0, chat=Chat(id=COMMUNITY, type="supergroup"),
                       from_user=neighbour.user, text="прописка онлайн")
    name = f"@{BOT['username']}"
    calls = await member._feed(message=member._message(
        text=name, reply_to_message=question,
        entities=[MessageEntity(type="mention", offset=0, length=len(name))]))
    [reply] = messages(calls, COMMUNITY)
    assert reply.text.startswith("Регистрация по месту жительства")
    # "@bot" in reply to one of the bot's own messages does not ask the bot its own words
    own = Message(message_id=6, date=0, chat=Chat(id=COMMUNITY, type="supergroup"),
                  from_user=TelegramUser(**BOT), text="Я снова буду отвечать здесь")
    calls = await member._feed(message=member._message(
        text=name, reply_to_message=own,
        entities=[MessageEntity(type="mention", offset=0, length=len(name))]))
    [hint] = messages(calls, COMMUNITY)
    assert hint.text.startswith("Спросите меня о госуслугах, упомянув меня")


async def test_an_empty_mention_or_small_talk_gets_how_to_ask(member):
    for text in ("", "привет!"):
        [hint] = messages(await member.mention(text), COMMUNITY)
        assert hint.text.startswith("Спросите меня о госуслугах, упомянув меня: "
                                    f"«@{BOT['username']} как получить")


async def test_out_of_scope_in_a_group(member):
    [reply] = messages(await member.mention("рецепт плова с бараниной"), COMMUNITY)
    assert reply.text.startswith("На этот вопрос у меня нет ответа.")
    assert urls(reply) == [f"{BOT_URL}?start=help"]


async def test_quiet_mutes_the_bot_for_everything_until_quiet_off(member, admin, saual):
    [refused] = messages(await member.send("/quiet"), COMMUNITY)
    assert "только администратор этой группы" in refused.text
    assert not await saual.groups.quiet(COMMUNITY)

    [said] = messages(await admin.send("/quiet"), COMMUNITY)
    assert said.text.startswith("Я не буду отвечать в этой группе.")
    assert await member.mention("как получить удостоверение личности") == []
    assert await member.send("/help") == []
    assert await member.send("/menu") == []
    assert await member.send("/quiet off") != []  # refused, but heard: it undoes the mute

    [said] = messages(await admin.send("/quiet off"), COMMUNITY)
    assert said.text.startswith("Я снова буду отвечать здесь")
    assert messages(await member.mention("как получить удостоверение личности"), COMMUNITY)


async def test_an_anonymous_administrator_can_say_quiet(saual, bot, session, clock, citizen):
    group = Chat(id=COMMUNITY, type="supergroup", title="Аула")
    anonymous = TelegramUser(id=1087968824, is_bot=True, first_name="Group",
                             username="GroupAnonymousBot")
    message = Message(message_id=1, date=0, chat=group, from_user=anonymous, sender_chat=group,
                      text="/quiet", entities=[MessageEntity(type="bot_command", offset=0,
                                                             length=6)])
    calls = await citizen._feed(message=message)
    assert messages(calls, COMMUNITY)[0].text.startswith("Я не буду отвечать")
    assert await saual.groups.quiet(COMMUNITY)


async def test_quiet_is_for_groups_and_not_for_staff_chats(saual, citizen, bot, session, clock):
    [said] = messages(await citizen.send("/quiet"))
    assert said.text.startswith("Команда /quiet работает только в группах")
    staff = Citizen(saual.dispatcher, bot, session, clock, user_id=900, group=STAFF_CHAT)
    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    [said] = messages(await staff.send("/quiet"), STAFF_CHAT)
    assert said.text.startswith("Это чат сотрудников ведомства")
    assert not await saual.groups.quiet(STAFF_CHAT)
    outsider = Citizen(saual.dispatcher, bot, session, clock, user_id=55, group=STAFF_CHAT,
                       admin=False)
    assert await outsider.mention("как получить удостоверение личности") == []


async def test_a_flood_of_mentions_is_cut_without_a_word_to_the_group(member, saual):
    member.step = 0.1
    replies = [messages(await member.mention(f"удостоверение личности {i}"), COMMUNITY)
               for i in range(saual.settings.flood_limit + 2)]
    assert all(replies[:saual.settings.flood_limit])
    assert replies[saual.settings.flood_limit:] == [[], []]


async def test_with_the_database_down_a_group_keeps_quiet_and_inline_still_answers(
        saual, member, citizen, monkeypatch, caplog):
    """Whether a group said /quiet cannot be read: the bot stays silent there (a
    muted group must not hear from it) and says why in the log; inline mode
    reads no database at all and answers as ever."""

    async def down(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT quiet_groups", {},
                                      sqlite3.OperationalError("unable to open database"))

    monkeypatch.setattr(saual.storage.groups, "quiet", down)
    monkeypatch.setattr(saual.storage.users, "get", down)
    with caplog.at_level("WARNING"):
        assert await member.mention("как получить удостоверение личности") == []
    assert f"group {COMMUNITY}: database unavailable (OperationalError); keeping quiet" \
        in caplog.text
    params = answered(await citizen.inline("как получить удостоверение личности"))
    assert params["results"][0]["title"] == ID_CARD_RU

"""Property: whatever a group member writes around a mention of the bot, and
whatever anyone types as an inline query (markup, control characters, emoji
that shift Telegram's UTF-16 offsets, forged mentions of other bots, personal
data), through the production Dispatcher: no handler fails, the question put
to the bot is the text less the bot's own mention, nothing unmasked reaches
the question log, and inline results stay within what Telegram accepts."""

from __future__ import annotations

import itertools
import logging

from aiogram.types import MessageEntity
from botkit import BOT, Citizen
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.handlers.groups import question_in
from bot.services.observe import AnswerOutcome

PIECES = ["@saual_test_bot", "@SAUAL_TEST_BOT", "@other_bot", "/quiet", "/help@other_bot",
          "<b>", "</a>", "*_`", "\n", "\r\n", "\u2028", "\x00", "\x1b", "\u200f", "🙂", "👨‍👩‍👧",
          "𝕏", " ", "паспорт", "жеке куәлік", "propiska onlain", "900101300123",
          "+7 701 123 45 67", "4400 4301 2345 6789", "a@b.kz"]
TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=10), max_size=20).map("".join)
users = itertools.count(9000)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@settings(max_examples=40)
@given(before=TEXT, after=TEXT)
async def test_a_mention_anywhere_asks_the_rest_and_nothing_unmasked_is_kept(
        saual, bot, session, clock, caplog, before, after):
    caplog.clear()
    caplog.set_level(logging.ERROR)
    member = Citizen(saual.dispatcher, bot, session, clock, user_id=next(users), group=-3001,
                     admin=False, step=0.0)
    clock.now += 60  # a new minute: the flood limit is not what is tested
    name = "@" + BOT["username"]
    text = f"{before} {name} {after}"
    message = member._message(text=text, entities=[MessageEntity(
        type="mention", offset=utf16(before) + 1, length=len(name))])
    asked = await question_in(message, bot)
    # exactly the bot's marked mention is cut, whatever else the text holds
    expected = None if text.startswith("/") else " ".join(f"{before} {after}".split())
    assert asked == expected
    await member._feed(message=message)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    for row in await saual.storage.questions.recent():
        for secret in ("900101300123", "701 123 45 67", "4400 4301 2345 6789", "a@b.kz"):
            assert secret not in row.text
        # what the asker got is logged with the question, and agrees with it
        assert row.outcome in {o.value for o in AnswerOutcome}
        assert row.confident == (row.outcome == AnswerOutcome.ANSWERED)
        assert row.chat_type == "group"


@settings(max_examples=40)
@given(query=TEXT.map(lambda t: t[:256]))  # Telegram sends at most 256 characters
async def test_any_inline_query_is_answered_within_telegrams_limits(
        saual, bot, session, clock, caplog, query):
    caplog.clear()
    caplog.set_level(logging.ERROR)
    clock.now += 60
    user = Citizen(saual.dispatcher, bot, session, clock, user_id=next(users))
    calls = await user.inline(query)
    [answer] = [c for c in calls if c.method == "answerInlineQuery"]
    results = answer.params["results"]
    assert len(results) <= 3 and len({r["id"] for r in results}) == len(results)
    for r in results:
        assert len(r["id"].encode()) <= 64
        assert len(r["input_message_content"]["message_text"]) <= 4096
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert await saual.storage.questions.recent() == []

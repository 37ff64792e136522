"""`saual chat`: talk to the bot in a terminal, no Telegram needed.

The terminal plays Telegram: what the user types becomes an `Update` fed to
the same Dispatcher and handlers that serve Telegram; what the bot sends
goes to :class:`ConsoleSession`, a Bot API session that prints messages and
answers like the Bot API would. Inline buttons are printed as numbered
choices; typing a number presses one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import AsyncGenerator, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    Response,
    SendMessage,
    SendVenue,
    TelegramMethod,
)
from aiogram.types import CallbackQuery, Chat, Location, Message, MessageEntity, Update, User

from .app import Saual
from .clock import SYSTEM, Clock
from .config import Settings

CHAT_ID = 1  # the terminal user's id, as Telegram would give one
TOKEN = "42:terminal-chat"  # a well-formed token; nothing is sent anywhere
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Saual", "username": "saual_bot"}
HELLO = ("Saual — терминалдағы чат / чат в терминале. Сұрақ, команда (/menu, /help) немесе "
         "батырманың нөмірін жазыңыз / пишите вопрос, команду или номер кнопки; "
         "📍 43.65 51.16 — геолокация; Ctrl+D — шығу / выход.")
# A location typed in the terminal: "📍 43.65 51.16", "geo 43.65, 51.16".
LOCATION = re.compile(r"(?:📍|geo:?|location:?)\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*"
                      r"(-?\d{1,3}(?:\.\d+)?)", re.IGNORECASE)


class ConsoleSession(BaseSession):
    """A Bot API that lives in the terminal.

    Keeps the messages it "sent" (the buttons under them are pressed by
    number) and returns what the Bot API would: the Message for
    sendMessage and editMessageText, True for the rest.
    """

    def __init__(self, out: Callable[[str], None], clock: Clock = SYSTEM):
        super().__init__()
        self.out = out
        self.clock = clock
        self.messages: dict[int, dict[str, Any]] = {}
        self.choices: list[tuple[int, str]] = []  # (message id, callback data)
        self._ids = itertools.count(1)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any],
                           timeout: int | None = None) -> Any:
        params = self._params(bot, method)
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage):
            message_id = next(self._ids)
            result = self.messages[message_id] = {
                "message_id": message_id, "date": int(self.clock.time()), "from": BOT_USER,
                "chat": {"id": params["chat_id"], "type": "private"},
                "text": params["text"], "entities": params.get("entities") or [],
            }
            markup = params.get("reply_markup") or {}
            if "inline_keyboard" in markup:  # Telegram returns only inline keyboards
                result["reply_markup"] = markup
            self._print(result, keyboard=markup.get("keyboard"))
        elif isinstance(method, SendVenue):
            message_id = next(self._ids)
            venue = {"location": {"latitude": params["latitude"],
                                  "longitude": params["longitude"]},
                     "title": params["title"], "address": params["address"]}
            result = self.messages[message_id] = {
                "message_id": message_id, "date": int(self.clock.time()), "from": BOT_USER,
                "chat": {"id": params["chat_id"], "type": "private"},
                "venue": venue, "location": venue["location"],
            }
            self.out(f"📍 {params['title']} — {params['address']} "
                     f"({params['latitude']:.5f}, {params['longitude']:.5f})")
        elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
            stored = self.messages.get(params.get("message_id", -1))
            if stored is None:
                raise TelegramBadRequest(method, "Bad Request: message to edit not found")
            if isinstance(method, EditMessageText):
                stored.update(text=params["text"], entities=params.get("entities") or [])
            stored["reply_markup"] = params.get("reply_markup")
            stored["edit_date"] = int(self.clock.time())
            self._print(stored, edited=True)
            result = stored
        elif isinstance(method, AnswerCallbackQuery) and params.get("text"):
            self.out(f"  ⓘ {params['text']}")
        response = Response[method.__returning__].model_validate(  # type: ignore[name-defined]
            {"ok": True, "result": result}, context={"bot": bot})
        return response.result

    def _params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        files: dict[str, Any] = {}
        out = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                out[key] = prepared
        return out

    def _print(self, message: dict[str, Any], edited: bool = False,
               keyboard: list[list[dict[str, Any]]] | None = None) -> None:
        self.out("")
        self.out(("✎ " if edited else "") + message["text"])
        keys = [b["text"] for row in keyboard or [] for b in row]
        if keys:  # a reply keyboard: typing a label is pressing it (📍 lat lon for a location)
            self.out("  ⌨ " + " | ".join(keys))
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        if not rows:
            return
        self.choices = []
        for row in rows:
            for button in row:
                if button.get("url"):
                    self.out(f"  {button['text']}: {button['url']}")
                elif button.get("callback_data"):
                    self.choices.append((message["message_id"], button["callback_data"]))
                    self.out(f"  [{len(self.choices)}] {button['text']}")

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the terminal chat has no files")
        yield b""  # pragma: no cover

    async def close(self) -> None:
        pass


class Conversation:
    """Turns typed lines into updates for the Dispatcher."""

    def __init__(self, app: Saual, session: ConsoleSession, language_code: str = "ru"):
        self.app = app
        self.session = session
        self.bot = app.bot(session=session, token=TOKEN)
        self.user = User(id=CHAT_ID, is_bot=False, first_name="Terminal",
                         language_code=language_code)
        self._updates = itertools.count(1)
        self._messages = itertools.count(1_000_000)

    def _date(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.app.clock.time(), dt.UTC)

    async def say(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        where = LOCATION.fullmatch(line)
        if where:
            update = Update(update_id=next(self._updates), message=Message(
                message_id=next(self._messages), date=self._date(),
                chat=Chat(id=CHAT_ID, type="private"), from_user=self.user,
                location=Location(latitude=float(where.group(1)),
                                  longitude=float(where.group(2)))))
        elif line.isdigit() and 1 <= int(line) <= len(self.session.choices):
            message_id, data = self.session.choices[int(line) - 1]
            update = Update(update_id=next(self._updates), callback_query=CallbackQuery(
                id=str(next(self._messages)), from_user=self.user, chat_instance="terminal",
                message=Message.model_validate(self.session.messages[message_id]), data=data))
        else:
            entities = None
            if line.startswith("/"):
                length = len(line.split()[0])
                entities = [MessageEntity(type="bot_command", offset=0, length=length)]
            update = Update(update_id=next(self._updates), message=Message(
                message_id=next(self._messages), date=self._date(),
                chat=Chat(id=CHAT_ID, type="private"), from_user=self.user, text=line,
                entities=entities))
        await self.app.dispatcher.feed_update(self.bot, update)


async def run_chat(settings: Settings, read: Callable[[], str], out: Callable[[str], None],
                   *, app: Saual | None = None) -> None:
    """Read lines with `read` until EOF, print the bot's replies with `out`.

    `read` blocks (it is `input`): the bot has nothing else to do meanwhile,
    and a blocking read keeps Ctrl+C and Ctrl+D behaving as in any prompt.
    """
    own = app is None
    if app is None:
        # One person at a keyboard (or a script piping lines in) is not a flood.
        settings = settings.model_copy(update={"flood_limit": 1_000_000})
        app = await Saual.create(settings)
    session = ConsoleSession(out, app.clock)
    chat = Conversation(app, session)
    dp = app.dispatcher
    await dp.emit_startup(bot=chat.bot, **dp.workflow_data)
    try:
        out(HELLO)
        await chat.say("/start")
        while True:
            try:
                line = read()
            except (EOFError, KeyboardInterrupt):
                out("")
                break
            await chat.say(line)
    finally:
        await dp.emit_shutdown(bot=chat.bot, **dp.workflow_data)
        await chat.bot.session.close()
        if own:
            await app.close()

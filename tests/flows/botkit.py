"""A recording Bot API session and a driver that plays a Telegram user.

`RecordingSession` records every Bot API call and answers like Telegram
would: the sent or edited Message, True for the rest, and Telegram's errors
for what Telegram refuses (texts over 4096 characters, markup that does not
parse, callback data over 64 bytes, an edit that changes nothing).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import Response, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    InlineQuery,
    Location,
    Message,
    MessageEntity,
    Sticker,
    Update,
    User,
)
from aiogram.utils.formatting import sizeof

from bot.clock import Clock

BOT = {"id": 123, "is_bot": True, "first_name": "Saual", "username": "saual_test_bot"}
TOKEN = "123:TEST-token"
ADMIN_RIGHTS = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                "can_delete_messages": True, "can_manage_video_chats": True,
                "can_restrict_members": True, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
                "can_send_welcome_messages": False}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
             "a", "tg-emoji", "code", "pre", "blockquote"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class _StrictHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unexpected end tag \"{tag}\""


def _check_html(text: str) -> None:
    parser = _StrictHTML()
    parser.feed(text)
    parser.close()
    if parser.error or parser.stack:
        raise ValueError(parser.error or "unclosed tags")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()  # chats whose user blocked the bot, or groups
        # that removed it: Telegram answers 403 to every message sent or edited there
        self.admins: dict[int, set[int]] = {}  # group chat id -> its administrators' ids
        self._ids = itertools.count(1)

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def make_request(self, bot: Bot, method: TelegramMethod[Any],
                           timeout: int | None = None) -> Any:
        files: dict[str, Any] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        name = method.__api_method__
        self.calls.append(Call(name, params))
        result = self._answer(method, name, params)
        return Response[method.__returning__].model_validate(  # type: ignore[name-defined]
            {"ok": True, "result": result}, context={"bot": bot}).result

    def _forbid(self, method: TelegramMethod[Any], chat_id: Any) -> None:
        if chat_id in self.blocked:
            raise TelegramForbiddenError(method=method, message=(
                "Forbidden: bot was blocked by the user" if chat_id > 0 else
                "Forbidden: bot was kicked from the supergroup chat"))

    def _refuse(self, method: TelegramMethod[Any], message: str) -> None:
        raise TelegramBadRequest(method=method, message=f"Bad Request: {message}")

    def _check_message(self, method: TelegramMethod[Any], params: dict[str, Any]) -> None:
        text = params.get("text", "")
        if not text.strip():
            self._refuse(method, "message text is empty")
        if sizeof(text) > 4096:
            self._refuse(method, "message is too long")
        if params.get("parse_mode") == "HTML":
            try:
                _check_html(text)
            except ValueError as exc:
                self._refuse(method, f"can't parse entities: {exc}")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    self._refuse(method, "BUTTON_DATA_INVALID")

    def _answer(self, method: TelegramMethod[Any], name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT
        if name == "getChatAdministrators":
            self._forbid(method, params["chat_id"])
            return [{"status": "creator" if i == 0 else "administrator", "user": {
                "id": user_id, "is_bot": False, "first_name": "Admin"},
                **({"is_anonymous": False} if i == 0 else ADMIN_RIGHTS)}
                for i, user_id in enumerate(sorted(self.admins.get(params["chat_id"], ())))]
        if name == "sendMessage":
            self._forbid(method, params["chat_id"])
            self._check_message(method, params)
            message_id = next(self._ids)
            self.messages[message_id] = {
                "message_id": message_id, "date": int(dt.datetime.now(dt.UTC).timestamp()),
                "from": BOT, "chat": {"id": params["chat_id"], "type": "private",
                                      "first_name": "Citizen"},
                "text": params["text"], "entities": params.get("entities") or [],
                # Telegram returns only inline keyboards with the message.
                **({"reply_markup": params["reply_markup"]}
                   if "inline_keyboard" in params.get("reply_markup", {}) else {}),
            }
            return self.messages[message_id]
        if name == "sendVenue":
            for key in ("title", "address"):
                if not str(params.get(key, "")).strip():
                    self._refuse(method, f"venue {key} is empty")
            if not (-90 <= params["latitude"] <= 90 and -180 <= params["longitude"] <= 180):
                self._refuse(method, "wrong venue coordinates")
            message_id = next(self._ids)
            venue = {"location": {"latitude": params["latitude"],
                                  "longitude": params["longitude"]},
                     "title": params["title"], "address": params["address"]}
            self.messages[message_id] = {
                "message_id": message_id, "date": int(dt.datetime.now(dt.UTC).timestamp()),
                "from": BOT, "chat": {"id": params["chat_id"], "type": "private",
                                      "first_name": "Citizen"},
                "venue": venue, "location": venue["location"],
            }
            return self.messages[message_id]
        if name in ("editMessageText", "editMessageReplyMarkup"):
            self._forbid(method, params.get("chat_id"))
            stored = self.messages.get(params.get("message_id"))
            if stored is None:
                self._refuse(method, "message to edit not found")
            new = dict(stored)
            if name == "editMessageText":
                self._check_message(method, params)
                new.update(text=params["text"], entities=params.get("entities") or [])
            new.pop("reply_markup", None)
            if "reply_markup" in params:
                new["reply_markup"] = params["reply_markup"]
            if (new.get("text"), new.get("entities"), new.get("reply_markup")) == (
                    stored.get("text"), stored.get("entities"), stored.get("reply_markup")):
                self._refuse(method, "message is not modified: specified new message content "
                                     "and reply markup are exactly the same")
            new["edit_date"] = int(dt.datetime.now(dt.UTC).timestamp())
            self.messages[stored["message_id"]] = new
            return new
        if name == "copyMessage":
            self._forbid(method, params["chat_id"])
            return {"message_id": next(self._ids)}
        if name in ("answerCallbackQuery", "sendChatAction", "setMyCommands", "deleteWebhook",
                    "setWebhook", "deleteMessage", "answerInlineQuery"):
            return True
        raise AssertionError(f"the bot called {name}, which this fake does not know")

    async def stream_content(self, *args: Any, **kwargs: Any):  # pragma: no cover
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        pass


# Monday 23 November 2026, 09:00 UTC: the day the flow tests live on, whatever
# the machine's date (a working morning, so due dates are easy to reason about).
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp()


class FakeClock(Clock):
    """A `bot.clock.Clock` that moves only when a test moves it: `now` is the
    unix time both its wall time and its interval timer read."""

    def __init__(self, now: float = MONDAY) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def __call__(self) -> float:
        return self.now


class Citizen:
    """One Telegram user in a private chat with the bot, driven through the Dispatcher."""

    _update_ids = itertools.count(1)
    _message_ids = itertools.count(10_000)

    def __init__(self, dp: Dispatcher, bot: Bot, session: RecordingSession, clock: FakeClock,
                 user_id: int = 777, language_code: str | None = "ru", step: float = 2.0,
                 group: int | None = None, admin: bool = True):
        self.dp, self.bot, self.session, self.clock = dp, bot, session, clock
        self.user = User(id=user_id, is_bot=False, first_name="Citizen",
                         language_code=language_code)
        self.step = step  # seconds that pass between the user's actions
        self.group = group  # a group chat's id: the user writes there instead
        if group is not None and admin:  # an administrator of that group, unless told not
            session.admins.setdefault(group, set()).add(user_id)

    def _chat(self) -> Chat:
        if self.group is not None:
            return Chat(id=self.group, type="supergroup", title="Staff")
        return Chat(id=self.user.id, type="private", first_name="Citizen")

    async def _feed(self, **event: Any) -> list[Call]:
        self.clock.now += self.step
        before = len(self.session.calls)
        await self.dp.feed_update(self.bot, Update(update_id=next(self._update_ids), **event))
        return self.session.calls[before:]

    def _message(self, **content: Any) -> Message:
        return Message(message_id=next(self._message_ids),
                       date=dt.datetime.fromtimestamp(self.clock.now, dt.UTC),
                       chat=self._chat(), from_user=self.user, **content)

    async def send(self, text: str) -> list[Call]:
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        return await self._feed(message=self._message(text=text, entities=entities))

    async def mention(self, text: str, username: str = BOT["username"]) -> list[Call]:
        """In a group: "@bot text", the mention marked as Telegram marks it."""
        name = f"@{username}"
        return await self._feed(message=self._message(
            text=f"{name} {text}", entities=[MessageEntity(type="mention", offset=0,
                                                           length=len(name))]))

    async def inline(self, query: str) -> list[Call]:
        """Type "@bot query" in any chat: an inline query."""
        return await self._feed(inline_query=InlineQuery(
            id=str(next(self._message_ids)), from_user=self.user, query=query, offset="",
            chat_type="sender"))

    async def reply(self, text: str, message: dict[str, Any], **content: Any) -> list[Call]:
        """Reply to one of the bot's messages (as staff answer a question); with
        `content` (document=..., caption=...) instead of text when given."""
        original = Message.model_validate({**message,
                                           "chat": self._chat().model_dump(exclude_none=True)})
        body = content or {"text": text}
        return await self._feed(message=self._message(reply_to_message=original, **body))

    async def send_location(self, latitude: float, longitude: float) -> list[Call]:
        """Share a location, as the 📍 button of a reply keyboard does."""
        return await self._feed(message=self._message(
            location=Location(latitude=latitude, longitude=longitude)))

    async def send_sticker(self) -> list[Call]:
        sticker = Sticker(file_id="CAAC", file_unique_id="u1", type="regular", width=512,
                          height=512, is_animated=False, is_video=False)
        return await self._feed(message=self._message(sticker=sticker))

    def last_with_buttons(self) -> dict[str, Any]:
        chat_id = self._chat().id
        for message in sorted(self.session.messages.values(), key=lambda m: -m["message_id"]):
            if message["chat"]["id"] == chat_id and \
                    message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons")

    def buttons(self, message: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        message = message or self.last_with_buttons()
        markup = message.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    async def press(self, label: str, message: dict[str, Any] | None = None) -> list[Call]:
        """Press the button whose text contains `label` under `message` (default: the
        newest message with buttons)."""
        message = message or self.last_with_buttons()
        for button in self.buttons(message):
            if label in button["text"] and "callback_data" in button:
                return await self.press_data(button["callback_data"], message)
        raise AssertionError(f"no button {label!r} in {[b['text'] for b in self.buttons(message)]}")

    async def press_data(self, data: str, message: dict[str, Any]) -> list[Call]:
        message = {**message, "chat": self._chat().model_dump(exclude_none=True)}
        query = CallbackQuery(id=str(next(self._message_ids)), from_user=self.user,
                              chat_instance="ci-777", data=data,
                              message=Message.model_validate(message))
        return await self._feed(callback_query=query)

    async def block(self, blocked: bool = True) -> list[Call]:
        old = ChatMemberMember(user=User(**BOT))
        new = ChatMemberBanned(user=User(**BOT), until_date=0)
        if not blocked:
            old, new = new, old
        return await self._feed(my_chat_member=ChatMemberUpdated(
            chat=self._chat(), from_user=self.user,
            date=dt.datetime.fromtimestamp(self.clock.now, dt.UTC), old_chat_member=old,
            new_chat_member=new))

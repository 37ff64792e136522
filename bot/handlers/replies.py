"""Sending and editing: split long texts, edit in place when possible."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.formatting import Text

from .cards import LIMIT, pack

logger = logging.getLogger(__name__)


async def send(
    bot: Bot,
    chat_id: int,
    content: Text | list[Text],
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
    | None = None,
) -> Message:
    """Send `content` in as many messages as it needs; buttons go on the last."""
    blocks = content if isinstance(content, list) else [content]
    messages = pack(blocks, LIMIT)
    sent: Message | None = None
    for i, part in enumerate(messages):
        last = i == len(messages) - 1
        sent = await bot.send_message(chat_id=chat_id, **part.as_kwargs(),
                                      reply_markup=markup if last else None)
    assert sent is not None
    return sent


async def show(
    bot: Bot,
    callback: CallbackQuery,
    content: Text,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the callback's message with `content` (the menu's way of moving).

    A message that can no longer be edited (too old, or not accessible) gets
    a new message instead; an edit to identical content is not an error.
    """
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(**content.as_kwargs(), reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return
            logger.info("cannot edit message %d (%s); sending a new one",
                        message.message_id, exc.message)
    await send(bot, callback.from_user.id, content, markup)


async def present(
    bot: Bot,
    callback: CallbackQuery,
    content: Text,
    markup: InlineKeyboardMarkup | None,
    *,
    new: bool,
) -> None:
    """A button's answer: a new message when `new`, else the pressed message edited."""
    if new:
        await send(bot, callback.from_user.id, content, markup)
    else:
        await show(bot, callback, content, markup)

"""Sending and editing: split long texts, edit in place when possible."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
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


# Where the prompts' message ids are kept in the conversation's state data.
PROMPT = "prompts"
PROMPTS = 10  # the newest this many


async def ask_for(bot: Bot, chat_id: int, content: Text, state: FSMContext) -> Message:
    """Send a prompt the answer to which comes as a reply (ForceReply), and
    remember it: :class:`PromptAnswer` then tells its answer from other messages."""
    sent = await send(bot, chat_id, content, ForceReply(selective=True))
    # The conversation's prompts so far (a reply to an earlier one of the same
    # flow, say the announcement's first, still answers it).
    earlier = (await state.get_data()).get(PROMPT)
    earlier = earlier if isinstance(earlier, list) else []
    await state.update_data({PROMPT: [*earlier[-(PROMPTS - 1):], sent.message_id]})
    return sent


class PromptAnswer(Filter):
    """Whether a message is the answer to the prompt its sender's state waits
    on (:func:`ask_for`): a reply to that prompt, or a message that replies to
    nothing. In a staff chat a reply to anything else (a citizen's question
    card, a publication request) and a command (but `commands`, such as
    /skip) go to their own handlers while the prompt waits; before, a staff
    member's answer to a citizen became an announcement, a rejection reason
    or a page correction."""

    def __init__(self, *commands: str):
        self.commands = commands

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        text = message.text or ""
        if text.startswith("/"):
            return text.split(maxsplit=1)[0].split("@")[0] in self.commands
        reply = message.reply_to_message
        if reply is None:
            return True
        prompts = (await state.get_data()).get(PROMPT)
        return isinstance(prompts, list) and reply.message_id in prompts

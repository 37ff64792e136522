"""Stickers, photos, voice and anything else that is not text: a polite hint."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from .replies import send


async def not_text(message: Message, bot: Bot) -> None:
    await send(bot, message.chat.id,
               Text(_("I understand only text. Please write your question in words.")))


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(not_text, ~F.text)
    return router

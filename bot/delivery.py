"""The Telegram side of delivery: render an announcement safely (text +
entities, never a parse mode), split it into messages, and map the Bot API's
answers to :class:`bot.services.delivery.Result`. A change notice (source
"change") is written in the recipient's language from the interface
translations, with buttons to open the page and to stop the notices. An error text can carry the
request URL, and with it the bot token: every reason is redacted before it is
cut, stored in ``outbox.error`` or logged."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18n

from embeddings import Lang

from .handlers.cards import LIMIT, change_notice
from .handlers.cards import announcement as card
from .handlers.keyboards import change_notice as notice_buttons
from .services import CHANGE_SOURCE, Announcement, Directory, Result
from .services.delivery import OK, Sent
from .services.masking import redact
from .translations import DOMAIN, LOCALES

logger = logging.getLogger(__name__)

GONE = ("chat not found", "user is deactivated", "bot was kicked", "chat_write_forbidden",
        "peer_id_invalid")


@dataclass(frozen=True)
class Part:
    """A message with buttons (announcements are text alone)."""

    text: Text
    markup: InlineKeyboardMarkup


def render(announcement: Announcement, lang: str, directory: Directory,
           limit: int = LIMIT) -> list[Text]:
    """The announcement as messages: the agency's name, the text in `lang`
    (else the other language), the link; cut at paragraphs when long."""
    name = directory.name(announcement.agency, lang)
    body = (announcement.text_kk if lang == Lang.KK else announcement.text_ru) or \
        announcement.text_ru or announcement.text_kk
    return card(name, body, announcement.url, limit)


def render_change(announcement: Announcement, lang: str, i18n: I18n) -> list[Text | Part]:
    """A change notice in `lang`: the page's title, what changed, its buttons."""
    title = (announcement.text_kk if lang == Lang.KK else announcement.text_ru) or \
        announcement.text_ru or announcement.text_kk
    with i18n.context(), i18n.use_locale(lang if lang in i18n.available_locales else Lang.RU):
        text = change_notice(title, announcement.changes)
        if not announcement.topic_id:
            return [text]
        return [Part(text, notice_buttons(announcement.topic_id))]


class TelegramCourier:
    def __init__(self, bot: Bot, directory: Directory, timeout: float = 10.0,
                 i18n: I18n | None = None):
        self.bot = bot
        self.directory = directory
        self.timeout = timeout
        self.i18n = i18n or I18n(path=LOCALES, default_locale=Lang.RU, domain=DOMAIN)

    def render(self, announcement: Announcement, lang: str) -> list[Text | Part]:
        if announcement.source == CHANGE_SOURCE:
            return render_change(announcement, lang, self.i18n)
        return list(render(announcement, lang, self.directory))

    def _reason(self, text: str) -> str:
        """`text` without the bot's token (or anything shaped like a token), then
        cut: redacting first, so a cut never leaves half a token behind."""
        return redact(text, self.bot.token)[:300]

    async def send(self, chat_id: int, part: Text | Part) -> Result:
        text, markup = (part.text, part.markup) if isinstance(part, Part) else (part, None)
        try:
            await self.bot.send_message(chat_id=chat_id, **text.as_kwargs(), reply_markup=markup,
                                        request_timeout=int(self.timeout))
        except TelegramRetryAfter as exc:
            return Result(Sent.RETRY_AFTER, float(exc.retry_after), "429 Too Many Requests")
        except TelegramForbiddenError as exc:
            return Result(Sent.BLOCKED, reason=self._reason(exc.message))
        except (TelegramBadRequest, TelegramNotFound) as exc:
            if any(g in exc.message.lower() for g in GONE):
                return Result(Sent.BLOCKED, reason=self._reason(exc.message))
            return Result(Sent.PERMANENT, reason=self._reason(exc.message))
        except TelegramNetworkError as exc:
            return Result(Sent.TRANSIENT, reason=self._reason(f"network: {exc.message}"))
        except TelegramAPIError as exc:  # 5xx and anything else Telegram may answer
            return Result(Sent.TRANSIENT, reason=self._reason(exc.message))
        return OK

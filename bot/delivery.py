"""The Telegram side of delivery: render an announcement safely (text +
entities, never a parse mode), split it into messages, and map the Bot API's
answers to :class:`bot.services.delivery.Result`. An error text can carry the
request URL, and with it the bot token: every reason is redacted before it is
cut, stored in ``outbox.error`` or logged."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.utils.formatting import Text

from embeddings import Lang

from .handlers.cards import LIMIT
from .handlers.cards import announcement as card
from .services import Announcement, Directory, Result
from .services.delivery import OK, Sent
from .services.masking import redact

logger = logging.getLogger(__name__)

GONE = ("chat not found", "user is deactivated", "bot was kicked", "chat_write_forbidden",
        "peer_id_invalid")


def render(announcement: Announcement, lang: str, directory: Directory,
           limit: int = LIMIT) -> list[Text]:
    """The announcement as messages: the agency's name, the text in `lang`
    (else the other language), the link; cut at paragraphs when long."""
    name = directory.name(announcement.agency, lang)
    body = (announcement.text_kk if lang == Lang.KK else announcement.text_ru) or \
        announcement.text_ru or announcement.text_kk
    return card(name, body, announcement.url, limit)


class TelegramCourier:
    def __init__(self, bot: Bot, directory: Directory, timeout: float = 10.0):
        self.bot = bot
        self.directory = directory
        self.timeout = timeout

    def render(self, announcement: Announcement, lang: str) -> list[Text]:
        return render(announcement, lang, self.directory)

    def _reason(self, text: str) -> str:
        """`text` without the bot's token (or anything shaped like a token), then
        cut: redacting first, so a cut never leaves half a token behind."""
        return redact(text, self.bot.token)[:300]

    async def send(self, chat_id: int, part: Text) -> Result:
        try:
            await self.bot.send_message(chat_id=chat_id, **part.as_kwargs(),
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

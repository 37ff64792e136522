"""A Bot API error text can carry the request URL and with it the bot token: the
courier's reason, stored in outbox.error and logged, carries none."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramServerError
from botkit import TOKEN
from dbkit import outbox_rows

from bot.delivery import TelegramCourier
from bot.services import Delivery, DeliveryConfig, Draft

FAST = DeliveryConfig(rate=200, chat_interval=0.01, idle=0.01, flush=0.01, backoff=0.01,
                      max_attempts=2)
OTHER = "7654321098:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_-x"  # a token shaped like Telegram's
HALVES = (TOKEN.split(":")[1], OTHER.split(":")[1])


def leaked(text: str) -> list[str]:
    """Pieces of 6 characters of a token's secret half found in `text`."""
    return [h[i:i + 6] for h in HALVES for i in range(len(h) - 5) if h[i:i + 6] in text]


def url(token: str) -> str:
    return f"https://api.telegram.org/bot{token}/sendMessage"


@pytest.mark.parametrize(("error", "status"), [
    (lambda m: TelegramNetworkError(m, f"ClientResponseError: 502, url='{url(TOKEN)}'"),
     "failed"),
    # the token straddles the 300 characters kept: a cut before redacting left half of it
    (lambda m: TelegramBadRequest(m, f"Bad Request: {'x' * 250} {url(TOKEN)}"), "failed"),
    (lambda m: TelegramServerError(m, f"Bad Gateway at {url(OTHER)}"), "failed"),
    (lambda m: TelegramBadRequest(m, f"Bad Request: chat not found ({url(OTHER)})"),
     "blocked"),
])
async def test_a_courier_error_with_the_token_stores_and_logs_no_token(
        citizen, saual, bot, session, monkeypatch, caplog, error, status):
    await citizen.send("/subscriptions")
    await citizen.press("Ведомства")
    await citizen.press("Министерство внутренних дел")
    answer = session._answer

    def failing(method, name, params):
        if name == "sendMessage":
            raise error(method)
        return answer(method, name, params)

    monkeypatch.setattr(session, "_answer", failing)
    found, _ = await saual.announcements.publish("mvd", Draft(text_ru="A"), source="staff")
    caplog.set_level(logging.DEBUG)
    await Delivery(saual.storage, TelegramCourier(bot, saual.directory), FAST) \
        .run(until_empty=True)
    [row] = await outbox_rows(saual.storage, found.id)
    assert row["status"] == status
    assert "[tok" in row["error"]
    assert not leaked(row["error"])
    assert not leaked(caplog.text)

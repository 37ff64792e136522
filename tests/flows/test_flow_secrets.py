"""A Bot API error text can carry the request URL and with it the bot token: the
courier's reason, stored in outbox.error and logged, carries none."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramServerError
from botkit import TOKEN
from dbkit import outbox_rows

from bot import cli
from bot.delivery import TelegramCourier
from bot.services import Delivery, DeliveryConfig, Draft, mask
from bot.services.masking import RedactingFilter

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


@pytest.fixture
def json_logs(monkeypatch, tmp_path, caplog):
    """LOG_FORMAT=json set up by `cli.load_settings()` on a handler writing to a
    buffer (as a deployment's stderr); handlers, formatters and levels put back."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LOG_FORMAT", "json")
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatters = {h: h.formatter for h in root.handlers}
    levels = {n: logging.getLogger(n).level for n in ("bm25s", "aiosqlite", "sqlalchemy.engine")}
    root.addHandler(handler)
    cli.load_settings()
    yield stream
    root.removeHandler(handler)
    for h, formatter in formatters.items():
        h.setFormatter(formatter)
        for f in [f for f in h.filters if isinstance(f, RedactingFilter)]:
            h.removeFilter(f)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_json_log_lines_keep_every_redaction(json_logs, citizen):
    question = "Мой ИИН 900101300123, телефон +7 701 123 45 67, как получить удостоверение?"
    await citizen.send(question)
    log = logging.getLogger("saual.test")
    log.warning("send failed: %s\nsecond line", f"ClientResponseError: 502, url='{url(TOKEN)}'")
    log.info("question text: %s", mask(question))  # how a citizen's text may reach a log
    try:
        raise RuntimeError(f"Cannot connect to {url(OTHER)}")
    except RuntimeError:
        log.exception("outbox row %d: delivery failed", 7)

    lines = json_logs.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(records) > 3
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert all(r["time"].endswith("Z") for r in records)
    text = json_logs.getvalue()
    assert not leaked(text)
    for raw in ("900101300123", "701 123 45 67", "7011234567"):
        assert raw not in text
    sent, masked, failed = records[-3:]
    assert sent["level"] == "WARNING"
    assert sent["message"].endswith("[token]/sendMessage'\nsecond line")  # still one line
    assert masked["message"] == "question text: Мой ИИН [IIN], телефон [phone], " \
                                "как получить удостоверение?"
    assert failed["logger"] == "saual.test" and failed["message"] == "outbox row 7: delivery failed"
    assert "RuntimeError: Cannot connect to" in failed["exception"]
    assert "[token]" in failed["exception"]

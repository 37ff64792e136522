"""Hostile bodies on the HTTP surfaces: the agencies' API and the Telegram
webhook answer 4xx, never 5xx, and run nothing (audit: a deeply nested array,
a 5,000-digit integer and, on the webhook, bad JSON got 500)."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.api import MAX_BODY
from bot.runners import web_application

URL = "/api/v1/announcements"
SECRET = "s3cret"
HOSTILE = {
    "deep array": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "moderately deep": b"[" * 200 + b"]" * 200,
    "5,000-digit integer": b'{"text": {"ru": "x"}, "n": ' + b"9" * 5_000 + b"}",
    "40-digit integer": b'{"text": {"ru": "x"}, "n": ' + b"9" * 40 + b"}",
    "not JSON": b"{not json",
    "NaN": b'{"text": {"ru": "x"}, "n": NaN}',
    "not UTF-8": b'{"text": {"ru": "\xff\xfe"}}',
    "empty": b"",
    "lone surrogate": b'{"text": {"ru": "\\ud800"}}',
    "NUL": b'{"text": {"ru": "a\\u0000b"}}',
    "too large": b'{"text": {"ru": "' + b"x" * MAX_BODY + b'"}}',
}
_keys = itertools.count()


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": f"k-{next(_keys)}",
            "Content-Type": "application/json"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_a_hostile_api_body_is_a_400_with_the_reason(client, token, saual, name):
    response = await client.post(URL, data=HOSTILE[name], headers=_auth(token))
    assert response.status == 400, await response.text()
    [error] = (await response.json())["errors"]
    assert error["field"] == "" and error["reason"].startswith(("the body", "an integer",
                                                                "NaN", "a string"))
    assert await saual.storage.announcements.recent("mvd") == []


async def test_a_bogus_charset_is_not_a_500(client, token):
    headers = _auth(token) | {"Content-Type": "application/json; charset=no-such-codec"}
    response = await client.post(URL, data=b'{"text": {"ru": "x"}}', headers=headers)
    assert response.status < 500


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["text", "kk", "ru", "url", "regions", "x"]) | st.text(max_size=4),
        inner, max_size=4),
    max_leaves=20)


@settings(max_examples=80)
@given(body=_json.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200))
@example(body=json.dumps({"text": {"ru": "Новость"}, "regions": "all"}).encode())
@example(body=b"[" * 100_000)
async def test_no_api_body_gets_a_5xx(client, token, body):
    response = await client.post(URL, data=body, headers=_auth(token))
    assert response.status < 500, (response.status, await response.text())


# -- the webhook ----------------------------------------------------------------------
UPDATE = {"update_id": 1, "message": {
    "message_id": 5, "date": 1764230400, "text": "/help", "chat": {"id": 99, "type": "private"},
    "from": {"id": 99, "is_bot": False, "first_name": "A", "language_code": "kk"}}}


@pytest.fixture(params=[False, True], ids=["in-request", "background"])
async def webhook(request, saual, bot):
    saual.settings = saual.settings.model_copy(update={"webhook_url": "https://bot.example.kz"})
    app = web_application(saual, bot, SECRET, background=request.param)
    async with TestClient(TestServer(app)) as client:
        yield client


def _hook(body: bytes, secret: str = SECRET):
    return {"data": body, "headers": {"X-Telegram-Bot-Api-Secret-Token": secret,
                                      "Content-Type": "application/json"}}


@pytest.mark.parametrize("body", [
    b"{not json", b"", b"[" * 100_000, b'{"update_id": ' + b"9" * 5000 + b"}",
    b"[1, 2]", b'{"update_id": "x"}', b'{"update_id": 1, "message": {"text": 5}}',
    json.dumps({**UPDATE, "message": {**UPDATE["message"], "chat": []}}).encode(),
], ids=["bad JSON", "empty", "deep", "huge int", "array", "bad id", "bad message", "bad chat"])
async def test_the_webhook_answers_400_to_what_is_not_an_update(webhook, session, body):
    response = await webhook.post("/telegram", **_hook(body))
    assert response.status == 400, await response.text()
    assert (await response.json())["errors"]
    assert not session.named("sendMessage")  # no handler ran


async def test_the_webhook_still_checks_the_secret_first_and_serves_updates(webhook, session):
    assert (await webhook.post("/telegram", **_hook(b"{not json", "wrong"))).status == 401
    response = await webhook.post("/telegram", **_hook(json.dumps(UPDATE).encode()))
    assert response.status == 200
    for _ in range(500):  # wait (bounded) for a background update to be handled
        if session.named("sendMessage"):
            break
        await asyncio.sleep(0.01)
    [sent] = session.named("sendMessage")
    assert sent.params["chat_id"] == 99


@settings(max_examples=40)
@given(body=_json.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200))
async def test_no_webhook_body_gets_a_5xx(webhook, body):
    response = await webhook.post("/telegram", **_hook(body))
    assert response.status < 500, (response.status, await response.text())

"""The HTTP API for agencies: authentication, validation, idempotency, status."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botkit import Citizen
from dbkit import outbox_rows

from bot.runners import web_application

URL = "/api/v1/announcements"
BODY = {"text": {"kk": "Жаңалық", "ru": "Новость"}, "url": "https://gov.kz/n/1",
        "regions": "all"}


async def follower(saual, bot, session, clock, user_id=1):
    citizen = Citizen(saual.dispatcher, bot, session, clock, user_id=user_id)
    await citizen.send("/subscriptions")
    await citizen.press("Ведомства")
    await citizen.press("Министерство внутренних дел")


def auth(token: str, key: str | None = "k-1") -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


async def test_requests_without_a_valid_token_are_refused(client, token, saual):
    for headers in ({}, {"Authorization": "Bearer nope", "Idempotency-Key": "k"},
                    {"Authorization": token, "Idempotency-Key": "k"}):
        response = await client.post(URL, json=BODY, headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert (await response.json())["errors"][0]["field"] == "Authorization"
    assert (await client.get(f"{URL}/1")).status == 401
    assert await saual.storage.announcements.recent("mvd") == []
    # A new token replaces the old one.
    await saual.staff.issue_token("mvd")
    response = await client.post(URL, json=BODY, headers=auth(token))
    assert response.status == 401


async def test_the_body_is_validated_field_by_field(client, token):
    response = await client.post(URL, data=b"{not json", headers=auth(token))
    assert response.status == 400
    response = await client.post(URL, json=BODY, headers=auth(token, key=None))
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "Idempotency-Key"
    bad = {"text": {"ru": 5, "en": "x"}, "url": "javascript:alert(1)", "regions": ["mars"],
           "extra": 1}
    response = await client.post(URL, json=bad, headers=auth(token))
    assert response.status == 422
    fields = {e["field"] for e in (await response.json())["errors"]}
    assert fields == {"text.ru", "text.en", "url", "regions", "extra"}
    response = await client.post(URL, json={"text": {"kk": " ", "ru": ""}}, headers=auth(token))
    assert response.status == 422
    assert (await response.json())["errors"] == [
        {"field": "text", "reason": "give the text in kk, ru or both"}]
    response = await client.post(URL, json=[1], headers=auth(token))
    assert response.status == 422


@pytest.mark.parametrize("url", ["http://[", "https://gov.kz/\u202e"])
async def test_a_malformed_url_is_a_field_error_not_a_server_error(client, token, saual, url):
    """urlsplit raised on "http://[" (a 500); a bidi override (it shows another
    address) was accepted."""
    response = await client.post(URL, json={**BODY, "url": url}, headers=auth(token))
    assert response.status == 422
    assert await response.json() == {"errors": [
        {"field": "url", "reason": "must be an http(s) address"}]}
    assert await saual.storage.announcements.recent("mvd") == []


async def test_a_retried_request_never_sends_twice(client, token, saual, bot, session, clock):
    await follower(saual, bot, session, clock)
    first = await client.post(URL, json=BODY, headers=auth(token, "news-2026-11-27"))
    assert first.status == 201
    created = await first.json()
    assert created["recipients"] == 1 and created["counts"]["queued"] == 1
    again = await client.post(URL, json=BODY, headers=auth(token, "news-2026-11-27"))
    assert again.status == 200
    assert (await again.json())["id"] == created["id"]
    assert len(await outbox_rows(saual.storage)) == 1
    other = await client.post(URL, json={**BODY, "url": "https://gov.kz/n/2"},
                              headers=auth(token, "news-2026-11-27"))
    assert other.status == 409
    assert len(await saual.storage.announcements.recent("mvd")) == 1


async def test_status_is_per_agency(client, token, saual):
    response = await client.post(URL, json={"text": {"ru": "Только по-русски"},
                                            "regions": ["astana", "almaty"]},
                                 headers=auth(token))
    created = await response.json()
    assert created["regions"] == ["astana", "almaty"]
    response = await client.get(f"{URL}/{created['id']}", headers=auth(token))
    assert response.status == 200
    assert (await response.json())["counts"] == {"queued": 0, "sent": 0, "failed": 0,
                                                  "blocked": 0}
    other = await saual.staff.issue_token("cec")
    assert (await client.get(f"{URL}/{created['id']}", headers=auth(other))).status == 404
    assert (await client.get(f"{URL}/999", headers=auth(token))).status == 404
    assert (await client.get(f"{URL}/abc", headers=auth(token))).status == 404
    for huge in ("2147483648", "99999999999999999999", "-1", "0", "١", "9" * 5000):
        assert (await client.get(f"{URL}/{huge}", headers=auth(token))).status == 404


async def test_a_token_of_bytes_that_are_not_text_is_refused_not_a_server_error(client):
    # Bytes that are not UTF-8 reach the server as surrogates (aiohttp decodes
    # headers with surrogateescape): hashing them raised, and the API answered 500.
    # Sent on a bare connection: aiohttp's client would not send such bytes.
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET " + URL.encode() + b"/1 HTTP/1.1\r\nHost: saual\r\n"
                 b"Authorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    writer.close()
    assert status.split()[1] == b"401", status



async def test_the_webhook_server_serves_the_api(saual, bot, token):
    saual.settings = saual.settings.model_copy(update={"webhook_url": "https://bot.example.kz"})
    async with TestClient(TestServer(web_application(saual, bot, "s", background=False))) as c:
        response = await c.post(URL, json=BODY, headers=auth(token))
        assert response.status == 201

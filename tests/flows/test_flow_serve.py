"""`run_polling` and `run_webhook` in process, against a small fake Bot API server.

They check what only a real server can: TELEGRAM_API_BASE is used, the
start-up calls are made, updates are fetched or received and answered, and
SIGTERM stops the bot gracefully.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.runners import run_polling, run_webhook
from embeddings import build_index, load_knowledge

HELP = {"message_id": 5, "date": 1764230400, "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        "chat": {"id": 99, "type": "private"},
        "from": {"id": 99, "is_bot": False, "first_name": "A", "language_code": "ru"}}


class FakeBotAPI:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.pending = [{"update_id": 1, "message": HELP}]
        self.sent = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/bot{token}/{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = dict(await request.post())
        self.calls.append((method, params))
        result: object = True
        if method == "getMe":
            result = {"id": 123, "is_bot": True, "first_name": "Saual", "username": "saual_bot"}
        elif method == "getUpdates":
            if self.pending and int(params.get("offset", 0)) <= self.pending[0]["update_id"]:
                result = [self.pending.pop(0)]
            else:
                await asyncio.sleep(0.05)
                result = []
        elif method == "sendMessage":
            self.sent.set()
            result = {"message_id": 6, "date": 1764230401, "text": params["text"],
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
        return web.json_response({"ok": True, "result": result})

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]


@pytest.fixture
async def fake_api(settings):
    api = FakeBotAPI(settings.bot_token.get_secret_value())
    server = TestServer(api.app, host="127.0.0.1")
    await server.start_server()
    api.base = str(server.make_url("")).rstrip("/")
    yield api
    await server.close()


@pytest.fixture
def served(settings, fake_api, encoder, monkeypatch):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    monkeypatch.setattr("bot.app.make_encoder", lambda spec: encoder)
    return settings.model_copy(update={"telegram_api_base": fake_api.base})


async def _stop(task: asyncio.Task) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 10)


async def test_polling_serves_the_configured_api_and_stops_on_sigterm(served, fake_api):
    task = asyncio.create_task(run_polling(served))
    await asyncio.wait_for(fake_api.sent.wait(), 10)
    await _stop(task)
    methods = fake_api.methods()
    assert methods.count("setMyCommands") == 6  # kk, ru, default; private chats and groups
    assert {"deleteWebhook", "getMe", "getUpdates"} <= set(methods)
    [(_, sent)] = [c for c in fake_api.calls if c[0] == "sendMessage"]
    assert sent["chat_id"] == "99" and sent["text"].startswith("Как пользоваться Saual")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_serves_and_stops_on_sigterm(served, fake_api):
    port = _free_port()
    settings = served.model_copy(update={
        "webhook_url": "https://bot.example.kz/", "webhook_host": "127.0.0.1",
        "webhook_port": port, "webhook_secret": SecretStr("fixed-secret")})
    task = asyncio.create_task(run_webhook(settings))
    async with ClientSession() as http:
        for _ in range(200):
            assert not task.done(), task.exception()
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert (await response.json())["status"] == "ok"
                    break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the webhook server did not come up")
        [(_, hook)] = [c for c in fake_api.calls if c[0] == "setWebhook"]
        assert hook["url"] == "https://bot.example.kz/telegram"
        assert hook["secret_token"] == "fixed-secret"
        async with http.post(f"http://127.0.0.1:{port}/telegram",
                             json={"update_id": 2, "message": HELP},
                             headers={"X-Telegram-Bot-Api-Secret-Token": "fixed-secret"}) as r:
            assert r.status == 200
        await asyncio.wait_for(fake_api.sent.wait(), 10)
    await _stop(task)
    assert "getUpdates" not in fake_api.methods()

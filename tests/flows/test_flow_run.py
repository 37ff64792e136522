"""`saual chat`, `saual run` and the webhook server."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.runners import web_application
from embeddings import build_index, load_knowledge

runner = CliRunner()


@pytest.fixture
def env(settings, monkeypatch, encoder, tmp_path):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    for key in ("bot_token", "database_url", "knowledge_dir", "index_dir", "encoder",
                "search_min_confidence", "suggest_min_confidence"):
        value = getattr(settings, key)
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        monkeypatch.setenv(key.upper(), str(value))
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setattr("bot.app.make_encoder", lambda spec: encoder)
    return settings


def test_chat_talks_through_the_same_handlers(env):
    script = "\n".join([
        "2",                 # [2] Русский
        "прописка онлайн",   # a question: the answer card
        "/menu",
        "2",                 # [2] Участие в управлении
        "1",                 # [1] Поиск избирательного участка
        "рецепт плова",
        *["/help"] * 6,      # more than the flood limit: one person typing is not a flood
        "",
    ])
    result = runner.invoke(cli, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Сәлеметсіз бе!" in out and "[1] 🇰🇿 Қазақша" in out and "[2] 🇷🇺 Русский" in out
    assert "✎ Задайте вопрос своими словами" in out and "ⓘ Язык сохранён: русский." in out
    card = out.index("Регистрация по месту жительства\n\nПрописаться")
    assert "🔗 Официальный источник: https://egov.kz/cms/ru/services/registration" in out[card:]
    assert "[1] 👍" in out[card:] and "[2] 👎" in out[card:]
    assert "✎ Участие в управлении: выберите тему:" in out
    assert "✎ Поиск избирательного участка" in out
    assert "Извините, на вопрос «рецепт плова» я не нашёл ответа." in out
    assert out.count("Как пользоваться Saual") == 6 and "Слишком много" not in out


def test_run_refuses_to_start_without_a_token(env, monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "")
    result = runner.invoke(cli, ["run"])
    assert result.exit_code == 1
    assert "BOT_TOKEN is not set" in result.output and "@BotFather" in result.output


def test_webhook_mode_needs_a_public_url(env):
    result = runner.invoke(cli, ["run", "--webhook"])
    assert result.exit_code == 1 and "WEBHOOK_URL" in result.output


async def test_webhook_checks_the_secret_and_serves_healthz(saual, bot, session):
    saual.settings = saual.settings.model_copy(update={"webhook_url": "https://bot.example.kz"})
    web_app = web_application(saual, bot, "s3cret-token", background=False)
    async with TestClient(TestServer(web_app)) as client:
        [hook] = session.named("setWebhook")
        assert hook.params["url"] == "https://bot.example.kz/telegram"
        assert hook.params["secret_token"] == "s3cret-token"
        assert set(hook.params["allowed_updates"]) >= {"message", "callback_query"}
        assert session.named("setMyCommands")  # the Dispatcher's start-up ran

        update = {"update_id": 1, "message": {
            "message_id": 5, "date": 1764230400, "text": "/help",
            "chat": {"id": 99, "type": "private"},
            "from": {"id": 99, "is_bot": False, "first_name": "A", "language_code": "kk"}}}
        response = await client.post("/telegram", json=update)
        assert response.status == 401
        assert not session.named("sendMessage")
        response = await client.post("/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert response.status == 401
        response = await client.post("/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        assert response.status == 200
        [sent] = session.named("sendMessage")
        assert sent.params["chat_id"] == 99 and sent.text.startswith("Saual-ды қалай")

        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["index"] == saual.engine.index.build_id

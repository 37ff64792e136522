"""Small pure parts of the bot: flood limiter, locale choice, texts, callback data."""

import pytest
from aiogram.utils.formatting import Bold, Text, sizeof

from bot.handlers import cards
from bot.handlers.callbacks import FullCB, MenuCB, MoreCB, TopicCB, VoteCB, WatchCB
from bot.services import FloodLimiter, Verdict, choose_locale


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_flood_limiter_warns_once_then_drops_until_the_window_passes():
    clock = Clock()
    limiter = FloodLimiter(3, 10.0, clock)
    assert [limiter.hit(1) for _ in range(3)] == [Verdict.PASS] * 3
    assert limiter.hit(1) is Verdict.WARN
    assert limiter.hit(1) is Verdict.DROP
    assert limiter.hit(2) is Verdict.PASS  # per user
    clock.now = 10.0
    assert limiter.hit(1) is Verdict.PASS
    clock.now = 10.5
    assert [limiter.hit(1) for _ in range(2)] == [Verdict.PASS] * 2
    assert limiter.hit(1) is Verdict.WARN  # a new burst is told again


def test_flood_limiter_forgets_idle_users():
    clock = Clock()
    limiter = FloodLimiter(1, 1.0, clock, max_keys=10)
    for user in range(10):
        limiter.hit(user)
    clock.now = 5.0
    limiter.hit(99)
    assert len(limiter._events) == 1
    with pytest.raises(ValueError):
        FloodLimiter(0, 1.0)


@pytest.mark.parametrize(
    ("saved", "telegram", "locale"),
    [("kk", "ru", "kk"), ("ru", "kk", "ru"), (None, "kk", "kk"), (None, "kk-KZ", "kk"),
     (None, "ru", "ru"), (None, "en", "ru"), (None, None, "ru"), ("de", "kk", "kk")],
)
def test_locale_saved_choice_first_then_telegram(saved, telegram, locale):
    assert choose_locale(saved, telegram) == locale


def test_split_plain_respects_the_limit_and_loses_nothing():
    text = "\n\n".join(f"Абзац {i}. " + "слово " * 150 for i in range(20))
    pieces = cards.split_plain(text, 4096)
    assert len(pieces) > 1 and all(sizeof(p) <= 4096 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    # no spaces at all: a hard cut; astral characters count twice, as Telegram counts
    emoji = "😀" * 3000
    pieces = cards.split_plain(emoji, 4096)
    assert all(sizeof(p) <= 4096 for p in pieces) and "".join(pieces) == emoji


def test_pack_groups_blocks_and_keeps_formatting():
    blocks = [Text(Bold(f"Раздел {i}"), "\n", "текст " * 100) for i in range(12)]
    messages = cards.pack(blocks, 4096)
    assert len(messages) == 2
    for m in messages:
        text, entities = m.render()
        assert sizeof(text) <= 4096
        assert all(e.type == "bold" for e in entities) and entities
    assert cards.pack([Text("коротко")]) and len(cards.pack([Text("коротко")])) == 1


def test_fill_never_reads_values_as_markup_or_placeholders():
    text, entities = cards.fill("Нет ответа на «{question}».",
                                question="<b>{question}</b> & {other}").render()
    assert text == "Нет ответа на «<b>{question}</b> & {other}»."
    assert entities == []
    text, entities = cards.fill("{category}: тема", category=Bold("Документы")).render()
    assert text == "Документы: тема" and entities[0].type == "bold"


def test_callback_data_fits_telegram_limit():
    long_id = "a-very-long-topic-identifier-of-fifty-characters-x"
    assert len(long_id) == 50
    for data in (TopicCB(id=long_id, new=True), FullCB(id=long_id), MenuCB(cat=long_id, new=True),
                 VoteCB(q=2**31 - 1, v=-1), MoreCB(q=2**31 - 1), WatchCB(id=long_id, on=False)):
        assert len(data.pack().encode()) <= 64
    assert TopicCB.unpack(TopicCB(id="id-card", new=True).pack()) == TopicCB(id="id-card",
                                                                           new=True)


def test_env_example_lists_every_setting_and_parses(monkeypatch):
    import re
    from pathlib import Path

    from bot.config import Settings

    example = Path(__file__).parent.parent / ".env.example"
    keys = set(re.findall(r"(?m)^([A-Z_]+)=", example.read_text(encoding="utf-8")))
    assert keys == {name.upper() for name in Settings.model_fields}
    for key in keys:
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=example)
    assert settings.bot_token is None and settings.webhook_url is None
    assert settings.webhook_secret is None and settings.flood_limit == 8

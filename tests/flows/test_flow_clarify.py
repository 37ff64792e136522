"""The clarifying question, and "ask an agency" only on a government theme."""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import AsyncMock

import pytest
from topickit import with_questions

from bot.app import Saual
from embeddings import Decision, build_index, load_knowledge


@pytest.fixture
def settings(settings, knowledge):
    # With the topic model, a confidence between the two thresholds asks which
    # topic is meant: these put every question there, whatever the test encoder's scores.
    with_questions(knowledge)
    return settings.model_copy(update={"search_min_confidence": 0.999999,
                                       "search_clarify_confidence": 1e-9})


@pytest.fixture
async def saual(settings, encoder, clock):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    assert app.engine.index.topic_model is not None
    yield app
    await app.close()


@pytest.mark.parametrize(
    ("question", "prompt", "title"),
    [
        ("где получить удостоверение личности", "Какую из них вы имеете в виду?",
         "Получение удостоверения личности"),
        ("жеке куәлікті қайдан аламын", "Сіз қайсысын айтып отырсыз?", "Жеке куәлік алу"),
    ],
)
async def test_close_topics_are_offered_as_buttons_that_open_the_page(
        saual, citizen, question, prompt, title):
    if question.startswith("жеке"):
        await citizen.send("/start")
        await citizen.press("Қазақша")
    calls = await citizen.send(question)
    [reply] = [c for c in calls if c.method == "sendMessage"]
    assert prompt in reply.text
    topics = [b["text"] for b in reply.buttons if b.get("callback_data", "").startswith("t:")]
    assert 2 <= len(topics) <= 3
    assert any(title in t for t in topics)
    assert any(b.get("callback_data", "").startswith("q:") for b in reply.buttons)  # ask

    label = next(t for t in topics if title in t)
    opened = await citizen.press(label)
    [page] = [c for c in opened if c.method in ("sendMessage", "editMessageText")]
    assert page.text.startswith(title)
    [row] = await saual.storage.questions.recent()
    assert not row.confident and row.topic_id == "id-card" and row.outcome == "clarified"


@pytest.mark.parametrize(("on_topic", "offered"), [(False, False), (True, True)])
async def test_an_agency_is_offered_only_on_a_government_theme(
        saual, citizen, monkeypatch, on_topic, offered):
    # What the engine found for a recipe: nothing answers, and (by the topic
    # model) no government theme either; then the same with a theme recognised.
    found = await saual.engine.asearch("рецепт плова с бараниной")
    monkeypatch.setattr(saual.engine, "asearch", AsyncMock(return_value=replace(
        found, decision=Decision.ABSTAIN, confident=False, confidence=0.2,
        on_topic=on_topic)))
    calls = await citizen.send("рецепт плова с бараниной")
    [reply] = [c for c in calls if c.method == "sendMessage"]
    asks = [b for b in reply.buttons if b.get("callback_data", "").startswith("q:")]
    topics = [b for b in reply.buttons if b.get("callback_data", "").startswith("t:")]
    assert bool(asks) is offered and bool(topics) is offered
    assert ("ведомств" in reply.text) is offered
    assert "Извините" in reply.text  # the honest "no answer" either way

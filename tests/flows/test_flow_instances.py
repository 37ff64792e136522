"""Several bot instances behind one webhook share conversation state through
Redis (REDIS_URL): a citizen's next message may reach another instance than
the one that asked them a question. Redis is fakeredis here: one in-process
server that both instances' clients talk to."""

from __future__ import annotations

import fakeredis
import pytest
from aiogram.fsm.storage.redis import RedisStorage
from botkit import Citizen

from bot.app import Saual, conversation_storage
from bot.config import Settings
from embeddings import build_index, load_knowledge

QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"


async def _instances(settings, encoder, clock, shared: bool) -> list[Saual]:
    server = fakeredis.FakeServer()
    apps = []
    for _ in range(2):
        fsm = RedisStorage(fakeredis.FakeAsyncRedis(server=server)) if shared else None
        apps.append(await Saual.create(settings, encoder=encoder, clock=clock, fsm=fsm))
    return apps


@pytest.mark.parametrize("shared", [True, False])
async def test_a_conversation_goes_on_at_another_instance_only_with_redis(
        settings, encoder, clock, session, shared):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    first, second = await _instances(settings, encoder, clock, shared)
    try:
        bot = first.bot(session=session)
        at_first = Citizen(first.dispatcher, bot, session, clock)
        at_second = Citizen(second.dispatcher, bot, session, clock)
        await at_first.send(f"/ask {QUESTION}")  # instance 1 proposes an agency
        calls = await at_second.press("✅")      # the press reaches instance 2
        asked = any("опубликовать ответ" in c.text for c in calls)
        assert asked is shared  # in memory, instance 2 knows nothing of the question
    finally:
        for app in (first, second):
            await app.close()


def test_redis_url_selects_redis_storage_with_expiry(settings):
    fsm = conversation_storage(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0",
                                                           "fsm_ttl": 3600}))
    assert isinstance(fsm, RedisStorage) and fsm.state_ttl == 3600 and fsm.data_ttl == 3600
    assert not isinstance(conversation_storage(Settings(_env_file=None)), RedisStorage)

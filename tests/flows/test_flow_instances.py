"""Several bot instances behind one webhook share conversation state through
Redis (REDIS_URL): a citizen's next message may reach another instance than
the one that asked them a question. Redis is fakeredis here: one in-process
server that both instances' clients talk to."""

from __future__ import annotations

import fakeredis
import pytest
from aiogram.fsm.storage.redis import RedisStorage
from botkit import Citizen

from bot.app import Saual, conversation_storage, make_bot
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


@pytest.mark.parametrize("shared", [True, False])
async def test_a_burst_split_over_two_instances_is_limited_once_only_with_redis(
        settings, encoder, clock, session, shared_redis, shared):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    settings = settings.model_copy(update={"redis_prefix": shared_redis.prefix})
    apps = [await Saual.create(settings, encoder=encoder, clock=clock,
                               redis=shared_redis.client() if shared else None)
            for _ in range(2)]
    try:
        bot = apps[0].bot(session=session)
        await bot.me()  # known before the burst, as polling knows it (/help names the bot)
        at = [Citizen(app.dispatcher, bot, session, clock, step=0.1) for app in apps]
        replies = [await at[n % 2].send("/help") for n in range(settings.flood_limit + 6)]
        helped = sum(1 for calls in replies if calls and calls[0].text.startswith("Как польз"))
        warned = sum(1 for calls in replies for c in calls if c.text.startswith("Слишком"))
        if shared:  # one limit across both: the ninth message is warned, then quiet
            assert (helped, warned) == (settings.flood_limit, 1)
            assert replies[settings.flood_limit + 1:] == [[]] * 5
        else:  # each instance counts only the half it sees
            assert (helped, warned) == (settings.flood_limit + 6, 0)
        clock.now += settings.flood_window
        assert (await at[1].send("/help"))[0].text.startswith("Как польз")
    finally:
        for app in apps:
            await app.close()


def test_redis_url_shares_the_flood_limit_and_the_delivery_pace(settings):
    from types import SimpleNamespace

    from bot.app import wire
    from bot.services import FloodLimiter
    from bot.services.delivery import Pacer
    from bot.services.sharedlimits import RedisFloodLimiter, RedisPacer

    shared = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0",
                                         "redis_prefix": "bot7"})
    storage = SimpleNamespace(announcements=None)  # nothing here touches the database
    services = wire(shared, storage)
    limiter = services.flood_limiter()
    assert isinstance(limiter, RedisFloodLimiter) and limiter.prefix == "bot7"
    assert services.owns_redis
    pacer = services.delivery(make_bot(shared)).pacer
    assert isinstance(pacer, RedisPacer) and pacer.redis is services.redis
    alone = wire(settings, storage)
    assert alone.redis is None
    assert type(alone.flood_limiter()) is FloodLimiter
    assert type(alone.delivery(make_bot(settings)).pacer) is Pacer

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hashencoder import HashEncoder
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures"

# Property tests are seeded and bounded, so `make test` is repeatable and stays
# within minutes; HYPOTHESIS_PROFILE=deep searches wider (random seeds, 20x examples).
settings.register_profile("saual", derandomize=True, deadline=None, database=None,
                          max_examples=150, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("deep", parent=settings.get_profile("saual"), derandomize=False,
                          max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "saual"))


@pytest.fixture
def encoder() -> HashEncoder:
    return HashEncoder()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge folder."""
    dest = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", dest)
    return dest


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the whole run (see pgserver.py)."""
    if os.environ.get("SAUAL_POSTGRES") == "0":
        pytest.skip("SAUAL_POSTGRES=0: the PostgreSQL tests are switched off")
    from pgserver import PostgresServer

    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A fresh empty database of each kind the bot supports."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/var/test.sqlite3"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
async def storage(database_url):
    """A migrated database of each kind (test_storage.py keeps an unmigrated one)."""
    from bot.storage import Storage

    s = Storage.from_url(database_url)
    await s.migrate()
    yield s
    await s.close()


# -- Redis: the real server when one answers, else fakeredis ---------------------------

REDIS_TEST_URL = os.environ.get("SAUAL_REDIS", "redis://127.0.0.1:6379/15")


def _redis_answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5) as r:
            return bool(r.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_reachable() -> bool:
    """Whether the Redis at SAUAL_REDIS (default 127.0.0.1:6379, db 15) answers;
    SAUAL_REDIS=0 says not to look."""
    return REDIS_TEST_URL != "0" and _redis_answers(REDIS_TEST_URL)


class RedisKit:
    """One Redis for a test: the real server (`kind` "redis") or an in-process
    fakeredis server ("fakeredis"). Every client it makes talks to the same
    server; keys go under a prefix of the test's own, removed afterwards."""

    def __init__(self, kind: str):
        import uuid

        import fakeredis

        self.kind = kind
        self.prefix = f"saualtest:{uuid.uuid4().hex[:12]}"
        self.server = fakeredis.FakeServer() if kind == "fakeredis" else None
        self._clients: list = []

    def client(self):
        if self.server is not None:
            import fakeredis

            made = fakeredis.FakeAsyncRedis(server=self.server)
        else:
            from redis.asyncio import Redis

            made = Redis.from_url(REDIS_TEST_URL, socket_timeout=2, socket_connect_timeout=2)
        self._clients.append(made)
        return made

    async def keys(self) -> list[str]:
        return sorted([k.decode() async for k in self.client().scan_iter(f"{self.prefix}:*")])

    async def close(self) -> None:
        try:
            if self.server is None:
                client = self.client()
                async for key in client.scan_iter(f"{self.prefix}:*"):
                    await client.delete(key)
        finally:
            for client in self._clients:
                await client.aclose()


@pytest.fixture(params=["fakeredis", "redis"])
async def redis_kit(request, redis_reachable):
    """Each Redis the shared limits are tested on: fakeredis always, the real
    server when one answers (skipped otherwise, so `make test` passes without)."""
    if request.param == "redis" and not redis_reachable:
        pytest.skip(f"no Redis answers at {REDIS_TEST_URL}")
    kit = RedisKit(request.param)
    yield kit
    await kit.close()


@pytest.fixture
async def shared_redis(redis_reachable):
    """One Redis for flow tests: the real server when one answers, else fakeredis."""
    kit = RedisKit("redis" if redis_reachable else "fakeredis")
    yield kit
    await kit.close()

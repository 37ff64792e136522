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

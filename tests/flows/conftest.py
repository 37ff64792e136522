from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botkit import TOKEN, Citizen, FakeClock, RecordingSession

from bot.app import Saual
from bot.config import Settings
from bot.runners import api_application
from embeddings import build_index, load_knowledge


@pytest.fixture
def settings(knowledge, tmp_path, database_url) -> Settings:
    return Settings(
        _env_file=None, bot_token=TOKEN, database_url=database_url,
        knowledge_dir=knowledge, index_dir=tmp_path / "index", encoder="test-hash",
        # The hashed-trigram test encoder gives far lower cosines than the real
        # model the engine's confidence is calibrated for: on the fixture pages
        # a real question scores ~5e-3 and an unrelated one ~3e-7.
        search_min_confidence=1e-3, suggest_min_confidence=1e-5,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def saual(settings, encoder, clock):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    yield app
    await app.close()


@pytest.fixture
def session() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
async def bot(saual, session):
    bot = saual.bot(session=session)
    # As polling does at start-up: the bot knows its own username (groups,
    # deep links) without a getMe in the middle of a test's calls.
    await bot.me()
    session.calls.clear()
    yield bot
    await bot.session.close()


@pytest.fixture
def citizen(saual, bot, session, clock) -> Citizen:
    return Citizen(saual.dispatcher, bot, session, clock)


@pytest.fixture
async def client(saual):
    """An HTTP client of the announcements API (api_application) of `saual`."""
    async with TestClient(TestServer(api_application(saual))) as client:
        yield client


@pytest.fixture
async def token(saual) -> str:
    return await saual.staff.issue_token("mvd")

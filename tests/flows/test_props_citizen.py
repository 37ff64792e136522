"""Property tests through the production Dispatcher: whatever a citizen types,
as a question or as an address in the /stations conversation, no exception
reaches the error handler (audit: `Абая 45²` after /stations raised ValueError)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stationkit import SAMPLE, SAMPLE_ALIASES

from bot.services import read_station_files

_PIECES = st.sampled_from([
    "Абая", "ул.", "мкр", "дом", "үй", "кв", "12", "45", "5а", "0", "²", "½", "٤٥", "𝟓", "Ⅻ",
    "-", "/", ",", " ", "?", "прописка", "где голосовать", "Aktau", "\u0301", "\x00", "№",
    "<b>", "&amp;", "1" * 4400,
])
TEXT = st.one_of(st.text(min_size=1, max_size=300),
                 st.lists(st.one_of(_PIECES, st.text(max_size=3)), min_size=1, max_size=10)
                 .map("".join)).filter(lambda t: t.strip())
ERRORS = "bot.handlers.errors"


@pytest.fixture
async def aktau(saual):
    await saual.stations.import_data(read_station_files(SAMPLE, SAMPLE_ALIASES))
    assert await saual.stations.refresh()
    return saual


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ERRORS and r.levelno >= logging.ERROR]


@settings(max_examples=60)
@given(text=TEXT)
@example(text="где мне голосовать, живу Абая 45²")
@example(text="\x00")  # PostgreSQL refused the question log (invalid byte sequence)
@example(text="прописка \ud800")  # a lone surrogate cannot be encoded for any database
async def test_free_text_never_reaches_the_error_handler(aktau, citizen, caplog, text):
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=ERRORS):
        await citizen.send("/cancel")
        calls = await citizen.send(text)
    assert not _failures(caplog), text
    assert calls  # every text gets an answer


@settings(max_examples=60)
@given(text=TEXT)
@example(text="Абая 45²")
@example(text="1" * 5000)
async def test_any_address_in_the_stations_conversation_is_answered(aktau, citizen, caplog,
                                                                     text):
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=ERRORS):
        await citizen.send("/stations")
        calls = await citizen.send(text)
    assert not _failures(caplog), text
    assert calls

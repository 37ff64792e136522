from __future__ import annotations

import pytest

from .harness import Emulator


@pytest.fixture
def emulator():
    """The Bot API emulator on 127.0.0.1, stopped after the test."""
    emulator = Emulator()
    yield emulator
    emulator.stop()

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hashencoder import HashEncoder

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def encoder() -> HashEncoder:
    return HashEncoder()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge folder."""
    dest = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", dest)
    return dest

"""Fixtures of the imports tests: private files under the test's tmp_path, Huey immediate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huey.api import Huey
from huey.contrib.djhuey import HUEY

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    settings.SHEQUN_PRIVATE_ROOT = tmp_path / "private"
    return tmp_path / "private"


@pytest.fixture
def huey_immediate() -> Iterator[Huey]:
    """Tasks run when enqueued (in transaction.on_commit: use django_capture_on_commit_callbacks
    or the test client, whose requests commit)."""
    assert HUEY.immediate is False
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = False

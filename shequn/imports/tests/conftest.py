"""Fixtures of the imports tests: private files under the test's tmp_path (Huey immediate:
the root conftest's `huey_immediate`)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    settings.SHEQUN_PRIVATE_ROOT = tmp_path / "private"
    return tmp_path / "private"

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages in English unless a test asks for another language (Accept-Language)."""
    settings.LANGUAGE_CODE = "en"

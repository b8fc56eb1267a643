"""Fixtures of the organisations app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shequn.organizations.tests.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def console_page(settings) -> Iterator[object]:
    """A Chromium page, 1280 px wide, in English."""
    from playwright.sync_api import sync_playwright

    settings.LANGUAGE_CODE = "en"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()

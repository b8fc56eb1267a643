"""Bogus API tokens are throttled per address (issue 5, item 2).

SHEQUN_RATE_LIMITS["api_token_failure"] = "20/60": the 21st invalid token within a minute from
one address gets 429 problem+json with Retry-After; so does every token from that address for
the rest of the minute, while a valid token from another address still works.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client

from shequn.accounts.services import issue_api_token

BAD = "Bearer sq_not-a-valid-token"


@pytest.fixture
def valid_token(org_admin) -> str:
    _, raw = issue_api_token(actor=None, operator=org_admin, name="throttle")
    return f"Bearer {raw}"


def _burn(client: Client, count: int) -> list[int]:
    return [client.get("/api/v1/me", HTTP_AUTHORIZATION=BAD).status_code for _ in range(count)]


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [
        (
            "en",
            "Too many requests",
            "Too many requests with an invalid API token from this address. "
            "Please try again in 1 minute.",
        ),
        ("zh-hans", "请求过多", "来自此地址的无效 API 令牌请求过多。请在 1 分钟后重试。"),
    ],
)
def test_twenty_bad_tokens_then_429_problem(db, valid_token, language, title, detail):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert _burn(client, 20) == [401] * 20
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=BAD)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": title,
        "status": 429,
        "detail": detail,
    }
    # The address is refused even with a valid token until the window ends ...
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=valid_token).status_code == 429
    # ... while the same valid token works from another address.
    other = Client(REMOTE_ADDR="127.0.0.2")
    assert other.get("/api/v1/me", HTTP_AUTHORIZATION=valid_token).status_code == 200


def test_valid_tokens_do_not_count(db, valid_token):
    client = Client()
    for _ in range(30):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=valid_token).status_code == 200
    assert _burn(client, 20) == [401] * 20


def test_the_limit_ends_with_its_window(db, valid_token):
    client = Client()
    start = 1_800_000_000.0  # the start of a 60-second window
    with mock.patch("shequn.core.ratelimit.time.time", return_value=start):
        assert _burn(client, 21) == [401] * 20 + [429]
    with mock.patch("shequn.core.ratelimit.time.time", return_value=start + 61):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=valid_token).status_code == 200
        assert _burn(client, 1) == [401]

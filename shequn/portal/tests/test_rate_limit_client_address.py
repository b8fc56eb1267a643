"""Rate limits and lockout count the connection's address, never one a client wrote.

Review of issue 5, item 2: with the default settings a header such as X-Forwarded-For or
X-Real-IP is ignored; with SHEQUN_CLIENT_IP_HEADER set to a list header, only its last entry
(the one the trusted proxy appended) counts, so a client cannot get a fresh allowance by
writing another address in front of it.
"""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD

RESET = "/c/password-reset/"


def _reset_statuses(client: Client, headers: list[dict[str, Any]]) -> list[int]:
    return [
        client.post(RESET, {"email": "zhangsan@example.com"}, **extra).status_code
        for extra in headers
    ]


def test_by_default_forwarding_headers_are_ignored(member_with_email):
    spoofed = [
        {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}", "HTTP_X_REAL_IP": f"198.51.100.{i}"}
        for i in range(7)
    ]
    statuses = _reset_statuses(Client(), spoofed)
    assert statuses == [302] * 5 + [429] * 2
    # The two refused requests sent no mail: 5 mails for 7 requests.
    assert len(mail.outbox) == 5


def test_only_the_proxys_entry_of_a_list_header_counts(settings, member_with_email):
    settings.SHEQUN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    spoofed = [{"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}, 192.0.2.7"} for i in range(7)]
    statuses = _reset_statuses(Client(), spoofed)
    assert statuses == [302] * 5 + [429] * 2
    assert len(mail.outbox) == 5
    # Another client behind the same proxy has its own allowance.
    other = _reset_statuses(Client(), [{"HTTP_X_FORWARDED_FOR": "192.0.2.8"}])
    assert other == [302]
    assert len(mail.outbox) == 6


def test_lockout_ignores_a_spoofed_forwarding_header(member):
    """Five wrong passwords, each \"from\" another address: the right one is still refused."""
    client = Client()
    for i in range(5):
        client.post(
            "/c/login/",
            {"username": "zhangsan@example.com", "password": f"wrong-{i}"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    response = client.post(
        "/c/login/",
        {"username": "zhangsan@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

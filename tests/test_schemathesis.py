"""schemathesis against the OpenAPI of /api/v1/, in the app, with a real org-admin API token.

For every operation, schemathesis generates requests from the schema (a bounded, derandomised
budget of examples) and sends them through Django's WSGI application against a populated test
database. Every response must be: not a server error, a documented status code, of the
documented content type, and valid against the documented schema (problem documents included).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from shequn.accounts.services import issue_api_token
from shequn.members.models import Channel
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory

# The budget of `make test`; SHEQUN_SCHEMATHESIS_EXAMPLES=200 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("SHEQUN_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def populated(org_admin, member, other_member, community, other_community, chapter):
    """The personas' world, plus a few more members, identities and communities."""
    archived = CommunityFactory(
        organization=chapter.organization, chapter=chapter, name="旧群", slug="old"
    )
    for index in range(3):
        person = MemberFactory(organization=chapter.organization, chapter=chapter)
        IdentityFactory(
            member=person,
            organization=chapter.organization,
            channel=Channel.TELEGRAM,
            external_id=f"tg-{index}",
        )
        MembershipFactory(member=person, community=archived if index else community)
    return org_admin


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Requests through the bare WSGI handler must not close the test's database connection
    (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_token_throttle(settings) -> None:
    """schemathesis also sends bad tokens (401 cases): let them not use up the address's limit,
    or every later request would be a (documented, but uninformative) 429."""
    settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "api_token_failure": "1000000/60"}
    cache.clear()


@pytest.fixture
def token(db, populated, keep_test_connection, no_token_throttle) -> str:
    _, raw = issue_api_token(actor=None, operator=populated, name="schemathesis")
    return raw


def _load_schema() -> schemathesis.BaseSchema:
    document = json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = WSGIHandler()
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi(case, token):
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    case.call_and_validate(headers=headers, checks=CHECKS)

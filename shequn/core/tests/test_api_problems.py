"""The API's errors are RFC 9457 problem documents, in the language of the request."""

from __future__ import annotations

import pytest
from django.test import Client

from shequn.core.tests.api_helpers import API, assert_problem, body, send
from shequn.organizations.models import Community


def test_validation_problem_lists_every_field(api_client_as, db):
    response = send(
        api_client_as("org_admin"),
        "POST",
        "/communities",
        {"kind": "fan_club", "name": "", "slug": "ok", "colour": "red"},
    )
    problem = assert_problem(response, 422)
    assert problem == {
        "type": "about:blank",
        "title": "Invalid input",
        "status": 422,
        "detail": "The request has invalid fields.",
        "errors": [
            {
                "loc": ["body", "kind"],
                "msg": "Unknown value. Expected 'lead_gen', 'new_member', 'training_camp', "
                "'delivery', 'core_fans' or 'regional'.",
            },
            {"loc": ["body", "name"], "msg": "This field cannot be empty."},
            {"loc": ["body", "colour"], "msg": "Unknown field."},
        ],
    }
    assert Community.objects.count() == 0


def test_single_error_is_the_detail(api_client_as, db):
    response = send(api_client_as("org_admin"), "POST", "/chapters", {"name": "x"})
    assert assert_problem(response, 422)["detail"] == "This field is required."


@pytest.mark.parametrize("raw", ["{", "not json", '{"name": "a", }', b"\xff\xfe".decode("latin-1")])
def test_malformed_json_is_422(api_client_as, db, raw):
    response = send(api_client_as("org_admin"), "POST", "/chapters", raw)
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body"], "msg": "The body is not valid JSON."}
    ]


def test_a_json_array_is_not_an_object(api_client_as, db):
    response = send(api_client_as("org_admin"), "POST", "/chapters", "[1, 2]")
    assert_problem(response, 422)


def test_service_validation_error_names_the_field(api_client_as, community):
    response = send(
        api_client_as("org_admin"),
        "POST",
        "/communities",
        {"kind": "regional", "name": "x", "slug": community.slug},
    )
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", "slug"], "msg": "Another community of this organisation has this slug."}
    ]


def test_non_integer_id_is_422(api_client_as, db):
    problem = assert_problem(send(api_client_as("org_admin"), "GET", "/communities/abc"), 422)
    assert problem["errors"][0]["loc"] == ["path", "community_id"]


def test_404_problem(api_client_as, db):
    assert assert_problem(send(api_client_as("org_admin"), "GET", "/chapters/999999"), 404) == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "No such chapter.",
    }


def test_403_problem(api_client_as, community):
    response = send(api_client_as("assistant"), "POST", "/chapters", {"name": "x", "slug": "x"})
    assert assert_problem(response, 403) == {
        "type": "about:blank",
        "title": "Permission denied",
        "status": 403,
        "detail": "Your account is not allowed to do this.",
    }


def test_401_problem(db):
    response = send(Client(), "GET", "/communities")
    assert assert_problem(response, 401)["title"] == "Authentication required"
    assert response["WWW-Authenticate"] == "Bearer"


def test_405_problem_keeps_allow(api_client_as, db):
    response = send(api_client_as("org_admin"), "PUT", "/chapters", {})
    problem = assert_problem(response, 405)
    assert response["Allow"] == "GET, POST"
    assert problem["detail"] == "Allowed methods: GET, POST."


def test_messages_follow_accept_language(api_client_as, community):
    client = api_client_as("org_admin")
    path = f"/communities/{community.pk}"
    english = send(client, "PATCH", path, {"capacity": "many"}, HTTP_ACCEPT_LANGUAGE="en")
    chinese = send(client, "PATCH", path, {"capacity": "many"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert assert_problem(english, 422)["errors"][0]["msg"] == "Enter a whole number."
    assert assert_problem(chinese, 422)["errors"][0]["msg"] == "输入整数。"
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"


def test_default_language_is_chinese(api_client_as, community):
    response = api_client_as("org_admin").patch(
        f"{API}/communities/{community.pk}", '{"name": null}', content_type="application/json"
    )
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", "name"], "msg": "这个值不能为 null。"}
    ]
    assert response["Content-Language"] == "zh-hans"


def test_success_is_plain_json(api_client_as, db):
    response = send(api_client_as("org_admin"), "GET", "/me")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert body(response)["role"] == "org_admin"

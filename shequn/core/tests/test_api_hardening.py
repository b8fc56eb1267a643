"""Every error of the API is a problem document: bounds of numbers, 404/405/413/500, text a
database cannot hold, UTF-8 JSON, documented error responses and nullable PATCH fields."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from config.api import api
from shequn.core.schemas import MAX_ID, MAX_OFFSET
from shequn.core.tests.api_helpers import API, assert_problem, body, error_locs, send
from shequn.members.models import Member
from shequn.organizations import selectors as organization_selectors
from shequn.organizations.models import Chapter, Community

LIST_PATHS = ["/chapters", "/communities", "/members", "/identities", "/memberships"]
# (path, its id parameter, its methods)
ID_PATHS = [
    ("/chapters/{}", "chapter_id", ("GET", "PATCH", "DELETE")),
    ("/communities/{}", "community_id", ("GET", "PATCH")),
    ("/communities/{}/archive", "community_id", ("POST",)),
    ("/members/{}", "member_id", ("GET", "PATCH", "DELETE")),
    ("/identities/{}", "identity_id", ("GET", "PATCH", "DELETE")),
    ("/memberships/{}", "membership_id", ("GET", "PATCH", "DELETE")),
]
ID_CALLS = [(path, param, method) for path, param, methods in ID_PATHS for method in methods]


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize("offset", [2**63, 2**64 + 5, 10**30, MAX_OFFSET + 1, -1])
def test_an_offset_out_of_bounds_is_422(api_client_as, db, path, offset):
    response = send(api_client_as("org_admin"), "GET", path, {"offset": offset})
    assert error_locs(response) == [["query", "offset"]]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_the_largest_offset_is_an_empty_page(api_client_as, community, path):
    response = send(api_client_as("org_admin"), "GET", path, {"offset": MAX_OFFSET})
    assert response.status_code == 200, response.content
    assert body(response)["items"] == []


@pytest.mark.parametrize(("path", "param", "method"), ID_CALLS)
@pytest.mark.parametrize("value", [10**30, 2**63, 0, -5])
def test_an_id_out_of_bounds_is_422(api_client_as, community, path, param, method, value):
    client = api_client_as("org_admin")
    response = send(client, method, path.format(value), {} if method == "PATCH" else None)
    assert error_locs(response) == [["path", param]]


@pytest.mark.parametrize(("path", "param", "methods"), ID_PATHS)
def test_the_largest_id_is_404(api_client_as, db, path, param, methods):
    response = send(api_client_as("org_admin"), methods[0], path.format(MAX_ID))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/members", {"chapter_id": 10**30}, ["query", "chapter_id"]),
        ("/memberships", {"member_id": 2**63}, ["query", "member_id"]),
        ("/communities", {"chapter_id": 0}, ["query", "chapter_id"]),
        ("/members", {"q": "x" * 101}, ["query", "q"]),
        ("/members", {"q": "张\x00三"}, ["query", "q"]),
    ],
)
def test_filters_are_bounded(api_client_as, db, path, params, loc):
    assert error_locs(send(api_client_as("org_admin"), "GET", path, params)) == [loc]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"member_id": 10**30, "community_id": 1}, ["body", "member_id"]),
        ({"member_id": 1, "community_id": 2**63}, ["body", "community_id"]),
    ],
)
def test_body_ids_are_bounded(api_client_as, db, data, loc):
    assert error_locs(send(api_client_as("org_admin"), "POST", "/memberships", data)) == [loc]


def test_nul_characters_are_refused_before_the_database(api_client_as, chapter):
    data = {"kind": "regional", "name": "上海\x00群", "slug": "nul"}
    response = send(api_client_as("org_admin"), "POST", "/communities", data)
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", "name"], "msg": "This field cannot contain NUL characters."}
    ]
    assert Community.objects.count() == 0


def test_an_unknown_api_path_is_a_404_problem(api_client_as, db):
    response = send(api_client_as("org_admin"), "GET", "/no/such/thing")
    assert assert_problem(response, 404)["detail"] == "There is no such API endpoint."


def test_an_unknown_api_path_is_a_404_problem_without_a_token(db):
    response = Client().get(f"{API}/nothing-here", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert assert_problem(response, 404)["title"] == "未找到"  # type: ignore[arg-type]


def test_a_wrong_method_is_a_405_problem(api_client_as, db):
    response = send(api_client_as("org_admin"), "PUT", "/chapters", {})
    problem = assert_problem(response, 405)
    assert response["Allow"] == "GET, POST"
    assert problem["detail"] == "Allowed methods: GET, POST."


def test_a_body_over_the_limit_is_a_413_problem(api_client_as, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = {"name": "大" * 2000, "slug": "big"}
    response = send(api_client_as("org_admin"), "POST", "/chapters", data)
    assert assert_problem(response, 413)["detail"] == "The request body is larger than 1000 bytes."
    assert Chapter.objects.count() == 0


def test_an_unexpected_error_is_a_logged_500_problem(api_client_as, db, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(organization_selectors, "list_chapters", broken)
    client = api_client_as("org_admin")
    with caplog.at_level(logging.ERROR, logger="shequn.api"):
        response = send(client, "GET", "/chapters", HTTP_ACCEPT_LANGUAGE="zh-hans")
    problem = assert_problem(response, 500)
    assert problem["title"] == "服务器错误"
    assert "disk on fire" not in response.content.decode()
    records = [r for r in caplog.records if r.name == "shequn.api"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert str(records[0].exc_info[1]) == "disk on fire"


def test_problems_are_in_the_language_of_the_request(api_client_as, db):
    response = send(
        api_client_as("org_admin"), "GET", "/chapters/999", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert assert_problem(response, 404)["title"] == "未找到"


def test_json_is_utf8_without_escapes(api_client_as, community):
    response = send(api_client_as("org_admin"), "GET", f"/communities/{community.pk}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "上海沙龙群".encode() in response.content
    assert b"\\u" not in response.content


def _schema():
    return json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))


def _operations():
    schema = _schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_as_problems(db):
    from shequn.core.tests.test_api_docs import SIGNED_NOTIFICATIONS

    for path, method, operation in _operations():
        responses = operation["responses"]
        errors = {code for code in responses if code.startswith(("4", "5"))}
        if (method, path) in SIGNED_NOTIFICATIONS:  # no token; refusals answer the provider
            continue
        assert {"401", "429"} <= errors, (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        # Every write may be refused, but a batch of activities refuses row by row (a row
        # outside the token's scope is rejected with its reason in the 200 answer).
        if method != "get" and path != "/api/v1/activities/batch":
            assert "403" in errors, (method, path)
        for code in errors:
            assert responses[code]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (method, path, code)


def test_conflicts_are_documented_where_they_happen(db):
    conflicts = {(method, path) for path, method, op in _operations() if "409" in op["responses"]}
    assert conflicts == {
        ("post", "/api/v1/members"),
        ("patch", "/api/v1/members/{member_id}"),
        ("post", "/api/v1/memberships"),
        ("patch", "/api/v1/memberships/{membership_id}"),
        ("delete", "/api/v1/memberships/{membership_id}"),
        # Already decided, already merged, already undone (docs/merges.md).
        ("post", "/api/v1/merge-suggestions/{suggestion_id}/accept"),
        ("post", "/api/v1/merge-suggestions/{suggestion_id}/reject"),
        ("post", "/api/v1/merges"),
        ("post", "/api/v1/merges/{merge_id}/unmerge"),
        # Already decided, paid, offered, closed or lifted (docs/applications.md, payments.md,
        # joining.md).
        ("post", "/api/v1/applications/{application_id}/approve"),
        ("post", "/api/v1/applications/{application_id}/reject"),
        ("post", "/api/v1/applications/{application_id}/interview"),
        ("post", "/api/v1/orders/{order_id}/mark-paid"),
        ("post", "/api/v1/waitlist/{entry_id}/offer"),
        ("delete", "/api/v1/waitlist/{entry_id}"),
        ("post", "/api/v1/leave-requests"),
        ("post", "/api/v1/leave-requests/{leave_id}/confirm"),
        ("post", "/api/v1/memberships/{membership_id}/remove"),
        ("post", "/api/v1/memberships/{membership_id}/allow-rejoin"),
        ("post", "/api/v1/blacklist/{entry_id}/lift"),
        # A replayed notification id (docs/payments.md).
        ("post", "/api/v1/payments/wechatpay/notify"),
        ("post", "/api/v1/payments/webhook/notify"),
        # A tag in use by segments, a rule tag switched twice or removed by hand, a group
        # with tags (docs/tags.md); a note's follow-up already done (docs/profiles.md).
        ("delete", "/api/v1/tags/{tag_id}"),
        ("delete", "/api/v1/tag-groups/{group_id}"),
        ("post", "/api/v1/tags/{tag_id}/activate"),
        ("post", "/api/v1/tags/{tag_id}/deactivate"),
        ("delete", "/api/v1/members/{member_id}/tags/{tag_id}"),
        ("post", "/api/v1/notes/{note_id}/done"),
        ("patch", "/api/v1/notes/{note_id}"),
        ("delete", "/api/v1/notes/{note_id}"),
        # Not enough points for a debit, an entry already reversed; an exit review already
        # decided; a redemption already fulfilled or cancelled
        # (docs/points.md, docs/rewards.md).
        ("post", "/api/v1/members/{member_id}/points/adjustments"),
        ("post", "/api/v1/points/entries/{entry_id}/reversal"),
        ("post", "/api/v1/points/exit-reviews/{review_id}/confirm"),
        ("post", "/api/v1/points/exit-reviews/{review_id}/dismiss"),
        ("post", "/api/v1/redemptions/{redemption_id}/fulfil"),
        ("post", "/api/v1/redemptions/{redemption_id}/cancel"),
    }


def test_the_problem_schema_names_existing_id(db):
    problem = _schema()["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]
    assert problem["properties"]["existing_id"]["type"] == "integer"


def _nullable(schema_name: str) -> set[str]:
    properties = _schema()["components"]["schemas"][schema_name]["properties"]
    return {
        name
        for name, prop in properties.items()
        if any(v.get("type") == "null" for v in prop.get("anyOf", []))
    }


@pytest.mark.parametrize(
    ("schema_name", "nullable"),
    [
        ("MemberPatch", {"chapter_id"}),
        ("CommunityPatch", {"chapter_id", "ends_at"}),
        ("ChapterPatch", set()),
        ("IdentityPatch", set()),
        ("MembershipPatch", set()),
    ],
)
def test_patch_schemas_say_which_fields_accept_null(db, schema_name, nullable):
    assert _nullable(schema_name) == nullable


@pytest.mark.parametrize("field", ["display_name", "phone", "email", "notes"])
def test_the_server_refuses_null_where_the_schema_does(api_client_as, member, field):
    response = send(api_client_as("org_admin"), "PATCH", f"/members/{member.pk}", {field: None})
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", field], "msg": "This field cannot be null."}
    ]
    member.refresh_from_db()
    assert member.display_name == "张三"


def test_the_server_accepts_null_where_the_schema_does(api_client_as, member):
    response = send(
        api_client_as("org_admin"), "PATCH", f"/members/{member.pk}", {"chapter_id": None}
    )
    assert response.status_code == 200, response.content
    assert body(response)["chapter_id"] is None
    assert Member.objects.get(pk=member.pk).chapter_id is None


def test_problem_bodies_are_utf8_json(api_client_as, db):
    response = send(
        api_client_as("org_admin"), "GET", "/chapters/999", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert json.loads(response.content.decode("utf-8"))["title"] == "未找到"
    assert b"\\u" not in response.content


def test_any_offset_pydantic_accepts_is_stored_in_utc(api_client_as, chapter):
    data = {
        "kind": "core_fans",
        "name": "远方群",
        "slug": "far",
        "chapter_id": chapter.pk,
        "starts_at": "2030-08-13T06:00:00+07:46",
        "ends_at": "2186-09-29T10:14:50+16:43",  # PostgreSQL refuses offsets beyond ±15:59
    }
    response = send(api_client_as("org_admin"), "POST", "/communities", data)
    assert response.status_code == 201, response.content
    assert (body(response)["starts_at"], body(response)["ends_at"]) == (
        "2030-08-12T22:14:00Z",
        "2186-09-28T17:31:50Z",
    )


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_outside_the_years_1_to_9999_in_utc_is_422(api_client_as, community, value):
    response = send(
        api_client_as("org_admin"), "PATCH", f"/communities/{community.pk}", {"ends_at": value}
    )
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", "ends_at"], "msg": "Enter a date and time between the years 1 and 9999."}
    ]

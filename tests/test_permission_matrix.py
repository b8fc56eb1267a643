"""The permission matrix: every console page, member page and API operation × every persona.

Each row names a route, the objects it is called on, the method, and the status each persona
gets, in the order of PERSONAS: org_admin, chapter_head, assistant, member, outsider, anonymous.
`community`, `membership`, … are in the chapter head's chapter (and the assistant's community);
`other_*` are in the other chapter, so scoped operators get 404 for them. POSTs send an empty
body: allowed personas reach the form (200/422) or the action, forbidden ones are refused.
`test_every_route_is_in_the_matrix` fails when a route exists that no row covers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.api import api
from shequn.accounts.models import ApiToken, Operator
from shequn.accounts.services import issue_api_token
from shequn.members.models import Identity, Member, Membership
from shequn.organizations.models import Organization
from tests.matrix import MODULES
from tests.matrix.common import (
    ADMIN_PAGE,
    API_OTHER,
    API_READ,
    HEAD_PAGE,
    OC,
    OM,
    OTHER,
    PAGE,
    PERSONAS,
    RESET_LINK,
    C,
    Fixtures,
    M,
    Row,
)
from tests.personas import People, make_people

# Uploaded images (/media/…) are public files, tested in shequn/core/tests/test_media.py.
NOT_ROUTES = {
    "set_language",
    "api:api-root",
    "api:docs-asset",
    "api:openapi-json",
    "api-docs",
    "media",
}


@dataclass
class World:
    ids: dict[str, int]
    slugs: dict[str, tuple[str, str]]


@dataclass
class Shared:
    people: People
    world: World
    files: Path


@pytest.fixture(scope="module")
def shared(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """The personas and every module's objects, built ONCE for this module inside a
    transaction that is rolled back at its end (as Django's TestCase.setUpTestData does):
    each test runs in a savepoint of it, so what a request writes is undone after the test
    and the next test sees the world as built. (Built per test, the world took ~95% of the
    matrix's time.)"""
    files = tmp_path_factory.mktemp("matrix-world")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=files / "media", SHEQUN_PRIVATE_ROOT=files / "private"),
        transaction.atomic(),
    ):
        people = make_people()
        yield Shared(people, _build_world(people), files)
        transaction.set_rollback(True)
    with django_db_blocker.unblock():
        # Nothing of the world was committed on the way (it would leak into other modules).
        assert not Organization.objects.filter(pk=people.org.pk).exists()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, shared: Shared) -> None:
    """The world's files (import files, rejects) where the world put them."""
    settings.MEDIA_ROOT = shared.files / "media"
    settings.SHEQUN_PRIVATE_ROOT = shared.files / "private"


# The personas of conftest.py, read back from the shared world (fresh instances per test).
@pytest.fixture
def org_admin(shared: Shared, db: None) -> Operator:
    return Operator.objects.get(pk=shared.people.org_admin.pk)


@pytest.fixture
def chapter_head(shared: Shared, db: None) -> Operator:
    return Operator.objects.get(pk=shared.people.chapter_head.pk)


@pytest.fixture
def assistant(shared: Shared, db: None) -> Operator:
    return Operator.objects.get(pk=shared.people.assistant.pk)


@pytest.fixture
def member(shared: Shared, db: None) -> Member:
    return Member.objects.get(pk=shared.people.member.pk)


@pytest.fixture
def outsider(shared: Shared, db: None) -> Any:
    return get_user_model().objects.get(pk=shared.people.outsider.pk)


@pytest.fixture
def world(shared: Shared, db: None) -> World:
    return shared.world


def _build_world(people: People) -> World:
    admin_token, _ = issue_api_token(actor=None, operator=people.org_admin, name="matrix")
    membership = Membership.objects.get(member=people.member)
    other_membership = Membership.objects.get(member=people.other_member)
    fixtures = Fixtures(
        org=people.org,
        community=membership.community,
        other_community=other_membership.community,
        member=people.member,
        other_member=people.other_member,
        org_admin=people.org_admin,
        chapter_head=people.chapter_head,
        assistant=people.assistant,
    )
    extra: dict[str, int] = {}
    for module in MODULES:
        extra.update(module.objects(fixtures))
    return World(
        ids=extra
        | {
            "community": membership.community_id,
            "other_community": other_membership.community_id,
            "chapter": membership.community.chapter_id or 0,
            "other_chapter": other_membership.community.chapter_id or 0,
            "member": people.member.pk,
            "other_member": people.other_member.pk,
            "membership": membership.pk,
            "other_membership": other_membership.pk,
            "identity": Identity.objects.get(member=people.member).pk,
            "other_identity": Identity.objects.get(member=people.other_member).pk,
            "head_operator": people.chapter_head.pk,
            "admin_token": admin_token.pk,
        },
        slugs={
            "community": (membership.community.organization.slug, membership.community.slug),
        },
    )


CONSOLE: list[Row] = [
    Row("organizations:dashboard", {}, "get", PAGE),
    Row("organizations:community_list", {}, "get", PAGE),
    Row("organizations:community_create", {}, "get", HEAD_PAGE),
    Row("organizations:community_create", {}, "post", HEAD_PAGE),
    Row("organizations:community_lifespan", {}, "get", PAGE),
    Row("organizations:slug_suggestion", {}, "get", PAGE),
    Row("organizations:community_detail", C, "get", PAGE),
    Row("organizations:community_detail", OC, "get", OTHER),
    Row("organizations:community_edit", C, "get", HEAD_PAGE),
    Row("organizations:community_edit", C, "post", HEAD_PAGE),
    Row("organizations:community_edit", OC, "get", OTHER),
    Row("organizations:community_archive", C, "post", (302, 302, 403, 403, 403, 302)),
    Row("organizations:community_archive", OC, "post", (302, 404, 404, 403, 403, 302)),
    Row("organizations:community_restore", C, "post", (302, 302, 403, 403, 403, 302)),
    Row("organizations:community_restore", OC, "post", (302, 404, 404, 403, 403, 302)),
    Row("organizations:community_dissolve", C, "post", (302, 302, 403, 403, 403, 302)),
    Row("organizations:community_dissolve", OC, "post", (302, 404, 404, 403, 403, 302)),
    Row("organizations:community_member_add", C, "get", PAGE),
    Row("organizations:community_member_add", C, "post", PAGE),
    Row("organizations:community_member_add", OC, "get", OTHER),
    Row(
        "organizations:community_member_role",
        {**C, "membership_id": "membership"},
        "post",
        (302, 302, 403, 403, 403, 302),
    ),
    Row(
        "organizations:community_member_role",
        {**OC, "membership_id": "other_membership"},
        "post",
        (302, 404, 404, 403, 403, 302),
    ),
    Row(
        "organizations:community_member_remove",
        {**C, "membership_id": "membership"},
        "post",
        (302, 302, 302, 403, 403, 302),
    ),
    Row(
        "organizations:community_member_remove",
        {**OC, "membership_id": "other_membership"},
        "post",
        (302, 404, 404, 403, 403, 302),
    ),
    Row("organizations:chapter_list", {}, "get", PAGE),
    Row("organizations:chapter_create", {}, "get", ADMIN_PAGE),
    Row("organizations:chapter_create", {}, "post", ADMIN_PAGE),
    Row("organizations:chapter_detail", {"chapter_id": "chapter"}, "get", PAGE),
    Row("organizations:chapter_detail", {"chapter_id": "other_chapter"}, "get", OTHER),
    Row("organizations:chapter_edit", {"chapter_id": "chapter"}, "get", ADMIN_PAGE),
    Row("organizations:chapter_edit", {"chapter_id": "chapter"}, "post", ADMIN_PAGE),
    Row("organizations:chapter_edit", {"chapter_id": "other_chapter"}, "get", OTHER),
    Row("members:list", {}, "get", PAGE),
    Row("members:create", {}, "get", HEAD_PAGE),
    Row("members:create", {}, "post", HEAD_PAGE),
    Row("members:detail", {"member_id": "member"}, "get", PAGE),
    Row("members:detail", {"member_id": "other_member"}, "get", OTHER),
    Row("members:edit", {"member_id": "member"}, "get", PAGE),
    Row("members:edit", {"member_id": "member"}, "post", PAGE),
    Row("members:edit", {"member_id": "other_member"}, "get", OTHER),
    Row("members:identity_add", {"member_id": "member"}, "post", PAGE),
    Row("members:identity_add", {"member_id": "other_member"}, "post", OTHER),
    Row(
        "members:identity_remove",
        {"member_id": "member", "identity_id": "identity"},
        "post",
        (302, 302, 302, 403, 403, 302),
    ),
    Row(
        "members:identity_remove",
        {"member_id": "other_member", "identity_id": "other_identity"},
        "post",
        (302, 404, 404, 403, 403, 302),
    ),
    Row("accounts:login", {}, "get", (200, 200, 200, 200, 200, 200)),
    Row("accounts:logout", {}, "post", (302, 302, 302, 302, 302, 302)),
    # Password reset: public; an empty POST shows the form again. The confirm link here is a
    # bogus one (ids as uid and token): the "link does not work" page.
    Row("accounts:password_reset", {}, "get", (200,) * 6),
    Row("accounts:password_reset", {}, "post", (200,) * 6),
    Row("accounts:password_reset_done", {}, "get", (200,) * 6),
    Row("accounts:password_reset_confirm", RESET_LINK, "get", (200,) * 6),
    Row("accounts:password_reset_complete", {}, "get", (200,) * 6),
    Row("accounts:operator_list", {}, "get", ADMIN_PAGE),
    Row("accounts:operator_create", {}, "get", ADMIN_PAGE),
    Row("accounts:operator_create", {}, "post", ADMIN_PAGE),
    Row("accounts:operator_edit", {"operator_id": "head_operator"}, "get", ADMIN_PAGE),
    Row("accounts:operator_edit", {"operator_id": "head_operator"}, "post", ADMIN_PAGE),
    Row("accounts:operator_password", {"operator_id": "head_operator"}, "get", ADMIN_PAGE),
    Row("accounts:operator_password", {"operator_id": "head_operator"}, "post", ADMIN_PAGE),
    Row("accounts:token_list", {}, "get", PAGE),
    Row("accounts:token_create", {}, "post", PAGE),
    # Without a token just issued in the session, operators are sent back to their list.
    Row("accounts:token_created", {}, "get", (302, 302, 302, 403, 403, 302)),
    Row(
        "accounts:token_revoke", {"token_id": "admin_token"}, "post", (302, 404, 404, 403, 403, 302)
    ),
    Row("audit:list", {}, "get", PAGE),
]

PORTAL: list[Row] = [
    Row("portal:login", {}, "get", (200, 200, 200, 200, 200, 200)),
    Row("portal:logout", {}, "post", (302, 302, 302, 302, 302, 302)),
    Row("portal:my", {}, "get", (200, 200, 200, 200, 200, 302)),
    Row("portal:community", {"community": "community"}, "get", (200,) * 6),
    Row("portal:signup", {"community": "community"}, "get", (200, 200, 200, 302, 200, 200)),
    Row("portal:signup", {"community": "community"}, "post", (200, 200, 200, 302, 200, 200)),
    Row("portal:welcome", {"community": "community"}, "get", (302, 302, 302, 200, 302, 302)),
    Row("portal:join", {"community": "community"}, "post", (302, 302, 302, 302, 302, 302)),
    # GET asks for confirmation (members only; others are sent to sign in or back to the page)
    Row("portal:password_reset", {}, "get", (200,) * 6),
    Row("portal:password_reset", {}, "post", (200,) * 6),
    Row("portal:password_reset_done", {}, "get", (200,) * 6),
    Row("portal:password_reset_confirm", RESET_LINK, "get", (200,) * 6),
    Row("portal:password_reset_complete", {}, "get", (200,) * 6),
    # Email verification: nobody here waits for one (→ "my communities"); a bogus link is 400.
    Row("portal:signup_pending", {}, "get", (302,) * 6),
    Row("portal:verification_resend", {}, "post", (302,) * 6),
    Row("portal:verify_email", {"token": "member"}, "get", (400,) * 6),
    Row("portal:verify_email", {"token": "member"}, "post", (400,) * 6),
]

API: list[Row] = [
    Row("/me", {}, "get", API_READ),
    Row("/chapters", {}, "get", API_READ),
    Row(
        "/chapters", {}, "post", (201, 403, 403, 401, 401, 401), {"name": "广州分会", "slug": "gz"}
    ),
    Row("/chapters/{chapter_id}", {"chapter_id": "chapter"}, "get", API_READ),
    Row("/chapters/{chapter_id}", {"chapter_id": "other_chapter"}, "get", API_OTHER),
    Row(
        "/chapters/{chapter_id}",
        {"chapter_id": "chapter"},
        "patch",
        (200, 403, 403, 401, 401, 401),
        {"city": "上海市"},
    ),
    Row(
        "/chapters/{chapter_id}",
        {"chapter_id": "other_chapter"},
        "patch",
        (200, 404, 404, 401, 401, 401),
        {"city": "北京市"},
    ),
    Row(
        "/chapters/{chapter_id}",
        {"chapter_id": "chapter"},
        "delete",
        (422, 403, 403, 401, 401, 401),
    ),
    Row("/communities", {}, "get", API_READ),
    Row(
        "/communities",
        {},
        "post",
        (201, 201, 403, 401, 401, 401),
        {"chapter_id": "@chapter", "kind": "lead_gen", "name": "裂变群", "slug": "lead"},
    ),
    Row("/communities/{community_id}", C, "get", API_READ),
    Row("/communities/{community_id}", OC, "get", API_OTHER),
    Row(
        "/communities/{community_id}", C, "patch", (200, 200, 403, 401, 401, 401), {"intro": "欢迎"}
    ),
    Row(
        "/communities/{community_id}",
        OC,
        "patch",
        (200, 404, 404, 401, 401, 401),
        {"intro": "欢迎"},
    ),
    Row("/communities/{community_id}/archive", C, "post", (200, 200, 403, 401, 401, 401)),
    Row("/communities/{community_id}/archive", OC, "post", (200, 404, 404, 401, 401, 401)),
    Row("/communities/{community_id}/restore", C, "post", (422, 422, 403, 401, 401, 401)),
    Row("/communities/{community_id}/restore", OC, "post", (422, 404, 404, 401, 401, 401)),
    Row("/communities/{community_id}/dissolve", C, "post", (200, 200, 403, 401, 401, 401)),
    Row("/communities/{community_id}/dissolve", OC, "post", (200, 404, 404, 401, 401, 401)),
    Row("/members", {}, "get", API_READ),
    Row(
        "/members",
        {},
        "post",
        (201, 201, 403, 401, 401, 401),
        {"display_name": "王五", "chapter_id": "@chapter"},
    ),
    Row("/members/{member_id}", M, "get", API_READ),
    Row("/members/{member_id}", OM, "get", API_OTHER),
    Row("/members/{member_id}", M, "patch", (200, 200, 200, 401, 401, 401), {"notes": "常来"}),
    Row("/members/{member_id}", OM, "patch", (200, 404, 404, 401, 401, 401), {"notes": "常来"}),
    Row("/members/{member_id}", M, "delete", (204, 204, 403, 401, 401, 401)),
    Row("/members/{member_id}", OM, "delete", (204, 404, 404, 401, 401, 401)),
    Row("/identities", {}, "get", API_READ),
    Row(
        "/identities",
        {},
        "post",
        (201, 201, 201, 401, 401, 401),
        {"member_id": "@member", "channel": "telegram", "external_id": "tg-1"},
    ),
    Row("/identities/{identity_id}", {"identity_id": "identity"}, "get", API_READ),
    Row("/identities/{identity_id}", {"identity_id": "other_identity"}, "get", API_OTHER),
    Row(
        "/identities/{identity_id}",
        {"identity_id": "identity"},
        "patch",
        (200, 200, 200, 401, 401, 401),
        {"display_name": "张三"},
    ),
    Row(
        "/identities/{identity_id}",
        {"identity_id": "other_identity"},
        "patch",
        (200, 404, 404, 401, 401, 401),
        {"display_name": "李四"},
    ),
    Row(
        "/identities/{identity_id}",
        {"identity_id": "identity"},
        "delete",
        (204, 204, 204, 401, 401, 401),
    ),
    Row(
        "/identities/{identity_id}",
        {"identity_id": "other_identity"},
        "delete",
        (204, 404, 404, 401, 401, 401),
    ),
    Row("/memberships", {}, "get", API_READ),
    Row(
        "/memberships",
        {},
        "post",
        (409, 409, 409, 401, 401, 401),  # already a member: a conflict
        {"member_id": "@member", "community_id": "@community"},
    ),
    Row("/memberships/{membership_id}", {"membership_id": "membership"}, "get", API_READ),
    Row("/memberships/{membership_id}", {"membership_id": "other_membership"}, "get", API_OTHER),
    Row(
        "/memberships/{membership_id}",
        {"membership_id": "membership"},
        "patch",
        (200, 200, 403, 401, 401, 401),
        {"role": "kol"},
    ),
    Row(
        "/memberships/{membership_id}",
        {"membership_id": "other_membership"},
        "patch",
        (200, 404, 404, 401, 401, 401),
        {"role": "kol"},
    ),
    Row(
        "/memberships/{membership_id}",
        {"membership_id": "membership"},
        "delete",
        (204, 204, 204, 401, 401, 401),
    ),
    Row(
        "/memberships/{membership_id}",
        {"membership_id": "other_membership"},
        "delete",
        (204, 404, 404, 401, 401, 401),
    ),
]

for _module in MODULES:
    CONSOLE += _module.CONSOLE
    PORTAL += _module.PORTAL
    API += _module.API


def _url(row: Row, world: World) -> str:
    if row.route.startswith("/"):
        return "/api/v1" + row.route.format(**{k: world.ids[v] for k, v in row.kwargs.items()})
    if row.route.split(":")[0].endswith("portal") and "community" in row.kwargs:
        # Member pages (portal, *_portal) name a community by slugs: any world community.
        from shequn.organizations.models import Community

        c = Community.objects.select_related("organization").get(
            pk=world.ids[row.kwargs["community"]]
        )
        return reverse(row.route, kwargs={"org_slug": c.organization.slug, "slug": c.slug})
    return reverse(row.route, kwargs={k: world.ids[v] for k, v in row.kwargs.items()})


def _body(row: Row, world: World) -> str:
    body = {
        k: world.ids[v[1:]] if isinstance(v, str) and v.startswith("@") else v
        for k, v in (row.body or {}).items()
    }
    return json.dumps(body)


def _cases(rows: list[Row]) -> list[Any]:
    return [
        pytest.param(
            row, i, id=f"{row.method.upper()} {row.route} {','.join(row.kwargs.values())} {p}"
        )
        for row in rows
        for i, p in enumerate(PERSONAS)
    ]


@pytest.mark.parametrize(("row", "index"), _cases(CONSOLE + PORTAL))
def test_pages(world, client_as, row: Row, index: int) -> None:
    client: Client = client_as(PERSONAS[index])
    response = getattr(client, row.method)(_url(row, world))
    assert response.status_code == row.expected[index]


@pytest.mark.parametrize(("row", "index"), _cases(API))
def test_api(world, api_client_as, row: Row, index: int) -> None:
    client: Client = api_client_as(PERSONAS[index])
    call: Callable[..., Any] = getattr(client, row.method)
    if row.method in ("post", "patch", "put"):
        response = call(_url(row, world), data=_body(row, world), content_type="application/json")
    else:
        response = call(_url(row, world))
    assert response.status_code == row.expected[index]


def _console_routes() -> set[str]:
    def walk(resolver: URLResolver, namespace: str | None) -> set[str]:
        names: set[str] = set()
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin", "api"):
                    continue
                names |= walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
        return names

    return walk(get_resolver(), None) - NOT_ROUTES


def _api_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(path.removeprefix("/api/v1"), method) for path, ops in paths.items() for method in ops}


def test_every_route_is_in_the_matrix() -> None:
    assert _console_routes() == {row.route for row in CONSOLE + PORTAL}
    assert _api_operations() == {(row.route, row.method) for row in API}


def test_objects_of_the_matrix_are_distinct(world) -> None:
    """Guard against a world where 'other' objects are the same as the own ones."""
    for name in ("community", "chapter", "member", "membership", "identity"):
        assert world.ids[name] != world.ids[f"other_{name}"]
    assert ApiToken.objects.filter(pk=world.ids["admin_token"]).exists()
    assert Operator.objects.filter(pk=world.ids["head_operator"]).exists()
    members = (world.ids["member"], world.ids["other_member"])
    assert Member.objects.filter(pk__in=members).count() == 2

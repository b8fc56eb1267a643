"""Phones in E.164 everywhere, names without control characters, no second member with the
same phone or email (console offers the existing one, API answers 409), operator user names
by Django's rules."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shequn.accounts.models import Operator
from shequn.accounts.services import create_operator
from shequn.audit.models import AuditEntry
from shequn.core.tests.api_helpers import assert_problem, body, error_locs, send
from shequn.core.text import clean_name
from shequn.members.models import Channel, Identity, Member, Membership
from shequn.members.phones import format_phone, normalize_phone
from shequn.members.services import add_identity, create_member, update_member
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.services import create_chapter, create_community, update_community

PASSWORD = "a-long-pass-phrase"


# Phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("13812345678", "+8613812345678", "138 1234 5678"),
        (" 138 1234 5678 ", "+8613812345678", "138 1234 5678"),
        ("+86 138-1234-5678", "+8613812345678", "138 1234 5678"),
        ("008613812345678", "+8613812345678", "138 1234 5678"),
        ("021 6234 5678", "+862162345678", "021 6234 5678"),
        ("+852 5123 4567", "+85251234567", "+852 5123 4567"),
        ("", "", ""),
    ],
)
def test_phones_are_stored_in_e164_and_shown_readably(typed, stored, shown):
    assert normalize_phone(typed) == stored
    assert format_phone(stored) == shown


@pytest.mark.parametrize("typed", ["12345", "call me", "138123456789", "+86 1", "1" * 40])
def test_invalid_phones_are_refused(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    assert caught.value.code == "invalid_phone"


def test_a_legacy_value_is_shown_as_stored():
    assert format_phone("138-not-a-number") == "138-not-a-number"


def test_create_member_stores_the_phone_in_e164(org_admin, chapter, scope_of):
    member = create_member(
        actor=scope_of(org_admin), display_name="王五", chapter=chapter, phone="138 1234 5678"
    )
    assert Member.objects.get(pk=member.pk).phone == "+8613812345678"


def test_create_member_refuses_an_invalid_phone(org_admin, chapter, scope_of):
    with pytest.raises(ValidationError) as caught:
        create_member(actor=scope_of(org_admin), display_name="王五", chapter=chapter, phone="123")
    assert list(caught.value.message_dict) == ["phone"]
    assert Member.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_api_stores_e164_and_refuses_invalid_phones(api_client_as, chapter):
    client = api_client_as("org_admin")
    good = {"display_name": "王五", "chapter_id": chapter.pk, "phone": "+86 139 0000 1111"}
    assert body(send(client, "POST", "/members", good))["phone"] == "+8613900001111"
    bad = {"display_name": "赵六", "chapter_id": chapter.pk, "phone": "12"}
    assert error_locs(send(client, "POST", "/members", bad)) == [["body", "phone"]]
    assert list(Member.objects.values_list("display_name", flat=True)) == ["王五"]


def test_console_member_form_shows_the_phone_readably(client_as, member):
    Member.objects.filter(pk=member.pk).update(phone="+8613812345678")
    response = client_as("org_admin").get(f"/members/{member.pk}/edit/")
    assert 'value="138 1234 5678"' in response.content.decode()


def test_member_signup_stores_e164(client, community, settings):
    settings.LANGUAGE_CODE = "en"
    data = {
        "display_name": "赵六",
        "email": "zhao@example.com",
        "phone": "138 1234 5678",
        "password": "paper-lantern-42",
    }
    url = f"/c/{community.organization.slug}/{community.slug}/signup/"
    client.post(url, data)
    assert Member.objects.get(email="zhao@example.com").phone == "+8613812345678"


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_normalises_existing_phones():
    executor = MigrationExecutor(connection)
    # Organisations as they were then too: later columns (NOT NULL) would refuse the old rows.
    then = [
        ("members", "0005_email_verification"),
        ("organizations", "0004_lifecycle_old_slugs_case_insensitive"),
    ]
    executor.migrate(then)
    apps = executor.loader.project_state(then).apps
    organization = apps.get_model("organizations", "Organization").objects.create(
        name="组织", slug="org-m"
    )
    old_member = apps.get_model("members", "Member")
    rows = {
        "138 1234 5678": "+8613812345678",
        "+86-139-0000-1111": "+8613900001111",
        "not a phone": "not a phone",
        "": "",
    }
    created = {
        typed: old_member.objects.create(organization=organization, display_name=typed, phone=typed)
        for typed in rows
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    for typed, stored in rows.items():
        assert Member.objects.get(pk=created[typed].pk).phone == stored


# Control characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张三", "张三"),
        (" 张\u202e三 ", "张三"),
        ("张\x00三\x07", "张三"),
        ("张\n三\t丰", "张 三 丰"),
        ("\u200b\ufeff李四\u00ad", "李四"),
        ("👨\u200d👩\u200d👧 家", "👨\u200d👩\u200d👧 家"),
    ],
)
def test_clean_name(typed, stored):
    assert clean_name(typed) == stored


def test_names_lose_control_characters_in_every_service(org_admin, chapter, community, scope_of):
    actor = scope_of(org_admin)
    member = create_member(actor=actor, display_name="王\u202e五\x00", chapter=chapter)
    assert member.display_name == "王五"
    update_member(actor=actor, member=member, data={"display_name": "王\u200b六\n"})
    assert Member.objects.get(pk=member.pk).display_name == "王六"
    identity = add_identity(
        actor=actor, member=member, channel=Channel.TELEGRAM, external_id="x", display_name="\x1b王"
    )
    assert Identity.objects.get(pk=identity.pk).display_name == "王"
    new_chapter = create_chapter(actor=actor, name="杭州\u2066分会", slug="hz")
    assert new_chapter.name == "杭州分会"
    new_community = create_community(
        actor=actor, chapter=chapter, kind="regional", name="新\u0007群", slug="new-group"
    )
    assert new_community.name == "新群"
    update_community(actor=actor, community=new_community, data={"name": "\u202d改名群"})
    new_community.refresh_from_db()
    assert new_community.name == "改名群"


def test_a_name_of_only_control_characters_is_refused(org_admin, chapter, scope_of):
    with pytest.raises(ValidationError) as caught:
        create_member(actor=scope_of(org_admin), display_name="\u202e\x00", chapter=chapter)
    assert "display_name" in caught.value.message_dict
    assert Member.objects.count() == 0


# Duplicate members -------------------------------------------------------------------------


@pytest.fixture
def recorded(org, chapter):
    return MemberFactory(
        organization=org,
        chapter=chapter,
        display_name="钱七",
        phone="+8613900000000",
        email="qian@example.com",
    )


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"phone": "139 0000 0000"}, "phone"),
        ({"email": "QIAN@example.com"}, "email"),
        ({"phone": "13800000000", "email": "qian@example.com"}, "email"),
    ],
)
def test_a_second_member_with_the_same_phone_or_email_is_refused(
    org_admin, chapter, recorded, scope_of, contact, field
):
    with pytest.raises(ValidationError) as caught:
        create_member(actor=scope_of(org_admin), display_name="钱七七", chapter=chapter, **contact)
    [error] = caught.value.error_dict[field]
    assert (error.code, error.params) == ("duplicate_member", {"existing_id": recorded.pk})
    assert list(Member.objects.values_list("pk", flat=True)) == [recorded.pk]
    assert AuditEntry.objects.count() == 0


def test_another_organisation_may_have_the_same_phone(org_admin, chapter, scope_of):
    MemberFactory(phone="+8613900000000")  # in an organisation of its own
    member = create_member(
        actor=scope_of(org_admin), display_name="钱七", chapter=chapter, phone="13900000000"
    )
    assert member.phone == "+8613900000000"


def test_update_to_another_members_phone_is_refused(org_admin, member, recorded, scope_of):
    with pytest.raises(ValidationError) as caught:
        update_member(actor=scope_of(org_admin), member=member, data={"phone": "13900000000"})
    assert caught.value.error_dict["phone"][0].code == "duplicate_member"
    member.refresh_from_db()
    assert member.phone == ""


def test_saving_a_member_keeps_their_own_phone(org_admin, recorded, scope_of):
    update_member(actor=scope_of(org_admin), member=recorded, data={"phone": "139 0000 0000"})
    update_member(actor=scope_of(org_admin), member=recorded, data={"notes": "VIP"})
    recorded.refresh_from_db()
    assert (recorded.phone, recorded.notes) == ("+8613900000000", "VIP")


def test_api_answers_409_with_the_existing_id(api_client_as, chapter, recorded):
    data = {"display_name": "钱七七", "chapter_id": chapter.pk, "phone": "13900000000"}
    response = send(api_client_as("org_admin"), "POST", "/members", data)
    problem = assert_problem(response, 409)
    assert problem == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "A member with this phone number already exists.",
        "existing_id": recorded.pk,
    }
    assert Member.objects.count() == 1


def test_api_patch_to_a_taken_email_is_409(api_client_as, member, recorded):
    response = send(
        api_client_as("org_admin"), "PATCH", f"/members/{member.pk}", {"email": "qian@example.com"}
    )
    assert assert_problem(response, 409)["existing_id"] == recorded.pk
    member.refresh_from_db()
    assert member.email == ""


def test_console_create_links_to_the_existing_member(client_as, org_admin, chapter, recorded):
    response = client_as("org_admin").post(
        "/members/new/",
        {"display_name": "钱七七", "phone": "13900000000", "chapter": chapter.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A member with this phone number already exists." in html
    assert f'<a href="/members/{recorded.pk}/">钱七</a>' in html
    assert Member.objects.count() == 1


def test_community_add_offers_the_existing_member(client_as, chapter_head, community, recorded):
    client = client_as("chapter_head")
    url = f"/communities/{community.pk}/members/add/"
    post = {
        "action": "new",
        "new-display_name": "钱七七",
        "new-email": "qian@example.com",
        "new-role": "kol",
    }
    response = client.post(url, post, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A member with this email already exists." in html
    assert "Add 钱七 instead" in html
    assert f'name="existing-member_id" value="{recorded.pk}"' in html
    assert 'name="existing-role" value="kol"' in html
    assert Member.objects.count() == 1
    assert not Membership.objects.filter(member=recorded).exists()
    # the offered form adds the existing member with the chosen role
    existing = {"action": "existing", "existing-member_id": recorded.pk, "existing-role": "kol"}
    assert client.post(url, existing).status_code == 302
    assert Membership.objects.get(member=recorded, community=community).role == "kol"


def test_the_existing_member_is_named_only_within_scope(
    client_as, chapter_head, other_chapter, community
):
    hidden = MemberFactory(
        organization=other_chapter.organization, chapter=other_chapter, phone="+8613900000000"
    )
    url = f"/communities/{community.pk}/members/add/"
    post = {"action": "new", "new-display_name": "某人", "new-phone": "13900000000"}
    response = client_as("chapter_head").post(
        url, {**post, "new-role": "member"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "A member with this phone number already exists." in html
    assert f"/members/{hidden.pk}/" not in html
    assert "instead" not in html


# Operator user names -----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["has space", "semi;colon", "<script>", "名" * 151, "   "])
def test_operator_usernames_follow_djangos_rules(org_admin, scope_of, username):
    with pytest.raises(ValidationError) as caught:
        create_operator(
            actor=scope_of(org_admin),
            organization=org_admin.organization,
            username=username,
            password=PASSWORD,
            role="assistant",
        )
    assert list(caught.value.message_dict) == ["username"]
    assert Operator.objects.count() == 1
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize("username", ["wang.wu", "wang_wu-2", "王五", "ops+1@example.com"])
def test_valid_operator_usernames(org_admin, scope_of, username):
    operator = create_operator(
        actor=scope_of(org_admin),
        organization=org_admin.organization,
        username=username,
        password=PASSWORD,
        role="org_admin",
    )
    assert operator.user.get_username() == username


def test_operator_form_shows_djangos_username_rule(client_as, org_admin):
    response = client_as("org_admin").post(
        "/accounts/operators/new/",
        {
            "username": "bad name",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "role": "assistant",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("username", code="invalid")
    assert Operator.objects.count() == 1

"""Django admin of every app: open to superusers, closed to everybody else; audit read-only."""

import pytest
from django.test import Client
from django.urls import reverse

from shequn.accounts.models import ApiToken
from shequn.accounts.services import issue_api_token
from shequn.accounts.tests.factories import UserFactory
from shequn.audit.models import AuditEntry
from shequn.members.models import Identity, Membership
from shequn.organizations.services import archive_community

MODELS = [
    ("organizations", "organization"),
    ("organizations", "chapter"),
    ("organizations", "community"),
    ("accounts", "operator"),
    ("accounts", "apitoken"),
    ("members", "member"),
    ("members", "identity"),
    ("members", "membership"),
    ("audit", "auditentry"),
]


@pytest.fixture
def world(org_admin, member, other_member, community, scope_of):
    issue_api_token(actor=None, operator=org_admin, name="ci")
    archive_community(actor=scope_of(org_admin), community=community)  # audited
    return {
        "organization": org_admin.organization,
        "chapter": community.chapter,
        "community": community,
        "operator": org_admin,
        "apitoken": ApiToken.objects.get(),
        "member": member,
        "identity": Identity.objects.filter(member=member).first(),
        "membership": Membership.objects.filter(member=member).first(),
        "auditentry": AuditEntry.objects.get(action="archive"),
    }


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_superuser_sees_list_search_and_object(superuser_client, world, app, model):
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist, {"q": "张"}).status_code == 200
    change = reverse(f"admin:{app}_{model}_change", args=[world[model].pk])
    response = superuser_client.get(change)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "member", "outsider"])
def test_others_are_sent_to_the_admin_sign_in(client_as, world, persona):
    response = client_as(persona).get(reverse("admin:members_member_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_audit_log_is_read_only(superuser_client, world):
    entry = world["auditentry"]
    before = list(AuditEntry.objects.values())
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert superuser_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert superuser_client.post(change, {"actor_name": "someone else"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert list(AuditEntry.objects.values()) == before
    page = superuser_client.get(change).content.decode()
    assert 'name="actor_name"' not in page  # shown, not editable


def test_api_tokens_cannot_be_made_in_the_admin(superuser_client, world):
    assert superuser_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert ApiToken.objects.count() == 1

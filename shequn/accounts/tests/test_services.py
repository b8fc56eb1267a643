import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequn.accounts.models import ApiToken, Operator
from shequn.accounts.selectors import get_operator_scope, get_scope_for_token, hash_token
from shequn.accounts.services import (
    create_operator,
    issue_api_token,
    revoke_api_token,
    update_operator,
)


def test_only_admins_create_operators(org_admin, chapter_head, chapter, scope_of):
    with pytest.raises(PermissionDenied):
        create_operator(
            actor=scope_of(chapter_head),
            organization=chapter.organization,
            username="x",
            password="a-long-pass-phrase",
            role="assistant",
        )
    assert not Operator.objects.filter(user__username="x").exists()
    head = create_operator(
        actor=scope_of(org_admin),
        organization=chapter.organization,
        username="newhead",
        password="a-long-pass-phrase",
        role="chapter_head",
        chapters=[chapter],
    )
    assert get_operator_scope(head.user).chapter_ids == frozenset({chapter.pk})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "chapter_head"}, "chapters"),
        ({"role": "assistant"}, "communities"),
        ({"role": "emperor"}, "role"),
        ({"role": "org_admin", "username": "admin"}, "username"),
        ({"role": "org_admin", "password": "123"}, "password"),
    ],
)
def test_bad_operator_input(org_admin, scope_of, kwargs, field):
    data = {"username": "someone", "password": "a-long-pass-phrase", **kwargs}
    before = Operator.objects.count()
    with pytest.raises(ValidationError) as exc:
        create_operator(actor=scope_of(org_admin), organization=org_admin.organization, **data)
    assert field in exc.value.message_dict
    assert Operator.objects.count() == before


def test_admin_cannot_demote_self(org_admin, chapter, scope_of):
    with pytest.raises(ValidationError):
        update_operator(
            actor=scope_of(org_admin), operator=org_admin, role="chapter_head", chapters=[chapter]
        )
    org_admin.refresh_from_db()
    assert org_admin.role == "org_admin"


def test_token_hash_only_and_revocation(chapter_head, scope_of):
    token, raw = issue_api_token(actor=scope_of(chapter_head), operator=chapter_head, name="ci")
    assert raw.startswith("sq_")
    assert token.token_hash == hash_token(raw)
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    found = get_scope_for_token(raw)
    assert found is not None
    assert found[0].chapter_ids == frozenset(chapter_head.chapters.values_list("id", flat=True))
    revoke_api_token(actor=scope_of(chapter_head), token=token)
    assert get_scope_for_token(raw) is None


def test_cannot_issue_token_for_someone_else(org_admin, chapter_head, scope_of):
    with pytest.raises(PermissionDenied):
        issue_api_token(actor=scope_of(org_admin), operator=chapter_head)
    assert ApiToken.objects.count() == 0


def test_inactive_operator_token_stops_working(org_admin, chapter_head, chapter, scope_of):
    _, raw = issue_api_token(actor=None, operator=chapter_head)
    update_operator(
        actor=scope_of(org_admin),
        operator=chapter_head,
        role="chapter_head",
        chapters=[chapter],
        is_active=False,
    )
    assert get_scope_for_token(raw) is None

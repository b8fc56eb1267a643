"""Two sign-ups with one email at the same moment: the loser is told, nothing is half-written.

Review of issue 5, item 1: the "an account with this email exists" check runs before the
account is saved; a simultaneous sign-up that saves first used to make the second one crash on
the unique user name (500). It now gets the same answer as a sign-up that came second.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from shequn.accounts.tests.factories import UserFactory
from shequn.members.models import EmailVerification, Identity, Member
from shequn.members.services import sign_up_member


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def test_the_sign_up_that_loses_the_race_gets_the_duplicate_answer(org):
    def the_other_sign_up_saves_first(password: str, user: object = None) -> None:
        UserFactory(username="race@example.com", email="race@example.com")

    with (
        mock.patch(
            "shequn.members.services.validate_password",
            side_effect=the_other_sign_up_saves_first,
        ),
        pytest.raises(ValidationError) as exc,
    ):
        sign_up_member(
            organization=org,
            display_name="赵六",
            email="race@example.com",
            password="a-long-pass-phrase",
        )
    assert exc.value.message_dict == {
        "email": ["An account with this email already exists. Sign in instead."]
    }
    # The winner's row was written in this test's transaction (in real life: committed by
    # another connection), so it is rolled back with the loser's: no account remains.
    assert get_user_model().objects.count() == 0
    assert Member.objects.count() == 0
    assert Identity.objects.count() == 0
    assert EmailVerification.objects.count() == 0

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from shequn.accounts.models import Operator, OperatorRole
from shequn.organizations.tests.factories import OrganizationFactory

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operator
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = OperatorRole.ORG_ADMIN

    @factory.post_generation
    def chapters(self, create, extracted, **kwargs):
        if create and extracted:
            self.chapters.set(extracted)

    @factory.post_generation
    def communities(self, create, extracted, **kwargs):
        if create and extracted:
            self.communities.set(extracted)

"""Talk notes for tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from shequn.profiles.models import TalkChannel, TalkNote


class TalkNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TalkNote

    organization = factory.LazyAttribute(lambda o: o.member.organization)
    talked_at = factory.LazyFunction(timezone.now)
    channel = TalkChannel.CHAT
    body = factory.Sequence(lambda n: f"第{n}次沟通")

"""`manage.py create_api_token USERNAME [--name NAME]`: print a new personal API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shequn.accounts.models import Operator
from shequn.accounts.services import issue_api_token


class Command(BaseCommand):
    help = "Issue a personal API token for an operator account and print it (only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user name of an operator account.")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        operator = (
            Operator.objects.select_related("user", "organization")
            .filter(user__username=username)
            .first()
        )
        if operator is None:
            if get_user_model().objects.filter(username=username).exists():
                raise CommandError(
                    _("The user %(username)s has no operator account.") % {"username": username}
                )
            raise CommandError(_("There is no user %(username)s.") % {"username": username})
        if not operator.user.is_active:
            raise CommandError(
                _("The account %(username)s is switched off.") % {"username": username}
            )
        _token, raw = issue_api_token(actor=None, operator=operator, name=options["name"])
        self.stdout.write(raw)

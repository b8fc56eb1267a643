"""Load the demo organisation 培训经理人俱乐部 (slug `pj`) and print how to sign in to it.

    manage.py load_demo                      # load (fails if `pj` exists)
    manage.py load_demo --if-empty           # load unless `pj` exists
    manage.py load_demo --if-empty --print-logins --url http://127.0.0.1:8000/

See shequn/organizations/demo.py for what it contains and docs/demo.md for a tour.
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as clock_time
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shequn.accounts.models import OperatorRole
from shequn.organizations.demo import (
    COMMUNITIES,
    ORG_NAME,
    ORG_SLUG,
    DemoLogin,
    build_demo,
    default_now,
    demo_exists,
    list_demo_logins,
)


def _both(message: str, **params: Any) -> str:
    """A message in Chinese and English ("中文 / English"), once when both read the same."""
    texts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts.append(_(message) % params if params else _(message))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"


def _role(login: DemoLogin) -> str:
    labels = {
        OperatorRole.ORG_ADMIN: gettext_noop("Organisation admin"),
        OperatorRole.CHAPTER_HEAD: gettext_noop("Chapter head"),
        OperatorRole.ASSISTANT: gettext_noop("Assistant"),
        "member": gettext_noop("Member (member pages)"),
    }
    role = _both(labels[login.role])
    return f"{role} · {login.scope}" if login.scope else role


def _parse_day(value: str) -> datetime:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise CommandError(_("--now takes a date such as 2026-03-01.")) from exc
    return timezone.make_aware(datetime.combine(day, clock_time.min))


class Command(BaseCommand):
    help = "Load the demo organisation 培训经理人俱乐部 (slug pj) through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the demo organisation exists (only print logins if asked).",
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="Print the demo sign-ins and the URL."
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="The site's address to print."
        )
        parser.add_argument(
            "--now",
            default="",
            help="The day the demo's dates are relative to (YYYY-MM-DD); default today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _parse_day(options["now"]) if options["now"] else default_now()
        if demo_exists():
            if not options["if_empty"]:
                raise CommandError(
                    _("The demo organisation (%(slug)s) exists already.") % {"slug": ORG_SLUG}
                )
            self.stdout.write(
                _both(gettext_noop("The demo organisation exists already: nothing loaded."))
            )
        else:
            started = time.monotonic()
            result = build_demo(now=now, password=settings.DEMO_PASSWORD)
            self.stdout.write(
                self.style.SUCCESS(
                    _both(
                        gettext_noop(
                            "Loaded %(org)s: %(members)s members, %(communities)s communities"
                            " in %(seconds).1f s."
                        ),
                        org=ORG_NAME,
                        members=result.member_count,
                        communities=len(COMMUNITIES),
                        seconds=time.monotonic() - started,
                    )
                )
            )
            if not result.member_login:
                self.stderr.write(
                    _both(
                        gettext_noop(
                            "DEMO_PASSWORD is too weak for a member account: no demo member login."
                        )
                    )
                )
        if options["print_logins"]:
            self._print_logins(options["url"])

    def _print_logins(self, url: str) -> None:
        base = url if url.endswith("/") else url + "/"

        def link(name: str, *args: str) -> str:
            return urljoin(base, reverse(name, args=args).lstrip("/"))

        places = [
            (gettext_noop("Console"), base),
            (gettext_noop("Member pages"), link("portal:login")),
            (
                gettext_noop("Page of an open community"),
                link("portal:community", ORG_SLUG, "newcomers"),
            ),
            (gettext_noop("Django admin"), link("admin:index")),
        ]
        demo, login_label = _both(gettext_noop("Demo")), _both(gettext_noop("Login"))
        password_label, role_label = _both(gettext_noop("Password")), _both(gettext_noop("Role"))
        logins = list_demo_logins()
        width = max([len(login.username) for login in logins] + [12])
        lines = ["", f"{ORG_NAME} · {demo}"]
        lines += [f"  {_both(label)}: {address}" for label, address in places]
        lines += ["", f"  {login_label:<{width}}  {password_label:<18}  {role_label}"]
        lines += [
            f"  {login.username:<{width}}  {settings.DEMO_PASSWORD:<18}  {_role(login)}"
            for login in logins
        ]
        self.stdout.write("\n".join([*lines, ""]))

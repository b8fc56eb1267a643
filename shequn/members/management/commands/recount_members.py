"""Recompute the maintained counters, pinyin sort keys and the member search index.

The services keep them as they change rows; run this after loading rows in bulk or to repair
drift. Prints how many rows were wrong (0 everywhere: nothing had drifted).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequn.invitations.counters import recount_organization_links
from shequn.members.counters import recount_members
from shequn.organizations.models import Organization
from shequn.payments.counters import recount_prices


class Command(BaseCommand):
    help = "Recompute the member, community, invite link and price counters, sort keys and search."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="slug of one organisation (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = None
        if options["organization"]:
            org = Organization.objects.filter(slug=options["organization"]).first()
            if org is None:
                raise CommandError(f"No organisation with the slug {options['organization']!r}.")
            organization_id = org.pk
        result = recount_members(organization_id=organization_id)
        links = recount_organization_links(organization_id)
        prices = recount_prices(organization_id)
        self.stdout.write(
            f"Corrected {result.chapters} chapters, {result.communities} communities, "
            f"{result.members} members, {result.memberships} memberships, {links} invite links, "
            f"{prices} community prices."
        )

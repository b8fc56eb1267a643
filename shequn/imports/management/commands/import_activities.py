"""Import activities from a file: our JSON Lines or a Telegram Desktop chat export.

    manage.py import_activities FILE [--org SLUG] [--community SLUG] [--rejects PATH]

The format is told by the content. Rows go through the one ingestion service in batches of
10,000 (docs/imports.md): good rows are kept whatever bad rows there are; every bad row is
written to the rejects file (default FILE.rejects.jsonl) with its line or message id and the
reason. A progress bar on a terminal, a plain line every 100,000 rows or 10 seconds otherwise,
then a summary. Exit status 0 when the whole file was read (rejected rows included), 1 when it
could not be read at all (nothing stored) or was cut off mid-way (what came before is stored).
Importing the same file again adds nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from shequn.imports.activity_files import (
    ActivityFileError,
    ImportProgress,
    detect_format,
    import_activity_file,
)
from shequn.imports.limits import max_bytes
from shequn.imports.models import ImportFormat
from shequn.imports.services import RejectsWriter
from shequn.organizations.models import Community, Organization

PLAIN_EVERY_ROWS = 100_000
PLAIN_EVERY_SECONDS = 10.0


class Command(BaseCommand):
    help = "Import activities from a JSON Lines file or a Telegram chat export (result.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", default="", help="Organisation slug (optional when one).")
        parser.add_argument("--community", default="", help="Community slug of rows naming none.")
        parser.add_argument("--rejects", type=Path, default=None, help="Rejects file (JSON Lines).")
        parser.add_argument("--language", default="", help="Language of messages (zh-hans, en).")
        parser.add_argument(
            "--no-progress", action="store_true", help="Plain progress lines even on a terminal."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["language"]:
            translation.activate(options["language"])
        path: Path = options["file"]
        organization = self._organization(options["org"])
        community = self._community(organization, options["community"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        size = path.stat().st_size
        if size > max_bytes():
            raise CommandError(
                _("The file is larger than the limit of %(limit)d bytes (SHEQUN_IMPORT_MAX_BYTES).")
                % {"limit": max_bytes()}
            )
        try:
            fmt = detect_format(path)
        except ActivityFileError as exc:
            raise CommandError(str(exc)) from exc
        if fmt == ImportFormat.TELEGRAM and community is None:
            raise CommandError(
                _("A Telegram export is one chat: name its community with --community SLUG.")
            )
        rejects_path: Path = options["rejects"] or path.with_name(path.name + ".rejects.jsonl")
        label = ImportFormat(fmt).label
        self.stdout.write(
            _("Importing %(file)s (%(format)s, %(size)d bytes) into %(org)s…")
            % {"file": path, "format": label, "size": size, "org": organization.name}
        )
        with RejectsWriter(rejects_path) as rejects:
            if self.stdout.isatty() and not options["no_progress"]:
                state = self._with_bar(path, organization, community, rejects, fmt, size)
            else:
                state = self._with_lines(path, organization, community, rejects, fmt)
        self._summary(state, rejects, rejects_path)
        if state.ended_early:
            raise CommandError(state.ended_early)

    def _organization(self, slug: str) -> Organization:
        if slug:
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(_("No organisation with the slug “%(slug)s”.") % {"slug": slug})
            return org
        orgs = list(Organization.objects.order_by("pk")[:2])
        if len(orgs) != 1:
            raise CommandError(
                _("There is no organisation yet.")
                if not orgs
                else _("There are several organisations: choose one with --org SLUG.")
            )
        return orgs[0]

    def _community(self, organization: Organization, slug: str) -> Community | None:
        if not slug:
            return None
        community = Community.objects.filter(organization=organization, slug=slug).first()
        if community is None:
            raise CommandError(
                _("No community with the slug “%(slug)s” in %(org)s.")
                % {"slug": slug, "org": organization.name}
            )
        return community

    def _with_bar(
        self,
        path: Path,
        organization: Organization,
        community: Community | None,
        rejects: RejectsWriter,
        fmt: str,
        size: int,
    ) -> ImportProgress:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(_("Importing"), total=size or 1, counts="")

            def show(state: ImportProgress) -> None:
                bar.update(task, completed=state.bytes_read, counts=_counts(state))

            state = import_activity_file(
                path=path,
                organization=organization,
                actor=None,
                rejects=rejects,
                community=community,
                format=fmt,
                progress=show,
            )
            bar.update(task, completed=state.bytes_read, counts=_counts(state))
        return state

    def _with_lines(
        self,
        path: Path,
        organization: Organization,
        community: Community | None,
        rejects: RejectsWriter,
        fmt: str,
    ) -> ImportProgress:
        last = {"rows": 0, "at": time.monotonic()}

        def show(state: ImportProgress) -> None:
            now = time.monotonic()
            if (
                state.read - last["rows"] >= PLAIN_EVERY_ROWS
                or now - last["at"] >= PLAIN_EVERY_SECONDS
            ):
                last["rows"], last["at"] = state.read, now
                percent = 100 * state.bytes_read / state.size if state.size else 100
                self.stdout.write(f"{percent:5.1f}%  {_counts(state)}")

        return import_activity_file(
            path=path,
            organization=organization,
            actor=None,
            rejects=rejects,
            community=community,
            format=fmt,
            progress=show,
        )

    def _summary(self, state: ImportProgress, rejects: RejectsWriter, rejects_path: Path) -> None:
        elapsed = max(state.elapsed, 1e-9)
        lines = [
            _("Read: %(n)d") % {"n": state.read},
            _("New: %(n)d") % {"n": state.new},
            _("Duplicate: %(n)d") % {"n": state.duplicate},
            _("Rejected: %(n)d") % {"n": state.rejected},
            _("Skipped: %(n)d") % {"n": state.skipped},
            _("Time: %(s).1f s (%(rate)d rows/s)")
            % {"s": elapsed, "rate": round(state.read / elapsed)},
        ]
        self.stdout.write(_("Summary:") + "\n  " + "\n  ".join(lines))
        if rejects.count:
            self.stdout.write(
                _("Rejected rows and their reasons: %(path)s") % {"path": rejects_path}
            )


def _counts(state: ImportProgress) -> str:
    return _("read %(read)d · new %(new)d · duplicate %(dup)d · rejected %(rej)d") % {
        "read": state.read,
        "new": state.new,
        "dup": state.duplicate,
        "rej": state.rejected,
    }

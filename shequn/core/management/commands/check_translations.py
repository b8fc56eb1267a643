"""Fail when the zh-hans catalogue misses a string of the code, or has fuzzy/untranslated ones.

The code is scanned into a temporary copy of the catalogue (makemessages + msgmerge), so the
check sees new strings without touching the committed files. `make messages-update` writes them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

LOCALE = "zh_Hans"
SOURCES = ["config", "shequn", "templates"]
IGNORE = [".venv/*", "node_modules/*", "var/*", "static/vendor/*", "bench/*", "docs/*"]


def problems(po: polib.POFile) -> list[str]:
    found = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    found += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries() if not e.obsolete]
    return found


class Command(BaseCommand):
    help = "Check that the zh-hans catalogue is complete: no untranslated or fuzzy entries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-scan", action="store_true", help="Only check the committed catalogue."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = Path(settings.LOCALE_PATHS[0])
        committed = locale_dir / LOCALE / "LC_MESSAGES" / "django.po"
        if not committed.exists():
            raise CommandError(f"{committed} is missing: run `make messages-update`.")
        found = problems(polib.pofile(str(committed)))
        if not options["no_scan"]:
            found += [p + " (new in the code)" for p in self.scan(locale_dir) if p not in found]
        if found:
            listing = "\n".join(f"  {p}" for p in found[:200])
            raise CommandError(
                f"The zh-hans catalogue is incomplete ({len(found)} entries):\n{listing}\n"
                "Run `make messages-update`, translate, and commit locale/."
            )
        self.stdout.write(self.style.SUCCESS("zh-hans catalogue complete."))

    def scan(self, locale_dir: Path) -> list[str]:
        """Scan the code into a copy of the catalogue, in a temporary tree of symlinks, so
        makemessages writes there and never into the committed locale/."""
        base = Path(settings.BASE_DIR)
        cwd = Path.cwd()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            shutil.copytree(locale_dir, root / "locale")
            for name in SOURCES:
                if (base / name).exists():
                    (root / name).symlink_to(base / name)
            os.chdir(root)
            try:
                with override_settings(LOCALE_PATHS=[root / "locale"]):
                    call_command(
                        "makemessages",
                        locale=[LOCALE],
                        ignore_patterns=IGNORE,
                        no_obsolete=True,
                        symlinks=True,
                        verbosity=0,
                    )
            finally:
                os.chdir(cwd)
            return problems(
                polib.pofile(str(root / "locale" / LOCALE / "LC_MESSAGES" / "django.po"))
            )

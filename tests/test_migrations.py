"""Every migration of shequn's apps can be unapplied and applied again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

APPS_IN_REVERSE = ("audit", "members", "accounts", "organizations")


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="checked once, on a throw-away SQLite database",
)
def test_migrations_are_reversible(tmp_path):
    env = {**os.environ, "SHEQUN_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    def manage(*args: str) -> str:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    manage("migrate", "-v", "0")
    for app in APPS_IN_REVERSE:
        manage("migrate", app, "zero", "-v", "0")
    unapplied = manage("showmigrations", *APPS_IN_REVERSE)
    assert "[X]" not in unapplied
    manage("migrate", "-v", "0")
    assert "[ ]" not in manage("showmigrations", *APPS_IN_REVERSE)

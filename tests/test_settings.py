"""The environment drives config/settings.py: checked in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PROBE = (
    "import json, config.settings as s; print(json.dumps({'key': s.SECRET_KEY, "
    "'debug': s.DEBUG, 'huey': s.HUEY['huey_class'], 'db': s.DATABASES['default']['ENGINE'], "
    "'hosts': s.ALLOWED_HOSTS, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, "
    "'cache': s.CACHES['default']['BACKEND']}))"
)


def _settings(tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, "SHEQUN_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_defaults_generate_and_keep_a_secret_key(tmp_path):
    first = _settings(tmp_path)
    second = _settings(tmp_path)
    assert first["key"] == second["key"]
    assert len(str(first["key"])) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["debug"] is False
    assert first["huey"] == "huey.SqliteHuey"
    assert first["db"] == "django.db.backends.sqlite3"
    assert first["hosts"] == ["127.0.0.1", "localhost"]
    assert (first["tz"], first["lang"]) == ("Asia/Shanghai", "zh-hans")


def test_environment_overrides(tmp_path):
    got = _settings(
        tmp_path,
        SECRET_KEY="from-the-environment",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/3",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        ALLOWED_HOSTS="shequn.example.org, 10.0.0.2",
    )
    assert got["key"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    assert got["debug"] is True
    assert got["huey"] == "huey.RedisHuey"
    assert got["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert got["db"] == "django.db.backends.postgresql"
    assert got["hosts"] == ["shequn.example.org", "10.0.0.2"]

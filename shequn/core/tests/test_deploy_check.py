"""HTTPS, proxy and deploy settings from the environment; `check --deploy` clean in production."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

DOCS = Path(settings.BASE_DIR) / "docs" / "deployment.md"
CLEARED = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SHEQUN_HTTPS",
    "SHEQUN_BEHIND_PROXY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SHEQUN_SERVE_MEDIA",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in this process; never in production
    "PYTEST_XDIST_WORKER",
    "PYTEST_CURRENT_TEST",
}


def _documented_production_env() -> dict[str, str]:
    """The KEY=value lines of the block after the production-env marker in docs/deployment.md."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- production-env[^>]*-->\s*```sh\n(.*?)```", text, re.S)
    assert block is not None
    env = dict(line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the documented placeholder, filled in
    return env


def _manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, "SHEQUN_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_documented_production_settings_pass_check_deploy(tmp_path) -> None:
    env = _documented_production_env()
    assert env["SHEQUN_HTTPS"] == "1"
    assert env["SHEQUN_BEHIND_PROXY"] == "1"
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_without_https(tmp_path) -> None:
    result = _manage(tmp_path, "check", "--deploy", ALLOWED_HOSTS="shequn.example.org")
    found = set(re.findall(r"security\.W\d+", result.stderr))
    assert found == {"security.W004", "security.W008", "security.W012", "security.W016"}


PROBE = (
    "import json, config.settings as s; print(json.dumps({n: getattr(s, n, None) for n in ("
    "'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
    "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SHEQUN_SERVE_MEDIA')}))"
)


def _probe(tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
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


def test_plain_http_defaults(tmp_path) -> None:
    assert _probe(tmp_path) == {
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_SSL_REDIRECT": None,
        "SESSION_COOKIE_SECURE": None,
        "CSRF_COOKIE_SECURE": None,
        "LANGUAGE_COOKIE_SECURE": None,
        "SECURE_HSTS_SECONDS": None,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": None,
        "SECURE_HSTS_PRELOAD": None,
        "SHEQUN_SERVE_MEDIA": True,
    }


def test_https_behind_a_proxy(tmp_path) -> None:
    result = _probe(
        tmp_path,
        SHEQUN_HTTPS="1",
        SHEQUN_BEHIND_PROXY="1",
        SECURE_HSTS_SECONDS="600",
        SHEQUN_SERVE_MEDIA="0",
    )
    assert result == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SHEQUN_SERVE_MEDIA": False,
    }


@pytest.fixture
def behind_https_proxy(settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 600
    settings.SESSION_COOKIE_SECURE = True


@pytest.mark.usefixtures("behind_https_proxy")
def test_plain_http_is_redirected_to_https(db) -> None:
    response = Client().get("/c/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/c/login/"


@pytest.mark.usefixtures("behind_https_proxy")
def test_https_from_the_proxy_gets_hsts(db) -> None:
    response = Client(headers={"x-forwarded-proto": "https"}).get("/c/login/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=600"


def test_proxy_header_is_ignored_unless_behind_a_proxy(settings, db) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = Client(headers={"x-forwarded-proto": "https"}).get("/c/login/")
    assert response.status_code == 301
    assert "Strict-Transport-Security" not in response

"""Activity ingestion through HTTP: POST /api/v1/activities/batch, 10,000 items a call.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_http .venv/bin/python bench/ingest_http.py

A real server (`manage.py serve --no-consumer`, waitress, on a free port) against a scratch
PostgreSQL database (dropped and created: never point it at a database you keep; the default
is `bench_http`). The same rows — BENCH_HTTP_ROWS activities (default 1,000,000) from
BENCH_HTTP_IDENTITIES new accounts (default 100,000) in ten communities — go

- through HTTP, with an organisation admin's API token, into organisation A;
- straight into `ingest_activities` (the service the endpoint calls), into organisation B;

batch by batch, alternately, so both meet the same table size. Timed: the HTTP request
(send, server-side decode and ingestion, response) and the service call; not the client's
building of the rows. Prints rows/s of both and the ratio HTTP / service (the cost of the
HTTP layer: body transfer, msgspec split, auth, response). Never pass/fail.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = int(os.environ.get("BENCH_HTTP_ROWS", "1000000"))
IDENTITIES = int(os.environ.get("BENCH_HTTP_IDENTITIES", "100000"))
BATCH = int(os.environ.get("BENCH_HTTP_BATCH", "10000"))
COMMUNITIES = 10
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_http")
if not DATABASE_URL.startswith("postgres"):
    sys.exit("bench/ingest_http.py measures PostgreSQL: set DATABASE_URL=postgres://…")
DB_NAME = urlsplit(DATABASE_URL).path.lstrip("/")
if DB_NAME in {"", "postgres", "test", "shequn"}:
    sys.exit(f"refusing to drop database {DB_NAME!r}: use a scratch database (bench_http)")

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-ingest-http")
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.pop("REDIS_URL", None)


def recreate_database() -> None:
    import psycopg

    admin_url = urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


recreate_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from shequn.accounts.models import Operator, OperatorRole  # noqa: E402
from shequn.accounts.selectors import build_scope  # noqa: E402
from shequn.accounts.services import issue_api_token  # noqa: E402
from shequn.accounts.tests.factories import OperatorFactory, UserFactory  # noqa: E402
from shequn.activity.models import Activity, ActivitySource  # noqa: E402
from shequn.activity.services import ingest_activities  # noqa: E402
from shequn.organizations.models import Organization  # noqa: E402
from shequn.organizations.tests.factories import (  # noqa: E402
    CommunityFactory,
    OrganizationFactory,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def setup_org(slug: str) -> tuple[Organization, Operator]:
    org = OrganizationFactory(name=f"压测{slug}", slug=slug)
    for n in range(COMMUNITIES):
        CommunityFactory(organization=org, chapter=None, name=f"群{n}", slug=f"group-{n}")
    operator = OperatorFactory(
        user=UserFactory(username=f"admin-{slug}"), organization=org, role=OperatorRole.ORG_ADMIN
    )
    return org, operator


def batch_rows(start: int, count: int) -> list[bytes]:
    """Rows start … start+count-1 in the interchange format (JSON bytes each)."""
    rows = []
    for i in range(start, start + count):
        person = i % IDENTITIES
        rows.append(
            json.dumps(
                {
                    "id": f"msg-{i}",
                    "channel": "telegram",
                    "kind": "reply" if i % 5 == 0 else "message",
                    "occurred_at": (T0 + timedelta(seconds=i * 7)).isoformat(),
                    "actor": {
                        "external_id": f"user{person}",
                        "display_name": f"成员{person}",
                        "username": f"u{person}",
                    },
                    "community": f"group-{person % COMMUNITIES}",
                    "text": f"第{i}条消息：今天打卡完成",
                    "reply_to": f"msg-{i - 1}" if i % 5 == 0 and i else None,
                },
                ensure_ascii=False,
            ).encode()
        )
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "serve", "--no-consumer", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start")


def main() -> None:
    print(f"database {DB_NAME}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    org_http, admin_http = setup_org("http")
    org_service, admin_service = setup_org("service")
    _token, raw = issue_api_token(actor=None, operator=admin_http, name="bench")
    scope = build_scope(admin_service)
    port = free_port()
    server = start_server(port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    http_seconds = service_seconds = 0.0
    http_new = service_new = 0
    body_bytes = 0
    print(
        f"{ROWS:,} activities from {IDENTITIES:,} new accounts, {BATCH:,} a call, "
        f"through http://127.0.0.1:{port}/ and the service",
        flush=True,
    )
    try:
        for start in range(0, ROWS, BATCH):
            rows = batch_rows(start, min(BATCH, ROWS - start))
            body = b"[" + b",".join(rows) + b"]"
            body_bytes += len(body)
            began = time.perf_counter()
            conn.request("POST", "/api/v1/activities/batch", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            http_seconds += time.perf_counter() - began
            if response.status != 200:
                sys.exit(f"HTTP {response.status}: {answer[:500]!r}")
            result = json.loads(answer)
            if result["rejected"]:
                sys.exit(f"rejected rows: {result['rejected'][:3]}")
            http_new += result["new"]

            began = time.perf_counter()
            outcome = ingest_activities(
                organization=org_service, rows=rows, source=ActivitySource.API, actor=scope
            )
            service_seconds += time.perf_counter() - began
            service_new += outcome.new
            done = start + len(rows)
            if done % (BATCH * 10) == 0 or done == ROWS:
                print(
                    f"  {done:>9,} rows: HTTP {done / http_seconds:,.0f} rows/s, "
                    f"service {done / service_seconds:,.0f} rows/s",
                    flush=True,
                )
    finally:
        conn.close()
        server.terminate()
        server.wait(timeout=30)

    stored_http = Activity.objects.filter(organization=org_http).count()
    stored_service = Activity.objects.filter(organization=org_service).count()
    http_rate = ROWS / http_seconds
    service_rate = ROWS / service_seconds
    print()
    print(f"rows                  {ROWS:>12,}   (bodies {body_bytes / 1e6:,.1f} MB in total)")
    print(f"HTTP    new / stored  {http_new:>12,} / {stored_http:,}")
    print(f"service new / stored  {service_new:>12,} / {stored_service:,}")
    print(f"HTTP batch API        {http_rate:>12,.0f} rows/s   ({http_seconds:,.1f} s)")
    print(f"ingest_activities     {service_rate:>12,.0f} rows/s   ({service_seconds:,.1f} s)")
    print(f"ratio HTTP / service  {http_rate / service_rate:>12.2f}")


if __name__ == "__main__":
    main()

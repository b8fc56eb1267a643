"""Activity ingestion through the real service, against a raw bulk insert of the same rows.

    .venv/bin/python bench/ingest.py

For each database (BENCH_INGEST_DATABASES, default "postgresql,sqlite"), in a process of its
own on a scratch database — PostgreSQL: BENCH_INGEST_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/bench_ingest, dropped and created: never point it at a
database you keep); SQLite: a file in a temporary directory — it ingests BENCH_INGEST_ROWS
activities (default 1,000,000) from BENCH_INGEST_IDENTITIES new channel accounts (default
100,000) in ten communities, BENCH_INGEST_BATCH rows a call (default 10,000), generated lazily
batch by batch (never all in memory), as JSON Lines bytes:

1. through `shequn.activity.services.ingest_activities` (decode, checks, actor resolution that
   creates every new member and identity, staging, INSERT … ON CONFLICT DO NOTHING), and,
   batch by batch alternately, so both meet the same machine load,
   the baseline: the same rows, already as database tuples, by a raw COPY (PostgreSQL) or
   executemany INSERT (SQLite) into a scratch table with the same columns (no index, no
   constraint: the cheapest a database can take them);
2. the same rows again through the service: its rate, and 0 new rows.

Timed: the service call and the raw insert (each in its own transaction); not the
generation of the rows. On PostgreSQL also a second baseline: COPY into a staging table and
INSERT … ON CONFLICT DO NOTHING into a table with the activity table's indexes and unique
constraint (what the database itself must do; no foreign keys). The PostgreSQL scratch
database stays after the run (for EXPLAIN, see docs/activities.md); the next run drops it.
Prints rows/s, the ratios service / baseline (target ≥ 0.5 on PostgreSQL), the second pass,
and the worker's peak RSS (target ≤ 500 MB). Never pass/fail.
BENCH_INGEST_JOINS=1 makes each account's first activity a join (membership effects too).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = int(os.environ.get("BENCH_INGEST_ROWS", "1000000"))
IDENTITIES = int(os.environ.get("BENCH_INGEST_IDENTITIES", "100000"))
BATCH = int(os.environ.get("BENCH_INGEST_BATCH", "10000"))
JOINS = os.environ.get("BENCH_INGEST_JOINS") == "1"
DATABASES = os.environ.get("BENCH_INGEST_DATABASES", "postgresql,sqlite").split(",")
POSTGRES_URL = os.environ.get(
    "BENCH_INGEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_ingest"
)
COMMUNITIES = 10
TYPES = [
    "int8",
    "int8",
    "int8",
    "int8",
    "varchar",
    "varchar",
    "timestamptz",
    "varchar",
    "text",
    "varchar",
    "int2",
    "jsonb",
    "varchar",
    "timestamptz",
]
START = datetime(2026, 1, 1, tzinfo=UTC)
TEXTS = (
    "今天打卡完成",
    "请问有没有做过培训需求调研的模板?",
    "感谢分享,学到了!",
    "周四的沙龙我报名了,有一起的吗?",
    "柯氏四级评估,第三级真的很难落地。",
    "收到,谢谢群主!",
    "线上课的完课率大家一般做到多少?",
    "分享一篇关于混合式学习的文章,大家看看。",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the rows ----------------------------------------------------------------------------------


def batches(prefix: str = "bench") -> Iterator[list[dict[str, Any]]]:
    """The benchmark's rows, BATCH at a time: every account appears first in order (about
    IDENTITIES / batches new ones per batch), the rest of a batch are earlier accounts."""
    rng = random.Random(6)
    batch_count = -(-ROWS // BATCH)
    per_batch_new = -(-IDENTITIES // batch_count)
    next_new = 0
    n = 0
    for _ in range(batch_count):
        rows = []
        size = min(BATCH, ROWS - n)
        for i in range(size):
            if i < per_batch_new and next_new < IDENTITIES:
                who, first = next_new, True
                next_new += 1
            else:
                who, first = rng.randrange(max(next_new, 1)), False
            kind = (
                "join" if first and JOINS else rng.choice(("message",) * 6 + ("reply", "reaction"))
            )
            row: dict[str, Any] = {
                "id": f"{prefix}-{n}",
                "channel": "telegram",
                "kind": kind,
                "occurred_at": (START + timedelta(seconds=n * 7)).isoformat(),
                "actor": {"external_id": f"user{who}", "display_name": f"成员{who}"},
                "community": f"group-{who % COMMUNITIES}",
                "text": rng.choice(TEXTS) if kind == "message" else "",
            }
            if kind in ("reply", "reaction"):
                row["reply_to"] = f"{prefix}-{rng.randrange(max(n, 1))}"
            rows.append(row)
            n += 1
        yield rows


# --- one database, in its own process -----------------------------------------------------------


def worker(database: str) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import msgspec
    from django.core.management import call_command
    from django.db import connection, transaction

    from shequn.activity.services import ingest_activities
    from shequn.organizations.models import Community, Organization

    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="基准", slug="bench")
    communities = [
        Community.objects.create(
            organization=org, kind="regional", name=f"群{i}", slug=f"group-{i}", starts_at=START
        )
        for i in range(COMMUNITIES)
    ]
    community_ids = [c.pk for c in communities]
    encode = msgspec.json.Encoder().encode
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        if sqlite:
            cursor.execute(
                "CREATE TABLE bench_raw (id integer PRIMARY KEY, organization_id integer NOT NULL, "
                "community_id integer, member_id integer NOT NULL, identity_id integer, "
                "channel text NOT NULL, kind text NOT NULL, occurred_at text NOT NULL, "
                "external_id text NOT NULL, text text NOT NULL, reply_to text NOT NULL, "
                "weight integer NOT NULL, properties text NOT NULL, source text NOT NULL, "
                "created_at text NOT NULL)"
            )
        else:
            # The same columns (types, NOT NULL, the id's identity default); no index.
            cursor.execute("CREATE TABLE bench_raw (LIKE activity_activity INCLUDING DEFAULTS)")
            cursor.execute(
                "ALTER TABLE bench_raw ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
            )
            # The second baseline: the same columns with the activity table's indexes and
            # unique constraint (not its foreign keys), ON CONFLICT DO NOTHING from a COPY'd
            # staging table, i.e. what the database itself must do for the service's rows.
            cursor.execute("DROP TABLE IF EXISTS bench_indexed")
            cursor.execute("CREATE TABLE bench_indexed (LIKE activity_activity INCLUDING ALL)")
    columns = (
        "organization_id, community_id, member_id, identity_id, channel, kind, occurred_at, "
        "external_id, text, reply_to, weight, properties, source, created_at"
    )

    def raw_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        now = datetime.now(UTC)
        out = []
        for row in rows:
            who = int(row["actor"]["external_id"][4:])
            at = datetime.fromisoformat(row["occurred_at"])
            out.append(
                (
                    org.pk,
                    community_ids[who % COMMUNITIES],
                    who + 1,
                    who + 1,
                    row["channel"],
                    row["kind"],
                    str(at.replace(tzinfo=None)) if sqlite else at,
                    row["id"],
                    row["text"],
                    row.get("reply_to", ""),
                    1,
                    "{}",
                    "import",
                    str(now.replace(tzinfo=None)) if sqlite else now,
                )
            )
        return out

    def raw_insert(values: list[tuple[Any, ...]]) -> None:
        with transaction.atomic(), connection.cursor() as wrapper:
            if sqlite:
                marks = ", ".join("?" * 14)
                connection.connection.executemany(
                    f"INSERT INTO bench_raw ({columns}) VALUES ({marks})",  # noqa: S608
                    values,
                )
                return
            cursor = wrapper.cursor
            with cursor.copy(f"COPY bench_raw ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                for value in values:
                    copy.write_row(value)

    def indexed_insert(values: list[tuple[Any, ...]]) -> None:
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS bench_stage ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {columns} FROM bench_raw WITH NO DATA"
            )
            with cursor.copy(f"COPY bench_stage ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                for value in values:
                    copy.write_row(value)
            cursor.execute(
                f"INSERT INTO bench_indexed ({columns}) SELECT {columns} FROM bench_stage "  # noqa: S608
                "ON CONFLICT (organization_id, channel, external_id) DO NOTHING"
            )

    service_time = raw_time = indexed_time = again_time = 0.0
    new = duplicate = rejected = 0
    first = 0
    for rows in batches():
        lines = [encode(row) for row in rows]
        values = raw_tuples(rows)
        start = time.perf_counter()
        result = ingest_activities(
            organization=org, rows=lines, source="import", actor=None, first_index=first
        )
        service_time += time.perf_counter() - start
        start = time.perf_counter()
        raw_insert(values)
        raw_time += time.perf_counter() - start
        if not sqlite:
            start = time.perf_counter()
            indexed_insert(values)
            indexed_time += time.perf_counter() - start
        new += result.new
        duplicate += result.duplicate
        rejected += len(result.rejected)
        first += len(rows)
        if first % (BATCH * 10) == 0:
            log(f"{database}: {first:,} rows")
        del lines, values
    again_new = again_duplicate = 0
    first = 0
    for rows in batches():
        lines = [encode(row) for row in rows]
        start = time.perf_counter()
        result = ingest_activities(
            organization=org, rows=lines, source="import", actor=None, first_index=first
        )
        again_time += time.perf_counter() - start
        again_new += result.new
        again_duplicate += result.duplicate
        first += len(rows)
    # 3. Steady state: as many new activities again (new ids), every actor now known — what
    # a community's stream is once its members are in (no account to create), alternating
    # with both baselines on the same rows.
    known_time = known_raw_time = known_indexed_time = 0.0
    known_new = 0
    first = 0
    for rows in batches(prefix="known"):
        lines = [encode(row) for row in rows]
        values = raw_tuples(rows)
        start = time.perf_counter()
        result = ingest_activities(
            organization=org, rows=lines, source="import", actor=None, first_index=first
        )
        known_time += time.perf_counter() - start
        start = time.perf_counter()
        raw_insert(values)
        known_raw_time += time.perf_counter() - start
        if not sqlite:
            start = time.perf_counter()
            indexed_insert(values)
            known_indexed_time += time.perf_counter() - start
        known_new += result.new
        first += len(rows)
    from shequn.members.models import Identity, Member

    return {
        "known_s": known_time,
        "known_raw_s": known_raw_time,
        "known_indexed_s": known_indexed_time,
        "known_new": known_new,
        "database": database,
        "rows": ROWS,
        "new": new,
        "duplicate": duplicate,
        "rejected": rejected,
        "members": Member.objects.count(),
        "identities": Identity.objects.count(),
        "service_s": service_time,
        "raw_s": raw_time,
        "indexed_s": indexed_time,
        "again_s": again_time,
        "again_new": again_new,
        "again_duplicate": again_duplicate,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- orchestration -----------------------------------------------------------------------------


def _postgres_database(url: str, action: str) -> bool:
    import psycopg

    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if action == "create":
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def run(database: str) -> dict[str, Any] | None:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if database == "postgresql":
            if not _postgres_database(POSTGRES_URL, "create"):
                log("PostgreSQL does not answer: skipped")
                return None
            env["DATABASE_URL"] = POSTGRES_URL
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench_ingest.sqlite3"
        done = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--worker", database],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
    return dict(json.loads(done.stdout))


def report(result: dict[str, Any]) -> None:
    rows = result["rows"]
    service = rows / result["service_s"]
    raw = rows / result["raw_s"]
    baseline = "raw COPY" if result["database"] == "postgresql" else "raw executemany"
    print(f"\n{result['database']}: {rows:,} activities, {result['identities']:,} new identities")
    print(
        f"  service      {service:>10,.0f} rows/s  ({result['service_s']:.1f} s; "
        f"new {result['new']:,}, duplicate {result['duplicate']:,}, "
        f"rejected {result['rejected']:,}; members created {result['members']:,})"
    )
    print(f"  {baseline:<12} {raw:>10,.0f} rows/s  ({result['raw_s']:.1f} s)")
    print(f"  ratio service / {baseline}: {service / raw:.2f}  (target ≥ 0.5 on PostgreSQL)")
    if result["indexed_s"]:
        indexed = rows / result["indexed_s"]
        print(
            f"  COPY + INSERT ON CONFLICT into the same indexes {indexed:,.0f} rows/s "
            f"({result['indexed_s']:.1f} s); ratio service / it: {service / indexed:.2f}"
        )
    print(
        f"  again        {rows / result['again_s']:>10,.0f} rows/s  ({result['again_s']:.1f} s; "
        f"new {result['again_new']:,}, duplicate {result['again_duplicate']:,})"
    )
    known = rows / result["known_s"]
    known_raw = rows / result["known_raw_s"]
    print(
        f"  known actors {known:>10,.0f} rows/s  ({result['known_s']:.1f} s; new "
        f"{result['known_new']:,}; no account to create); ratio / {baseline} "
        f"{known / known_raw:.2f}"
        + (
            f", / COPY + INSERT ON CONFLICT into the same indexes "
            f"{known / (rows / result['known_indexed_s']):.2f}"
            if result["known_indexed_s"]
            else ""
        )
    )
    print(f"  peak RSS     {result['peak_rss_mb']:>10,.0f} MB  (target ≤ 500 MB)")
    sys.stdout.flush()


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2])))
        return 0
    print(
        f"bench/ingest.py: {ROWS:,} rows, {IDENTITIES:,} identities, batches of {BATCH:,}"
        + (", first activity of each account a join" if JOINS else "")
    )
    for database in DATABASES:
        result = run(database)
        if result is not None:
            report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

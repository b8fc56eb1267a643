"""The recompute of stages, layers and rule tags at 100,000 members and 2,000,000 activities.

    .venv/bin/python bench/recompute.py

On PostgreSQL (BENCH_RECOMPUTE_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/bench_recompute, dropped and created: never point it at a
database you keep) and, with BENCH_RECOMPUTE_DATABASES=postgresql,sqlite, on SQLite in a
temporary file. One organisation of BENCH_RECOMPUTE_MEMBERS members (default 100,000) in 20
communities of the six kinds (each member in one to three), with BENCH_RECOMPUTE_ACTIVITIES
activities (default 2,000,000) over the last 365 days — messages (some with the rule
keywords), replies, reactions, posts, check-ins, event attendances, custom activities and
purchases; a tenth of the members silent — and four switched-on rule tags (a keyword, a stage,
a layer, a custom activity). Rows go in by COPY / executemany, not through the services (the
recompute reads tables, not how they were written).

Measured, each in a fresh process (so its peak RSS is the recompute's own):
1. the baseline: one `SELECT member_id, count(*) … GROUP BY member_id` over the activities
   (median of 3);
2. the full recompute from nothing (every member placed for the first time), then a second
   one a day later (the steady nightly run); their times, ratios to the baseline (target
   ≤ 3 for the nightly run), peak RSS, and what each changed;
3. incremental: 10,000 new activities of 5,000 members through `ingest_activities` (which
   marks them), then the time until `run_incremental_recompute` has computed every marked
   member, and its ratio to the full recompute;
4. segments: a segment's count and first page (stage + layer + tag filters) against a plain
   `count(*)` of the members table, when shequn.segments provides `count_segment`.
Never pass/fail; prints figures and ratios.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMBERS = int(os.environ.get("BENCH_RECOMPUTE_MEMBERS", "100000"))
ACTIVITIES = int(os.environ.get("BENCH_RECOMPUTE_ACTIVITIES", "2000000"))
DATABASES = os.environ.get("BENCH_RECOMPUTE_DATABASES", "postgresql").split(",")
POSTGRES_URL = os.environ.get(
    "BENCH_RECOMPUTE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_recompute"
)
COMMUNITIES = 20
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEXTS = (
    "今天打卡完成",
    "请问有没有做过培训需求调研的模板?",
    "感谢分享,学到了!",
    "周四的沙龙我报名了,有一起的吗?",
    "我在北京大学读书的时候也做过",
    "下周我去北京出差,有空见面",
    "柯氏四级评估,第三级真的很难落地。",
    "做私域流量的朋友可以交流一下",
)
KINDS = (
    ("message", 40),
    ("reply", 15),
    ("reaction", 25),
    ("post", 3),
    ("check_in", 10),
    ("event_attendance", 2),
    ("custom", 4),
    ("purchase", 1),
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup_django(database: str, path: str) -> None:
    os.environ["SHEQUN_VAR_DIR"] = tempfile.mkdtemp(prefix="shequn-bench-rc-")
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_URL"] = POSTGRES_URL if database == "postgresql" else f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build() -> dict[str, Any]:
    """Migrate and fill the scratch database; the organisation's id."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from shequn.members.models import Member, Membership
    from shequn.organizations.models import Chapter, Community, CommunityKind, Organization
    from shequn.tags.models import RuleType, Tag

    call_command("migrate", verbosity=0)
    rng = random.Random(8)
    started = time.perf_counter()
    org = Organization.objects.create(name="基准组织", slug="bench")
    chapter = Chapter.objects.create(organization=org, name="上海分会", slug="sh", city="上海")
    kinds = CommunityKind.values
    communities = [
        Community.objects.create(
            organization=org,
            chapter=chapter,
            kind=kinds[i % len(kinds)],
            name=f"社群{i}",
            slug=f"c{i}",
            starts_at=NOW - timedelta(days=400),
            sort_key=f"c{i:03d}",
        )
        for i in range(COMMUNITIES)
    ]
    batch = 10_000
    for start in range(0, MEMBERS, batch):
        Member.objects.bulk_create(
            [
                Member(
                    organization=org,
                    chapter=chapter,
                    display_name=f"成员{n}",
                    sort_key=f"m{n:07d}",
                )
                for n in range(start, min(start + batch, MEMBERS))
            ]
        )
    member_ids = list(Member.objects.filter(organization=org).values_list("pk", flat=True))
    log(f"{len(member_ids)} members")
    rows: list[Membership] = []
    plan: list[tuple[int, int, datetime]] = []
    for pk in member_ids:
        for community in rng.sample(communities, rng.choice((1, 1, 2, 3))):
            joined = NOW - timedelta(days=rng.uniform(1, 380))
            plan.append((pk, community.pk, joined))
            rows.append(
                Membership(
                    member_id=pk,
                    community_id=community.pk,
                    joined_at=joined,
                    status="active" if rng.random() > 0.08 else "left",
                    member_sort_key=f"m{pk:07d}",
                )
            )
        if len(rows) >= batch:
            Membership.objects.bulk_create(rows)
            rows = []
    Membership.objects.bulk_create(rows)
    log(f"{len(plan)} memberships")
    silent = set(rng.sample(member_ids, len(member_ids) // 10))
    talkers = [p for p in plan if p[0] not in silent]
    weights = [w for _k, w in KINDS]
    names = [k for k, _w in KINDS]

    def activity_rows() -> Any:
        for n in range(ACTIVITIES):
            member_id, community_id, joined = talkers[rng.randrange(len(talkers))]
            kind = rng.choices(names, weights)[0]
            span = (NOW - joined).total_seconds()
            at = joined + timedelta(seconds=rng.uniform(0, span))
            text = rng.choice(TEXTS) if kind in ("message", "reply", "post") else ""
            props = "{}"
            if kind == "event_attendance":
                props = '{"event_kind": "salon"}'
            elif kind == "custom":
                props = '{"name": "lesson_done"}'
            yield (org.pk, community_id, member_id, kind, at, f"b-{n}", text, props)

    _copy_activities(activity_rows())
    log(f"{ACTIVITIES} activities")
    with transaction.atomic():
        connection.cursor().execute(
            "UPDATE organizations_community SET member_count = (SELECT COUNT(*) FROM "
            "members_membership ms WHERE ms.community_id = organizations_community.id "
            "AND ms.status = 'active')"
        )
    for name, rule_type, rule in (
        ("北京", RuleType.KEYWORD, {"keywords": ["北京"], "match": "word", "min_count": 1}),
        ("熟客", RuleType.STAGE, {"stages": [4, 5, 6]}),
        ("积极分子", RuleType.LAYER, {"layer": "core", "community_id": None}),
        ("上课", RuleType.ACTIVITY_KIND, {"activity_kind": "lesson_done", "min_count": 3}),
    ):
        Tag.objects.create(
            organization=org, name=name, rule_type=rule_type, rule=rule, is_active=True
        )
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in service: statistics and the visibility map (which
        # lets the baseline's GROUP BY read an index only). Without it the baseline's plan
        # depends on when autovacuum happened to run (0.6–1.1 s seen for the same data).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    log(f"built in {time.perf_counter() - started:.0f} s")
    return {"org": org.pk}


def _copy_activities(rows: Any) -> None:
    from django.db import connection, transaction

    columns = (
        "organization_id, community_id, member_id, identity_id, channel, kind, occurred_at, "
        "external_id, text, reply_to, weight, properties, source, created_at"
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as wrapper:
                cursor = wrapper.cursor
                with cursor.copy(f"COPY activity_activity ({columns}) FROM STDIN") as copy:
                    for org, community, member, kind, at, ext, text, props in rows:
                        copy.write_row(
                            (
                                org,
                                community,
                                member,
                                None,
                                "wecom",
                                kind,
                                at,
                                ext,
                                text,
                                "",
                                1,
                                props,
                                "import",
                                NOW,
                            )
                        )
            return
        db = connection.connection
        marks = ", ".join(["?"] * 14)
        stamp = str(NOW.replace(tzinfo=None))
        chunk: list[tuple[Any, ...]] = []
        for org, community, member, kind, at, ext, text, props in rows:
            chunk.append(
                (
                    org,
                    community,
                    member,
                    None,
                    "wecom",
                    kind,
                    str(at.astimezone(UTC).replace(tzinfo=None)),
                    ext,
                    text,
                    "",
                    1,
                    props,
                    "import",
                    stamp,
                )
            )
            if len(chunk) >= 20_000:
                db.executemany(f"INSERT INTO activity_activity ({columns}) VALUES ({marks})", chunk)  # noqa: S608
                chunk = []
        if chunk:
            db.executemany(f"INSERT INTO activity_activity ({columns}) VALUES ({marks})", chunk)  # noqa: S608


def measure_baseline(org_id: int) -> dict[str, Any]:
    from django.db import connection

    times = []
    for _ in range(3):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT member_id, COUNT(*) FROM activity_activity WHERE organization_id = %s "
                "GROUP BY member_id",
                [org_id],
            )
            groups = len(cursor.fetchall())
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "groups": groups, "rss_mb": peak_rss_mb()}


def _baseline_once(org_id: int, *, tuned: bool = False) -> float:
    """One baseline GROUP BY; `tuned`: in a transaction with the recompute's session settings
    (shequn.core.sqlsets.tune_for_sets), for the ratio against the same memory."""
    from django.db import connection, transaction

    from shequn.core.sqlsets import tune_for_sets

    with transaction.atomic():
        if tuned:
            tune_for_sets()
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT member_id, COUNT(*) FROM activity_activity WHERE organization_id = %s "
                "GROUP BY member_id",
                [org_id],
            )
            cursor.fetchall()
        return time.perf_counter() - start


def measure_nights(org_id: int) -> dict[str, Any]:
    """Three nightly runs (1, 2 and 3 days after the first), each right after the baseline
    and the tuned baseline in this process: the medians and the median of the ratios."""
    nights = []
    for day in (1, 2, 3):
        base = _baseline_once(org_id)
        tuned = _baseline_once(org_id, tuned=True)
        night = measure_full(org_id, day)
        nights.append((base, tuned, night))
    last = nights[-1][2]
    return {
        **last,
        "seconds": statistics.median(n["seconds"] for _b, _t, n in nights),
        "all_seconds": [round(n["seconds"], 2) for _b, _t, n in nights],
        "baseline_seconds": statistics.median(b for b, _t, _n in nights),
        "tuned_baseline_seconds": statistics.median(t for _b, t, _n in nights),
        "ratio": statistics.median(n["seconds"] / b for b, _t, n in nights),
        "tuned_ratio": statistics.median(n["seconds"] / t for _b, t, n in nights),
    }


def measure_full(org_id: int, days_later: int) -> dict[str, Any]:
    from shequn.organizations.models import Organization
    from shequn.profiles.recompute import run_full_recompute

    org = Organization.objects.get(pk=org_id)
    start = time.perf_counter()
    run = run_full_recompute(org, as_of=NOW + timedelta(days=days_later))
    seconds = time.perf_counter() - start
    assert run is not None
    return {
        "seconds": seconds,
        "rss_mb": peak_rss_mb(),
        "members": run.members,
        "stage_changes": run.stage_changes,
        "layer_changes": run.layer_changes,
        "tags_added": run.tags_added,
        "tags_removed": run.tags_removed,
    }


def measure_incremental(org_id: int) -> dict[str, Any]:
    from django.db.models import Max

    from shequn.activity.models import ActivitySource
    from shequn.activity.services import ingest_activities
    from shequn.members.models import Identity, Member
    from shequn.organizations.models import Community, Organization
    from shequn.profiles.models import PendingRecompute
    from shequn.profiles.recompute import run_incremental_recompute

    org = Organization.objects.get(pk=org_id)
    rng = random.Random(9)
    last = Member.objects.filter(organization=org).aggregate(m=Max("pk"))["m"]
    chosen = rng.sample(range(last - MEMBERS + 1, last + 1), 5000)
    # Each chosen member gets a WeCom account, so the new rows are theirs.
    Identity.objects.bulk_create(
        [
            Identity(organization=org, member_id=pk, channel="wecom", external_id=f"wm{pk}")
            for pk in chosen
        ],
        ignore_conflicts=True,
    )
    slugs = list(Community.objects.filter(organization=org).values_list("slug", flat=True))
    rows = [
        {
            "id": f"inc-{n}",
            "channel": "wecom",
            "kind": rng.choice(("message", "reaction", "check_in")),
            "occurred_at": (NOW + timedelta(days=1, minutes=n % 600)).isoformat(),
            "actor": {"external_id": f"wm{chosen[n % len(chosen)]}"},
            "community": rng.choice(slugs),
            "text": "新的一天" if n % 3 == 0 else "",
        }
        for n in range(10_000)
    ]
    start_ingest = time.perf_counter()
    result = ingest_activities(organization=org, rows=rows, source=ActivitySource.API, actor=None)
    ingest_seconds = time.perf_counter() - start_ingest
    marked = PendingRecompute.objects.filter(organization=org).count()
    start = time.perf_counter()
    run = run_incremental_recompute(org, as_of=NOW + timedelta(days=1, hours=12))
    seconds = time.perf_counter() - start
    left = PendingRecompute.objects.filter(organization=org).count()
    return {
        "ingest_seconds": ingest_seconds,
        "new": result.new,
        "marked": marked,
        "seconds": seconds,
        "members": run.members if run else 0,
        "stage_changes": run.stage_changes if run else 0,
        "layer_changes": run.layer_changes if run else 0,
        "left": left,
        "rss_mb": peak_rss_mb(),
    }


def measure_segments(org_id: int) -> dict[str, Any]:
    from django.db import connection

    try:
        from shequn.segments import selectors as seg
        from shequn.segments.filters import SegmentFilters  # noqa: F401
    except ImportError:
        return {"skipped": "shequn.segments has no count_segment yet"}
    from shequn.accounts.models import Operator, OperatorRole
    from shequn.accounts.selectors import build_scope
    from shequn.organizations.models import Organization

    org = Organization.objects.get(pk=org_id)
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-admin")
    operator, _ = Operator.objects.get_or_create(
        user=user, defaults={"organization": org, "role": OperatorRole.ORG_ADMIN}
    )
    actor = build_scope(operator)
    from shequn.tags.models import Tag

    tag = Tag.objects.get(organization=org, name="北京")

    def count_plain() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM members_member WHERE organization_id = %s", [org_id]
            )
            return int(cursor.fetchone()[0])

    def timed(fn: Any) -> float:
        fn()
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    plain = timed(count_plain)
    out: dict[str, Any] = {"plain_count_seconds": plain}
    try:
        from shequn.segments.filters import clean_filters

        cases = {
            "stage 3-6": {"stages": [3, 4, 5, 6]},
            "core layer + tag": {"layers": ["core"], "tags_any": [tag.pk]},
            "active in 30 days ≥5": {"activity": {"kinds": [], "min_count": 5, "window_days": 30}},
        }
        for name, raw in cases.items():
            filters = clean_filters(actor=actor, data=raw)
            count = timed(lambda f=filters: seg.count_segment(actor=actor, filters=f))
            first = timed(
                lambda f=filters: list(
                    seg.segment_members(actor=actor, filters=f).order_by("sort_key", "pk")[:25]
                )
            )
            out[name] = {
                "count_seconds": count,
                "first_page_seconds": first,
                "count": seg.count_segment(actor=actor, filters=filters),
                "count_ratio": count / plain,
                "first_page_ratio": first / plain,
            }
    except (ImportError, AttributeError, TypeError) as exc:
        out["skipped"] = f"segments API differs: {exc!r}"
    return out


STEPS = {
    "baseline": measure_baseline,
    "full": lambda org: measure_full(org, 0),
    "nightly": measure_nights,
    "incremental": measure_incremental,
    "segments": measure_segments,
}


def worker(database: str, path: str, step: str, org_id: int) -> None:
    setup_django(database, path)
    if step == "build":
        print(json.dumps(build()))
        return
    print(json.dumps(STEPS[step](org_id)))


def _postgres(action: str) -> bool:
    import psycopg

    base, name = POSTGRES_URL.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            if action == "create":
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.OperationalError as exc:
        log(f"PostgreSQL not reachable: {exc}")
        return False


def run(database: str) -> dict[str, Any] | None:
    path = os.path.join(tempfile.mkdtemp(prefix="shequn-rc-"), "bench.sqlite3")
    if database == "postgresql" and not _postgres("create"):
        return None

    def step(name: str, org_id: int = 0) -> dict[str, Any]:
        log(f"{database}: {name}")
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--worker", database, path, name, str(org_id)],
            check=True,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(out.stderr)
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    org_id = int(step("build")["org"])
    results = {
        name: step(name, org_id)
        for name in ("baseline", "full", "nightly", "incremental", "segments")
    }
    return results


def report(database: str, r: dict[str, Any]) -> None:
    base = r["baseline"]["seconds"]
    print(f"\n## {database}: {MEMBERS:,} members, {ACTIVITIES:,} activities")
    print(f"baseline GROUP BY member: {base:.2f} s ({r['baseline']['groups']:,} members)")
    for name in ("full", "nightly"):
        x = r[name]
        print(
            f"{name:>11}: {x['seconds']:.2f} s = {x['seconds'] / base:.2f}× baseline"
            f"; peak RSS {x['rss_mb']:.0f} MB; {x['members']:,} members,"
            f" {x['stage_changes']:,} stage changes, {x['layer_changes']:,} layer changes,"
            f" +{x['tags_added']:,}/−{x['tags_removed']:,} tags"
        )
    x = r["nightly"]
    print(
        f"    nightly, 3 nights {x['all_seconds']} s, each right after its own baseline:"
        f" median {x['seconds']:.2f} s; baseline median {x['baseline_seconds']:.2f} s;"
        f" ratio (median of the nights) {x['ratio']:.2f}× (target ≤ 3); against the baseline"
        f" with the recompute's work_mem and JIT off ({x['tuned_baseline_seconds']:.2f} s):"
        f" {x['tuned_ratio']:.2f}×"
    )
    inc = r["incremental"]
    print(
        f"incremental: ingest {inc['new']:,} new activities in {inc['ingest_seconds']:.2f} s,"
        f" {inc['marked']:,} members marked; computed in {inc['seconds']:.2f} s ="
        f" {inc['seconds'] / r['nightly']['seconds']:.3f}× the nightly full run;"
        f" {inc['stage_changes']:,} stage / {inc['layer_changes']:,} layer changes;"
        f" {inc['left']} marks left; peak RSS {inc['rss_mb']:.0f} MB"
    )
    seg = r["segments"]
    if "skipped" in seg:
        print(f"segments: {seg['skipped']}")
    for name, x in seg.items():
        if isinstance(x, dict):
            print(
                f"segment {name}: {x['count']:,} members; count {x['count_seconds'] * 1000:.0f} ms"
                f" = {x['count_ratio']:.1f}× plain count(*)"
                f" ({seg['plain_count_seconds'] * 1000:.1f} ms); first page"
                f" {x['first_page_seconds'] * 1000:.0f} ms = {x['first_page_ratio']:.1f}×"
            )


def main() -> int:
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return 0
    for database in DATABASES:
        results = run(database)
        if results is not None:
            report(database, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

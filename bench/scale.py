"""Scale benchmark: every console list and API list at 300, 10,000 and 100,000 members.

Run with `make bench-scale` (or `.venv/bin/python bench/scale.py`). For each database (SQLite
in temporary directories; PostgreSQL when one answers at BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/bench_scale, one database per size with "_<size>" appended,
created and dropped) it starts one process per size: each loads the demo organisation (~300
members) and grows it to 10,000 or 100,000 members — the new ones all in one community, the
Shanghai regional group. Then, round after round, it asks every size for every page in turn
(in random order), so all sizes are measured under the same machine load; it prints each
page's median time and its ratio to the 300-member time. Target: every page within 1.5× of
its 300-member time at 100,000 members; the script exits 1 when a page misses it.

The new members arrive by bulk_create (with an identity each, and the audit entry their join
would have written), and then `shequn.members.counters.recount_members` gives them exactly the
counters, sort keys and search index the services would have (tested in
shequn/members/tests/test_counters.py). Each new member also gets the activity history
ingestion would have stored (Activity rows by bulk_create, the same columns): a join at their
membership's joined_at (spread over the last six months), then ~10 activities on average (a
third lurk; message, reply, reaction, post, check-in) at random times since, on WeCom or, for
one in 25, WeChat. At every size (a floor that fills a page even for the demo, plus more in
proportion): duplicate accounts (60 + 1 per 100 members: a Telegram account giving a member's
phone), the suggestions `refresh_merge_suggestions` finds for them (and for namesakes), 30 + 1
per 2,000 members of them accepted through `accept_suggestion`, and import jobs (40 + 1 per
500 members; rows only). Issue 7 (`JoiningWorld`, rows by bulk_create with the columns the
services write, counters kept): invite links (20 + 1 per 400 members, most of them members'
own) with InviteJoin rows for 30% of the grown memberships, applications to the private
铁粉群 (150 + 1 per 20) with their decisions, orders of the paid 交付群 (130 + 1 per 20) with
terms, memberships and payment notifications, a waitlist in a full community (30 + 1 per
400), leave requests (40 + 1 per 100) and blacklist entries (20 + 1 per 400); its pages
("i7:" in their names) are looked up by URL name, so a route not written yet is left out.
Pages that do not answer 200 when the worker starts are left out with a note on stderr (a
page still being written).

Environment: BENCH_SCALE_SIZES (default "10000,100000"), BENCH_SCALE_ROUNDS (default 25),
BENCH_SCALE_DATABASES (default "sqlite,postgresql"), BENCH_SCALE_MARKDOWN=1 for a Markdown
table. `--pages WORD[,WORD…]` measures only the pages whose name contains one of the words
(e.g. `--pages search`; `--pages i7:` the pages of issue 7); the sizes are still grown in
full. `--explain WORD[,WORD…]` grows the same sizes and prints, for each of those pages, its
number of queries and the plans of its slowest ones (EXPLAIN ANALYZE / EXPLAIN QUERY PLAN).
`--worker sqlite|postgresql` runs one database and prints JSON (used internally).
"""

from __future__ import annotations

import atexit
import functools
import html
import io
import json
import os
import random
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_SCALE_ROUNDS", "25"))
SIZES = [int(s) for s in os.environ.get("BENCH_SCALE_SIZES", "10000,100000").split(",")]
DATABASES = os.environ.get("BENCH_SCALE_DATABASES", "sqlite,postgresql").split(",")
# Each size gets its own database: this URL with "_<size>" appended.
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_scale"
)
TARGET = 1.5
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国俊"
    "峰宇浩然子轩梓涵一诺欣怡雨泽思远嘉怡晨阳"
)
# The activity history of the grown members: the mean per member (a third lurk: none), the
# mix of kinds, the share who speak on WeChat (1 in N), when they joined (seconds ago).
ACTIVITIES_PER_MEMBER = 10
LURKERS = 0.33
ACTIVITY_KINDS = ("message", "reply", "reaction", "post", "check_in")
ACTIVITY_WEIGHTS = (50, 20, 17, 5, 8)
WECHAT_SHARE = 25
JOINED_WITHIN = (7 * 86400, 183 * 86400)
TEXTS = (
    "大家好,请多关照!",
    "今天的分享太有收获了,感谢老师!",
    "请问有没有培训需求调研的模板?",
    "周四的沙龙我报名了,有一起的吗?",
    "收到,谢谢群主!",
    "已经打卡,坚持就是胜利",
)
# (floor, one per N members): duplicate accounts, accepted merges, import jobs.
DUPLICATES = (60, 100)
MERGES = (30, 2000)
IMPORT_JOBS = (40, 500)
ACTIVITY_TABLES = (
    "activity_activity",
    "imports_importjob",
    "members_mergesuggestion",
    "members_merge",
)


# --- orchestration ---------------------------------------------------------------------------


def _postgres_url(size: int) -> str:
    return f"{POSTGRES_URL}_{size}"


def _postgres_database(url: str, action: str) -> bool:
    """Create (fresh) or drop a benchmark database; False when PostgreSQL does not answer."""
    try:
        import psycopg
    except ImportError:
        return False
    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if action == "create":
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


class Worker:
    """One database of one size in its own process, answering "time this page once"."""

    def __init__(self, database: str, size: int) -> None:
        self.database, self.size = database, size
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if database == "postgresql":
            env["DATABASE_URL"] = _postgres_url(size)
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "--worker", database, str(size)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def ask(self, line: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer:
            raise SystemExit(f"{self.database} {self.size}: worker ended")
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def orchestrate(selected: list[str] | None = None) -> int:
    """Every size of a database runs at once; each round asks each of them for each page in
    turn, so all sizes share the same machine load (other work on a shared machine moves
    absolute times, not the ratios)."""
    results: dict[str, Any] = {}
    sizes = [0, *SIZES]  # 0: the demo alone (~300 members)
    failed = False
    for database in DATABASES:
        if database == "postgresql" and not all(
            _postgres_database(_postgres_url(size), "create") for size in sizes
        ):
            log("PostgreSQL does not answer: skipped")
            continue
        workers = [Worker(database, size) for size in sizes]
        try:
            ready = [json.loads(w.ask("ready")) for w in workers]
            everywhere = set.intersection(*(set(r["pages"]) for r in ready))
            pages: list[str] = [
                p
                for p in ready[0]["pages"]
                if p in everywhere and (not selected or any(w in p for w in selected))
            ]
            samples: dict[str, list[list[float]]] = {p: [[] for _ in workers] for p in pages}
            rng = random.Random(1)
            for _ in range(3):  # warm-up
                for page in pages:
                    for w in workers:
                        w.ask(page)
            for _ in range(ROUNDS):
                for page in pages:
                    order = list(range(len(workers)))
                    rng.shuffle(order)
                    for i in order:
                        samples[page][i].append(float(workers[i].ask(page)))
            results[database] = {
                "sizes": [r["members"] for r in ready],
                "pages": {p: [statistics.median(s) for s in samples[p]] for p in pages},
            }
        finally:
            for w in workers:
                w.close()
            if database == "postgresql":
                for size in sizes:
                    _postgres_database(_postgres_url(size), "drop")
        if database in results:  # each database's table as soon as it is measured
            failed |= report({database: results[database]})
    print()
    print("target: every page within 1.5× at the largest size:", "MISSED" if failed else "ok")
    return 1 if failed else 0


def report(results: dict[str, Any]) -> bool:
    """Print the tables; True when a page misses the target at the largest size."""
    markdown = os.environ.get("BENCH_SCALE_MARKDOWN") == "1"
    failed = False
    for database, data in results.items():
        sizes = data["sizes"]
        print()
        title = f"{database}: median ms (ratio to {sizes[0]:,} members), {ROUNDS} rounds"
        head = ["page", *(f"{s:,}" for s in sizes)]
        rows = []
        for page, times in data["pages"].items():
            base = times[0]
            cells = [f"{base:.1f}"]
            for t in times[1:]:
                ratio = t / base
                missed = ratio > TARGET
                failed |= missed and t is times[-1]
                cells.append(f"{t:.1f} ({ratio:.2f}×){' MISSED' if missed else ''}")
            rows.append([page, *cells])
        if markdown:
            print(f"**{title}**\n")
            print("| " + " | ".join(head) + " |")
            print("|" + "---|" * len(head))
            for row in rows:
                print("| " + " | ".join(row) + " |")
        else:
            print(title)
            widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
            for row in [head, *rows]:
                print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()
    return failed


# --- one database of one size ----------------------------------------------------------------


def worker(database: str, size: int) -> None:
    var_dir = tempfile.mkdtemp(prefix="shequn-scale-")  # the SQLite database: ~0.6 GB at 100k
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    os.environ["SHEQUN_VAR_DIR"] = var_dir
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    quiet = io.StringIO()  # stdout carries the answers
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    call_command("load_demo", verbosity=0, stdout=quiet)
    world = World()
    started = time.perf_counter()
    world.populate(size)
    log(f"{database}: {world.member_total()} members in {time.perf_counter() - started:.0f} s")
    pages = world.pages()
    for line in sys.stdin:
        command = line.rstrip("\n")
        if command == "ready":
            answer = json.dumps({"members": world.member_total(), "pages": list(pages)})
        elif command.startswith("explain "):
            answer = json.dumps(explain(pages[command.removeprefix("explain ")]))
        else:
            start = time.perf_counter()
            pages[command]()
            answer = f"{(time.perf_counter() - start) * 1000:.3f}"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


def explain(page: Callable[[], None], top: int = 3) -> dict[str, Any]:
    """Open the page once with the queries captured: their number, and the `top` slowest
    with their plans (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page()
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    slowest = []
    for query in queries[:top]:
        sql = query["sql"]
        plan: list[str] = []
        if sql.lstrip().upper().startswith("SELECT"):
            prefix = (
                "EXPLAIN (ANALYZE, BUFFERS) "
                if connection.vendor == "postgresql"
                else "EXPLAIN QUERY PLAN "
            )
            try:
                with connection.cursor() as cursor:
                    cursor.execute(prefix + sql)
                    plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
            except Exception as exc:  # a query Django quoted in a way the shell cannot take
                plan = [f"(no plan: {type(exc).__name__}: {exc})"]
        slowest.append({"ms": float(query["time"]) * 1000, "sql": sql, "plan": plan})
    return {
        "queries": len(captured.captured_queries),
        "ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        "slowest": slowest,
    }


def explain_pages(selected: list[str]) -> int:
    """`--explain WORDS`: for each database and size, each selected page's queries (their
    number and total time) and the plans of the slowest; a page whose number of queries
    grows with the size has an N+1."""
    sizes = [0, *SIZES]
    for database in DATABASES:
        if database == "postgresql" and not all(
            _postgres_database(_postgres_url(size), "create") for size in sizes
        ):
            log("PostgreSQL does not answer: skipped")
            continue
        workers = [Worker(database, size) for size in sizes]
        try:
            ready = [json.loads(w.ask("ready")) for w in workers]
            everywhere = set.intersection(*(set(r["pages"]) for r in ready))
            pages = [
                p for p in ready[0]["pages"] if p in everywhere and any(w in p for w in selected)
            ]
            for page in pages:
                for w, r in zip(workers, ready, strict=True):
                    w.ask(page)  # warm
                    found = json.loads(w.ask(f"explain {page}"))
                    print(
                        f"\n=== {database} {r['members']:,} members: {page}: "
                        f"{found['queries']} queries, {found['ms']:.1f} ms in the database"
                    )
                    for q in found["slowest"]:
                        print(f"--- {q['ms']:.1f} ms: {q['sql']}")
                        for line in q["plan"]:
                            print(f"    {line}")
                sys.stdout.flush()
        finally:
            for w in workers:
                w.close()
            if database == "postgresql":
                for size in sizes:
                    _postgres_database(_postgres_url(size), "drop")
    return 0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class World:
    """The demo organisation, the operators' clients and the pages they open."""

    def __init__(self) -> None:
        from django.test import Client

        from shequn.accounts.models import Operator
        from shequn.accounts.services import issue_api_token
        from shequn.members.models import Member
        from shequn.organizations.models import Community, CommunityKind

        self.rng = random.Random(2026)
        self.admin = Operator.objects.select_related("organization").get(
            user__username="demo-admin"
        )
        self.head = Operator.objects.get(user__username="demo-head-shanghai")
        self.org = self.admin.organization
        self.big = Community.objects.get(
            organization=self.org, chapter__slug="shanghai", kind=CommunityKind.REGIONAL
        )
        self._raise_capacity()
        self.probe = (
            Member.objects.filter(memberships__community=self.big)
            .exclude(phone="")
            .order_by("pk")
            .first()
        )
        assert self.probe is not None
        self.clients: dict[str, Any] = {}
        for key, operator in (("admin", self.admin), ("head", self.head)):
            console = Client()
            console.force_login(operator.user)
            _, raw = issue_api_token(actor=None, operator=operator, name="bench")
            self.clients[key] = console
            self.clients[f"{key}-api"] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.phones = set(Member.objects.values_list("phone", flat=True))
        self.serial = 0
        self.originals: list[int] = []  # the members given a duplicate account
        self.busy: Any = None  # the member with the most activities in the big community
        # (membership, member, joined_at) of every grown member (the invitees of issue 7)
        self.grown: list[tuple[int, int, Any]] = []
        self.joining = JoiningWorld(self)

    def _raise_capacity(self) -> None:
        from shequn.accounts.selectors import build_scope
        from shequn.organizations.models import MAX_CAPACITY
        from shequn.organizations.services import update_community

        update_community(
            actor=build_scope(self.admin), community=self.big, data={"capacity": MAX_CAPACITY}
        )

    def member_total(self) -> int:
        from shequn.members.models import Member

        return Member.objects.filter(organization=self.org).count()

    def pages(self) -> dict[str, Callable[[], None]]:
        big, probe = self.big.pk, self.probe
        assert probe is not None
        name_query = probe.display_name
        phone_fragment = probe.phone[-7:-2]
        get = self._get
        pages: dict[str, Callable[[], None]] = {
            "dashboard /": lambda: get("admin", "/"),
            "communities /communities/": lambda: get("admin", "/communities/"),
            "community page (100k members)": lambda: get("admin", f"/communities/{big}/"),
            "  sorted by name": lambda: get("admin", f"/communities/{big}/?sort=name"),
            "  sorted by role": lambda: get("admin", f"/communities/{big}/?sort=role"),
            "  role filter (member)": lambda: get("admin", f"/communities/{big}/?role=member"),
            "  page 3": lambda: get("admin", f"/communities/{big}/?page=3"),
            "members /members/": lambda: get("admin", "/members/"),
            "  newest first": lambda: get("admin", "/members/?order=-created"),
            f"  search name ({len(name_query)} chars)": lambda: get(
                "admin", f"/members/?q={name_query}"
            ),
            "  search surname (1 char)": lambda: get("admin", f"/members/?q={name_query[0]}"),
            "  search phone fragment": lambda: get("admin", f"/members/?q={phone_fragment}"),
            "member detail": lambda: get("admin", f"/members/{probe.pk}/"),
            "chapters /chapters/": lambda: get("admin", "/chapters/"),
            "audit /audit/": lambda: get("admin", "/audit/"),
            "head: dashboard": lambda: get("head", "/"),
            "head: members": lambda: get("head", "/members/"),
            "head: search name": lambda: get("head", f"/members/?q={name_query}"),
            "head: community page": lambda: get("head", f"/communities/{big}/"),
            "API members": lambda: get("admin-api", "/api/v1/members"),
            "API members ?q=name": lambda: get("admin-api", f"/api/v1/members?q={name_query}"),
            "API communities": lambda: get("admin-api", "/api/v1/communities"),
            "API memberships of the community": lambda: get(
                "admin-api", f"/api/v1/memberships?community_id={big}&status=active"
            ),
            "head API members": lambda: get("head-api", "/api/v1/members"),
            "head API communities": lambda: get("head-api", "/api/v1/communities"),
            "head API memberships": lambda: get(
                "head-api", f"/api/v1/memberships?community_id={big}&status=active"
            ),
        }
        pages.update(self._activity_pages())
        pages.update(self.joining.pages())
        return pages

    def _activity_pages(self) -> dict[str, Callable[[], None]]:
        """The activity stream, imports and merges (issue 6); a page that is not there (yet)
        is left out with a note on stderr."""
        big, probe = self.big.pk, self.probe
        assert probe is not None
        feed = f"/activity/communities/{big}/"
        wanted: list[tuple[str, str, str]] = [
            ("activity feed (big community)", "admin", feed),
            ("  feed kind=post", "admin", f"{feed}?kind=post"),
            ("  feed channel=wechat", "admin", f"{feed}?channel=wechat"),
            ("  feed member name", "admin", f"{feed}?member={quote(probe.display_name)}"),
            ("  feed older page", "admin", self._next_link("admin", feed)),
            ("member timeline", "admin", f"/activity/members/{probe.pk}/"),
            ("  timeline of a busy member", "admin", f"/activity/members/{self.busy.pk}/"),
            ("member merge panel (htmx)", "admin", f"/merges/members/{probe.pk}/panel/"),
            ("imports /imports/", "admin", "/imports/"),
            ("merge queue /merges/", "admin", "/merges/"),
            ("  queue reason=phone", "admin", "/merges/?reason=phone"),
            ("merge history /merges/history/", "admin", "/merges/history/"),
            ("head: activity feed", "head", feed),
            ("head: feed older page", "head", self._next_link("head", feed)),
            ("head: member timeline", "head", f"/activity/members/{probe.pk}/"),
            ("head: member detail", "head", f"/members/{probe.pk}/"),
            ("head: member merge panel", "head", f"/merges/members/{probe.pk}/panel/"),
            ("head: imports", "head", "/imports/"),
            ("head: merge queue", "head", "/merges/"),
            ("head: merge history", "head", "/merges/history/"),
            ("API activities", "admin-api", "/api/v1/activities"),
            (
                "API activities ?community_id=",
                "admin-api",
                f"/api/v1/activities?community_id={big}",
            ),
            ("API activities ?kind=message", "admin-api", "/api/v1/activities?kind=message"),
            (
                "API activities page 2",
                "admin-api",
                self._next_cursor("admin-api", "/api/v1/activities"),
            ),
            (
                "API activities of the community, page 2",
                "admin-api",
                self._next_cursor("admin-api", f"/api/v1/activities?community_id={big}"),
            ),
            ("API member activities", "admin-api", f"/api/v1/members/{probe.pk}/activities"),
            ("API imports", "admin-api", "/api/v1/imports"),
            ("API merge suggestions", "admin-api", "/api/v1/merge-suggestions"),
            ("head API activities", "head-api", "/api/v1/activities"),
            (
                "head API activities page 2",
                "head-api",
                self._next_cursor("head-api", "/api/v1/activities"),
            ),
            (
                "head API activities ?community_id=",
                "head-api",
                f"/api/v1/activities?community_id={big}",
            ),
            ("head API member activities", "head-api", f"/api/v1/members/{probe.pk}/activities"),
            ("head API imports", "head-api", "/api/v1/imports"),
            ("head API merge suggestions", "head-api", "/api/v1/merge-suggestions"),
        ]
        return self.measured(wanted)

    def measured(self, wanted: list[tuple[str, str, str]]) -> dict[str, Callable[[], None]]:
        """The pages of `wanted` (name, client, url) that answer 200 now (a name ending in
        "→ 302": a redirect, which is the answer); the others are left out with a note on
        stderr (an empty url: a route or a next page that is not there)."""
        pages: dict[str, Callable[[], None]] = {}
        for name, client, url in wanted:
            expect = "302" if name.endswith("→ 302") else "200"
            status = self._status(client, url) if url else "no such route or page"
            if status != expect:
                log(f"skipped {name!r}: {url} answers {status}")
                continue
            pages[name] = functools.partial(self._get, client, url, int(expect))
        return pages

    def _status(self, client: str, url: str) -> str:
        """The status a page answers ("200"), or the error it raises (a page being written)."""
        try:
            return str(self.clients[client].get(url).status_code)
        except Exception as exc:  # any failure skips the page, with the reason
            return f"{type(exc).__name__}: {exc}"

    def _next_link(self, client: str, url: str) -> str:
        """The console page's "Older" link (its cursor), or "" when there is none."""
        if self._status(client, url) != "200":
            return ""
        response = self.clients[client].get(url)
        found = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
        if found is None:
            return ""
        return url.split("?", 1)[0] + html.unescape(found.group(1))

    def _next_cursor(self, client: str, url: str) -> str:
        """The API list's second page (by its `next_cursor`), or "" when there is none."""
        if self._status(client, url) != "200":
            return ""
        response = self.clients[client].get(url)
        cursor = response.json().get("next_cursor")
        if not cursor:
            return ""
        return f"{url}{'&' if '?' in url else '?'}cursor={quote(cursor)}"

    def _get(self, client: str, url: str, expect: int = 200) -> None:
        response = self.clients[client].get(url)
        if response.status_code != expect:
            raise SystemExit(f"{url}: status {response.status_code}")

    def _phone(self) -> str:
        while True:
            phone = (
                "+861"
                + self.rng.choice("3456789")
                + "".join(self.rng.choice(string.digits) for _ in range(9))
            )
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def populate(self, total: int) -> None:
        """Grow to `total` members (none at 0: the demo alone) with their activity history,
        then, at every size, duplicate accounts and the merge suggestions found for them, a
        few merges and import jobs — a floor that fills a page even for the demo, and more in
        proportion to the size (DUPLICATES, MERGES, IMPORT_JOBS)."""
        from shequn.invitations.counters import recount_organization_links
        from shequn.members.counters import recount_members
        from shequn.payments.counters import recount_prices

        floor_dups, per_dup = DUPLICATES
        duplicates = floor_dups + total // per_dup
        if total:
            self.grow_to(total - duplicates)
        self._duplicates(duplicates)
        started = time.perf_counter()
        self.joining.populate(total)
        log(f"joining and leaving (issue 7) in {time.perf_counter() - started:.0f} s")
        result = recount_members(organization_id=self.org.pk)
        log(f"recount: {result}")
        log(f"recount: {recount_organization_links(self.org.pk)} invite links")
        log(f"recount: {recount_prices(self.org.pk)} community prices")
        self.joining.after_recount()
        self._merges()
        self._imports(IMPORT_JOBS[0] + total // IMPORT_JOBS[1])
        self._repair_string_properties()
        self._planner_statistics()
        self.busy = self._busiest_member()

    def grow_to(self, total: int, batch: int = 5000) -> None:
        """Add members (in the big community) until the organisation has `total`."""
        while (missing := total - self.member_total()) > 0:
            self._add(min(batch, missing))

    def _add(self, n: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        from shequn.audit.models import AuditAction, AuditEntry
        from shequn.core.collation import sort_key_for
        from shequn.members.models import (
            Channel,
            Identity,
            Member,
            Membership,
            MembershipRole,
            MembershipSource,
        )

        rng = self.rng
        now = timezone.now()
        roles = [MembershipRole.MEMBER] * 96 + [MembershipRole.KOL, MembershipRole.GUEST] * 2
        with transaction.atomic():
            people = []
            for _ in range(n):
                self.serial += 1
                name = rng.choice(SURNAMES) + "".join(
                    rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
                )
                people.append(
                    Member(
                        organization=self.org,
                        chapter_id=self.big.chapter_id,
                        display_name=name,
                        phone=self._phone(),
                        email=f"m{self.serial}@bench.example" if rng.random() < 0.5 else "",
                        sort_key=sort_key_for(name),
                    )
                )
            people = Member.objects.bulk_create(people, batch_size=1000)
            identities = [
                Identity(
                    organization=self.org,
                    member=m,
                    channel=Channel.WECOM,
                    external_id=f"wm-bench-{m.pk}",
                    display_name=m.display_name,
                )
                for m in people
            ]
            # One in WECHAT_SHARE also has a WeChat account, and speaks there.
            identities += [
                Identity(
                    organization=self.org,
                    member=m,
                    channel=Channel.WECHAT,
                    external_id=f"wx-bench-{m.pk}",
                    display_name=m.display_name,
                )
                for m in people
                if m.pk % WECHAT_SHARE == 0
            ]
            identities = Identity.objects.bulk_create(identities, batch_size=1000)
            memberships = Membership.objects.bulk_create(
                [
                    Membership(
                        member=m,
                        community=self.big,
                        role=rng.choice(roles),
                        source=MembershipSource.IMPORT,
                        joined_at=now
                        - timedelta(seconds=rng.uniform(JOINED_WITHIN[0], JOINED_WITHIN[1])),
                        member_sort_key=m.sort_key,
                    )
                    for m in people
                ],
                batch_size=1000,
            )
            AuditEntry.objects.bulk_create(
                [
                    AuditEntry(
                        organization=self.org,
                        chapter_id=self.big.chapter_id,
                        community=self.big,
                        action=AuditAction.JOIN,
                        object_type="membership",
                        object_id=str(ms.pk),
                        object_repr=f"{ms.member.display_name} @ {self.big.name}"[:200],
                        changes={"role": ms.role, "status": "active", "source": "import"},
                    )
                    for ms in memberships
                ],
                batch_size=1000,
            )
            self.grown += [(ms.pk, ms.member_id, ms.joined_at) for ms in memberships]
            speaking = {i.member_id: i for i in identities}  # WeChat wins where there is one
            self._activities(memberships, speaking, now)

    def _activities(self, memberships: list[Any], speaking: dict[int, Any], now: Any) -> None:
        """Each new member's join (at their membership's joined_at), then what they did since:
        ~ACTIVITIES_PER_MEMBER on average (a third lurk, a few write a lot), in the mix of
        ACTIVITY_KINDS, on the channel of their account, at random times since they joined."""
        from shequn.activity.models import Activity, ActivityKind, ActivitySource

        rng = self.rng
        rows = []
        for ms in memberships:
            identity = speaking[ms.member_id]
            common = {
                "organization_id": self.org.pk,
                "community_id": self.big.pk,
                "member_id": ms.member_id,
                "identity_id": identity.pk,
                "channel": identity.channel,
                "source": ActivitySource.IMPORT,
            }
            rows.append(
                Activity(
                    **common,
                    kind=ActivityKind.JOIN,
                    occurred_at=ms.joined_at,
                    external_id=f"bench-join-{ms.pk}",
                )
            )
            active = rng.random() >= LURKERS
            count = int(rng.expovariate((1 - LURKERS) / ACTIVITIES_PER_MEMBER)) if active else 0
            span = (now - ms.joined_at).total_seconds()
            previous = ""
            for i, kind in enumerate(rng.choices(ACTIVITY_KINDS, ACTIVITY_WEIGHTS, k=count)):
                external_id = f"bench-{ms.member_id}-{i}"
                text, properties, reply_to = "", {}, ""
                if kind == ActivityKind.REACTION:
                    properties = {"emoji": rng.choice("👍❤🎉👏🙏")}
                    reply_to = previous
                elif kind == ActivityKind.REPLY:
                    text, reply_to = rng.choice(TEXTS), previous
                elif kind != ActivityKind.CHECK_IN:
                    text = rng.choice(TEXTS)
                rows.append(
                    Activity(
                        **common,
                        kind=kind,
                        occurred_at=ms.joined_at + timedelta(seconds=rng.uniform(0, span)),
                        external_id=external_id,
                        text=text,
                        reply_to=reply_to,
                        properties=properties,
                    )
                )
                previous = external_id
        Activity.objects.bulk_create(rows, batch_size=5000)

    def _duplicates(self, n: int) -> None:
        """`n` second accounts of the big community's members, as ingestion creates them for
        an unknown Telegram account: a member with the same name in the same chapter, whose
        Telegram identity gives the phone the first member's record has (同一手机号)."""
        from shequn.members.models import Channel, Identity, Member

        assert self.probe is not None
        originals = list(
            Member.objects.filter(
                organization=self.org, merged_into__isnull=True, memberships__community=self.big
            )
            .exclude(phone="")
            .exclude(pk=self.probe.pk)
            .order_by("pk")
            .values_list("pk", "display_name", "sort_key", "chapter_id", "phone")
        )
        picked = self.rng.sample(originals, n)
        self.originals = [pk for pk, *_ in picked]
        seconds = Member.objects.bulk_create(
            [
                Member(
                    organization=self.org,
                    chapter_id=chapter_id,
                    display_name=name,
                    sort_key=sort_key,
                )
                for _, name, sort_key, chapter_id, _ in picked
            ],
            batch_size=1000,
        )
        Identity.objects.bulk_create(
            [
                Identity(
                    organization=self.org,
                    member=second,
                    channel=Channel.TELEGRAM,
                    external_id=f"tg-dup-{second.pk}",
                    display_name=second.display_name,
                    phone=phone,
                )
                for second, (*_, phone) in zip(seconds, picked, strict=True)
            ],
            batch_size=1000,
        )

    def _merges(self) -> None:
        """Find the suggestions (the real service), then accept a few of the phone matches."""
        from shequn.accounts.selectors import build_scope
        from shequn.members.merge_suggestions import accept_suggestion, refresh_merge_suggestions
        from shequn.members.models import MergeSuggestion, MergeSuggestionStatus

        started = time.perf_counter()
        result = refresh_merge_suggestions(self.org)
        log(f"merge suggestions: {result} in {time.perf_counter() - started:.1f} s")
        floor, per = MERGES
        wanted = floor + (self.member_total() // per)
        originals = set(self.originals)
        phone_matches = MergeSuggestion.objects.filter(
            organization=self.org,
            status=MergeSuggestionStatus.OPEN,
            reason_codes__contains=",phone,",
        ).order_by("pk")
        actor = build_scope(self.admin)
        done = 0
        started = time.perf_counter()
        for suggestion in phone_matches.iterator():
            if done == wanted:
                break
            keep = next(
                (m for m in (suggestion.member_a_id, suggestion.member_b_id) if m in originals),
                None,
            )
            if keep is None:
                continue
            accept_suggestion(actor=actor, suggestion=suggestion, keep=keep)
            done += 1
        log(f"merged {done} pairs in {time.perf_counter() - started:.1f} s")

    def _imports(self, n: int) -> None:
        """`n` finished import jobs (a few failed), a third of them the chapter head's into the
        big community; rows only: the lists never open the files."""
        from datetime import UTC, datetime

        from shequn.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus

        rng = self.rng
        jobs = []
        started = datetime(2026, 6, 1, tzinfo=UTC)
        for i in range(n):
            by_head = i % 3 == 0
            kind = ImportKind.MEMBERS if i % 4 == 0 else ImportKind.ACTIVITIES
            fmt = (
                rng.choice((ImportFormat.CSV, ImportFormat.XLSX))
                if kind == ImportKind.MEMBERS
                else rng.choice((ImportFormat.JSONL, ImportFormat.TELEGRAM))
            )
            failed = i % 17 == 5
            rows = rng.randint(50, 20000)
            rejected = 0 if failed else rng.choice((0, 0, 0, rng.randint(1, 40)))
            at = started + timedelta(hours=6 * i)
            jobs.append(
                ImportJob(
                    organization=self.org,
                    kind=kind,
                    format=fmt,
                    community=self.big if by_head or rng.random() < 0.5 else None,
                    created_by=(self.head if by_head else self.admin).user,
                    file=f"imports/files/bench-{i}.{fmt}",
                    original_name=f"导入-{i}.{'json' if fmt == ImportFormat.TELEGRAM else fmt}",
                    size=rows * 180,
                    status=ImportStatus.FAILED if failed else ImportStatus.DONE,
                    bytes_read=rows * 180,
                    rows_read=rows,
                    rows_new=rows - rejected,
                    rows_rejected=rejected,
                    rejects_file=f"imports/rejects/bench-{i}.jsonl" if rejected else "",
                    error="文件在第 12 行中断。" if failed else "",
                    started_at=at,
                    finished_at=at + timedelta(seconds=rows / 5000 + 1),
                )
            )
        ImportJob.objects.bulk_create(jobs, batch_size=1000)

    def _repair_string_properties(self) -> None:
        """On PostgreSQL, `ingest_activities` (the demo's history) has stored `properties` as a
        JSON string ("{}") instead of an object, which the activity API cannot answer (500).
        Turn them into objects, with a note, so the pages can be measured; nothing to do once
        the ingestion is fixed."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE activity_activity SET properties = (properties #>> '{}')::jsonb "
                "WHERE jsonb_typeof(properties) = 'string'"
            )
            if cursor.rowcount:
                log(f"NOTE: {cursor.rowcount} activities had properties stored as a JSON string")

    def _planner_statistics(self) -> None:
        """What autovacuum does after a bulk load on PostgreSQL (recount_members analysed
        the member tables, and on SQLite everything), at once."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in (*ACTIVITY_TABLES, *JOINING_TABLES):
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    def _busiest_member(self) -> Any:
        from django.db.models import Count

        from shequn.activity.models import Activity
        from shequn.members.models import Member

        top = (
            Activity.objects.filter(community=self.big)
            .values("member_id")
            .annotate(n=Count("id"))
            .order_by("-n", "member_id")
            .first()
        )
        assert top is not None
        return Member.objects.get(pk=top["member_id"])


# --- issue 7: joining and leaving --------------------------------------------------------------

# (floor, one per N members) at every size: invite links (most of them members' own links),
# applications to the private 铁粉群, orders of the paid 交付群, the waitlist of a full
# community, leave requests (of the big community first) and blacklist entries. The floors
# give the demo's lists what the pages measure at 100,000 (25 rows a page, a full page 3), so
# a ratio compares the same page, not an emptier one.
INVITE_LINKS = (60, 400)
INVITED_SHARE = 0.30  # of the grown memberships: joined through an invite link
INVITED_FLOOR = 170  # at least (the demo alone): demo members joining the big community
PAGE_ROWS = 25  # a console list's page
INVITED_QUOTAS = (80, 30, 30)  # of those, through the first links (then one per link)
APPLICATIONS = (150, 20)
ORDERS = (200, 20)  # floors: pending and flagged below, ~100 by the plan (paid: notifications)
PENDING_ORDERS = 60  # the first orders of the plan: pending (a full page 2 of ?status=pending)
FLAGGED_ORDERS = 40  # then cancelled, each with a flagged notification
WAITLIST = (90, 400)
OFFERED = 30  # of the waitlist: offered a seat (the first in line)
LEAVE_REQUESTS = (160, 100)
LEAVE_FLOORS = (("pending", 80), ("done", 80))  # the first requests, then LEAVE_PLAN
BLACKLIST = (20, 400)  # members blacklisted (and removed)
BLACKLIST_ENTRIES = (80, 400)  # entries: the members', the rest by phone alone
FANS_SLUG = "core-fans"  # private: the applications
OTHER_PRIVATE_SLUG = "beijing-club"  # private: the demo member's own pending application
PAID_SLUG = "annual-course-2026"  # paid: the orders
OPEN_SLUG = "newcomers"  # open, the demo member is in it
FULL_SLUG = "growth-map-2"  # open, made full, with a waitlist the demo member is last on
JOINING_TABLES = (
    "invitations_invitelink",
    "invitations_invitejoin",
    "applications_application",
    "applications_applicationdecision",
    "payments_order",
    "payments_membershipterm",
    "payments_paymentnotification",
    "joining_waitlistentry",
    "joining_leaverequest",
    "joining_blacklistentry",
    "joining_blacklistkey",
    "members_membership",
)
APPLICATION_PLAN = (("pending", 40), ("interview", 5), ("approved", 35), ("rejected", 15))
ORDER_PLAN = (("paid", 70), ("pending", 8), ("expired", 12), ("refunded", 4), ("cancelled", 6))
WAITLIST_PLAN = (("waiting", 85), ("offered", 5), ("expired", 5), ("cancelled", 5))
LEAVE_PLAN = (("pending", 30), ("done", 60), ("withdrawn", 10))
LEAVE_REASONS = ("工作调动,精力有限", "换了行业,不再做培训", "群消息太多了", "")
REJECT_REASONS = ("本群只招企业内训经理。", "申请信息不完整,请补充公司和职位。", "本期名额已满。")
BLACKLIST_REASONS = ("多次发布广告", "冒充会长收费", "骚扰群友", "泄露他人隐私")


def _plan(rng: random.Random, plan: tuple[tuple[str, int], ...], n: int) -> list[str]:
    return rng.choices([s for s, _ in plan], [w for _, w in plan], k=n)


class JoiningWorld:
    """Issue 7's rows at every size, written as the services would have written them (bulk),
    and its pages. Runs after the growth and the duplicates, before `recount_members` (it adds
    and ends memberships; the recount then gives every counter its value).

    - invite links (INVITE_LINKS: ~85% members' personal links, operators' and purpose links)
      and InviteJoin rows for INVITED_SHARE of the grown memberships, inviters chosen with a
      long tail (the busiest member brings thousands at 100k); those memberships get
      source=invite; each link's counters (use_count, still_in_count, last_joined_at) are
      recounted from its joins after `recount_members`;
    - applications to the private 铁粉群 (APPLICATIONS: pending / interview / approved /
      rejected, with an ApplicationDecision per decided one; the approved are members);
    - orders of the paid 交付群 (ORDERS: paid with their MembershipTerm and membership,
      pending, expired, refunded (term ended, member removed), cancelled), one
      PaymentNotification per paid WeChat Pay order, a few flagged ones for cancelled orders;
      CommunityPrice's counters (paid_join_count, paid_total_fen) recounted after
      `recount_members`;
    - a waitlist (WAITLIST) in an open community made full, the demo member last on it;
    - leave requests (LEAVE_REQUESTS) of the big community (which reviews them): pending,
      done (membership left by request), withdrawn;
    - blacklist entries (BLACKLIST) with their BlacklistKey rows; the blacklisted members are
      removed from their communities, as `add_to_blacklist` does; a tenth are lifted.
    What is left out: the audit entries and the application/purchase activities those services
    also write (no measured page of issue 7 reads them).
    """

    def __init__(self, world: World) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from shequn.members.models import Member
        from shequn.organizations.demo import MEMBER_EMAIL
        from shequn.organizations.models import Community

        self.world = world
        self.rng = random.Random(7)  # its own stream: the rest of the world stays the same
        self.org = world.org
        self.communities = {c.slug: c for c in Community.objects.filter(organization=self.org)}
        user = get_user_model().objects.filter(email=MEMBER_EMAIL).first()
        self.member = Member.objects.filter(user=user).first() if user else None
        world.clients["anon"] = Client()
        if user is not None:
            member_client = Client()
            member_client.force_login(user)
            world.clients["member"] = member_client
        self.serial = 0

    # -- rows --------------------------------------------------------------------------------

    def populate(self, total: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        self.now = timezone.now()
        self._raise_capacities()
        with transaction.atomic():
            self._invitations(INVITE_LINKS[0] + total // INVITE_LINKS[1])
            pool = self._pool()
            # Who is blacklisted first (nobody else's rows); the leavers, applicants, payers
            # and waiting people may overlap, as they do.
            blocked = self._reserve(
                self._take(pool, BLACKLIST[0] + total // BLACKLIST[1], self._unblocked())
            )
            leaving = self._leavers(pool, LEAVE_REQUESTS[0] + total // LEAVE_REQUESTS[1])
            self._applications(pool, APPLICATIONS[0] + total // APPLICATIONS[1])
            self._orders(pool, ORDERS[0] + total // ORDERS[1])
            self._waitlist(pool, WAITLIST[0] + total // WAITLIST[1])
            self._leave_requests(leaving)
            self._blacklist(blocked, BLACKLIST_ENTRIES[0] + total // BLACKLIST_ENTRIES[1])

    def after_recount(self) -> None:
        """Make the waitlist's community full (capacity = its members, counted now)."""
        from shequn.accounts.selectors import build_scope
        from shequn.organizations.models import Community
        from shequn.organizations.services import update_community

        full = Community.objects.get(pk=self.communities[FULL_SLUG].pk)
        update_community(
            actor=build_scope(self.world.admin),
            community=full,
            data={"capacity": full.member_count},
        )

    def _raise_capacities(self) -> None:
        """The private and the paid community take everyone the rows bring."""
        from shequn.accounts.selectors import build_scope
        from shequn.organizations.models import MAX_CAPACITY
        from shequn.organizations.services import update_community

        for slug in (FANS_SLUG, PAID_SLUG):
            update_community(
                actor=build_scope(self.world.admin),
                community=self.communities[slug],
                data={"capacity": MAX_CAPACITY},
            )

    def _pool(self) -> list[tuple[int, str]]:
        """(pk, sort_key) of the members the rows may use, shuffled: active somewhere, not
        merged, not the probe, the demo member or a member with a duplicate account."""
        from shequn.members.models import Member

        assert self.world.probe is not None
        reserved = {self.world.probe.pk, *self.world.originals}
        if self.member is not None:
            reserved.add(self.member.pk)
        rows = [
            (pk, key)
            for pk, key in Member.objects.filter(
                organization=self.org, merged_into__isnull=True, memberships__status="active"
            )
            .distinct()
            .order_by("pk")
            .values_list("pk", "sort_key")
            if pk not in reserved
        ]
        self.rng.shuffle(rows)
        self.reserved: set[int] = set()  # leaving or blacklisted: in no other rows
        return rows

    def _take(
        self, pool: list[tuple[int, str]], n: int, allowed: Callable[[int], bool]
    ) -> list[tuple[int, str]]:
        """Up to `n` members of the pool that `allowed` accepts, none of the reserved."""
        picked: list[tuple[int, str]] = []
        for pk, key in pool:
            if len(picked) == n:
                break
            if pk not in self.reserved and allowed(pk):
                picked.append((pk, key))
        return picked

    def _reserve(self, picked: list[tuple[int, str]]) -> list[tuple[int, str]]:
        self.reserved.update(pk for pk, _key in picked)
        return picked

    def _leavers(self, pool: list[tuple[int, str]], n: int) -> list[tuple[int, int, int]]:
        """(member, membership, community) of `n` active members: of the big community first,
        then (the demo's big community has ~80 members) of the other open communities."""
        from shequn.members.models import Membership

        skip = [self.communities[slug].pk for slug in (FULL_SLUG, PAID_SLUG, FANS_SLUG)]
        active: dict[int, tuple[int, int]] = {}
        rows = (
            Membership.objects.filter(status="active")
            .filter(community__organization=self.org)
            .exclude(community_id__in=skip)
            .values_list("member_id", "pk", "community_id")
        )
        big = self.world.big.pk
        for member_id, pk, community_id in rows:
            if member_id not in active or community_id == big:
                active[member_id] = (pk, community_id)
        # Not reserved: a leaver of one community may apply to, pay for or wait for another.
        picked = self._take(pool, n, lambda pk: pk in active and active[pk][1] == big)
        if len(picked) < n:
            chosen = {pk for pk, _key in picked}
            picked += self._take(
                pool, n - len(picked), lambda pk: pk in active and pk not in chosen
            )
        return [(pk, *active[pk]) for pk, _key in picked]

    def _unblocked(self) -> Callable[[int], bool]:
        from shequn.joining.models import BlacklistEntry

        blocked = set(
            BlacklistEntry.objects.filter(organization=self.org).values_list("member_id", flat=True)
        )
        return lambda pk: pk not in blocked

    def _members_of(self, slug: str, **filters: Any) -> set[int]:
        from shequn.members.models import Membership

        return set(
            Membership.objects.filter(community=self.communities[slug], **filters).values_list(
                "member_id", flat=True
            )
        )

    def _backdate(self, model: Any, rows: list[Any], field: str = "created_at") -> None:
        model.objects.bulk_update(rows, [field], batch_size=1000)

    def _code(self) -> str:
        from shequn.invitations.models import INVITE_CODE_LENGTH
        from shequn.invitations.services import CODE_ALPHABET

        return "".join(self.rng.choice(CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))

    def _join_row(self, link: Any, membership_id: int, member_id: int, at: Any) -> Any:
        from shequn.invitations.models import InviteJoin

        return InviteJoin(
            organization=self.org,
            community=self.world.big,
            link=link,
            membership_id=membership_id,
            member_id=member_id,
            inviter_member_id=link.inviter_member_id,
            inviter_operator_id=link.inviter_operator_id,
            joined_at=at,
        )

    def _demo_invited(self, personal: list[Any], operator_link: Any) -> list[Any]:
        """Below INVITED_FLOOR grown joins (the demo alone): demo members not yet in the big
        community join it through the member links (Membership and InviteJoin rows, as
        `admit_member` writes them) — INVITED_QUOTAS to the first links (the demo member's
        own link first: the busiest, as at every size), then one per link in turn — so the
        link and invitee pages have full pages, and "who brought whom" a full first page."""
        from shequn.members.models import Member, Membership, MembershipRole, MembershipSource

        want = INVITED_FLOOR - int(len(self.world.grown) * INVITED_SHARE)
        if want <= 0 or not personal:
            return []
        rng, big = self.rng, self.world.big
        skip = set(Membership.objects.filter(community=big).values_list("member_id", flat=True))
        skip |= {self.world.probe.pk if self.world.probe else 0, *self.world.originals}
        if self.member is not None:
            skip.add(self.member.pk)
        people = list(
            Member.objects.filter(organization=self.org, merged_into__isnull=True)
            .exclude(pk__in=skip)
            .order_by("pk")
            .values_list("pk", "sort_key")[:want]
        )
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    member_id=pk,
                    community=big,
                    role=MembershipRole.MEMBER,
                    source=MembershipSource.INVITE,
                    joined_at=self.now - timedelta(days=rng.uniform(1, 90)),
                    member_sort_key=key,
                )
                for pk, key in people
            ],
            batch_size=1000,
        )
        quotas = [i for i, n in enumerate(INVITED_QUOTAS) for _ in range(n)]
        joins = []
        for i, ms in enumerate(memberships):
            index = quotas[i] if i < len(quotas) else i % len(personal)
            link = personal[index % len(personal)]
            joins.append(self._join_row(link, ms.pk, ms.member_id, ms.joined_at))
        return joins

    def _invitations(self, n_links: int) -> None:

        from shequn.invitations.models import InviteJoin, InviteLink
        from shequn.members.models import Membership, MembershipSource

        rng, world, big = self.rng, self.world, self.world.big
        admin, head = world.admin, world.head
        existing = set(
            InviteLink.objects.filter(community=big, is_personal=True).values_list(
                "inviter_member_id", flat=True
            )
        )
        # Inviters: the big community's earliest active members (the demo member among them).
        earliest = list(
            Membership.objects.filter(community=big, status="active")
            .exclude(member_id__in=existing)
            .order_by("joined_at", "pk")
            .values_list("member_id", "joined_at")[: n_links * 2]
        )
        n_personal = max(1, n_links * 85 // 100)
        inviters = earliest[:n_personal]
        if self.member is not None and self.member.pk not in existing:
            mine = [(m, at) for m, at in earliest if m == self.member.pk]
            if not mine:
                mine = list(
                    Membership.objects.filter(community=big, member=self.member).values_list(
                        "member_id", "joined_at"
                    )
                )
            inviters = [*mine, *(i for i in inviters if i[0] != self.member.pk)][:n_personal]
        links: list[InviteLink] = []
        joined_at: dict[int, Any] = {}  # link index → its inviter's join
        for member_id, at in inviters:
            joined_at[len(links)] = at
            links.append(
                InviteLink(
                    organization=self.org,
                    community=big,
                    code=self._code(),
                    inviter_member_id=member_id,
                    is_personal=True,
                    created_at=at + timedelta(days=1),
                )
            )
        for operator in (admin, head):
            links.append(
                InviteLink(
                    organization=self.org,
                    community=big,
                    code=self._code(),
                    inviter_operator=operator,
                    created_by=operator.user,
                    created_at=self.now - timedelta(days=200),
                )
            )
        purposes = ["海报推广", "5月3日沙龙", "年会报名", "公众号文章", "春季招新(已结束)"]
        for i in range(max(3, n_links - len(links))):
            links.append(
                InviteLink(
                    organization=self.org,
                    community=big,
                    code=self._code(),
                    purpose=f"{purposes[i % len(purposes)]} {i + 1}",
                    created_by=admin.user,
                    expires_at=self.now - timedelta(days=5) if i % 7 == 4 else None,
                    disabled_at=self.now - timedelta(days=2) if i % 11 == 6 else None,
                    created_at=self.now - timedelta(days=190 - i % 180),
                )
            )
        links = InviteLink.objects.bulk_create(links, batch_size=1000)
        self._backdate(InviteLink, links)
        # A long tail: link i weighs 1/(i+1) (the demo member's own link first, then the other
        # members' links, the operators' links, the purpose links).
        order = list(range(len(links)))
        cumulative, running = [], 0.0
        for rank in order:
            running += 1 / (rank + 1)
            cumulative.append(running)
        operator_link = links[len(inviters)]
        joins = []
        joins += self._demo_invited(links[: len(inviters)], operator_link)
        for membership_id, member_id, at in world.grown:
            if rng.random() >= INVITED_SHARE:
                continue
            index = rng.choices(order, cum_weights=cumulative)[0]
            link = links[index]
            came_later = index in joined_at and joined_at[index] >= at
            if came_later or link.inviter_member_id == member_id:
                link = operator_link  # the inviter came later: the operator brought them
            joins.append(self._join_row(link, membership_id, member_id, at))
        InviteJoin.objects.bulk_create(joins, batch_size=5000)
        invited = [j.membership_id for j in joins]
        for start in range(0, len(invited), 5000):
            Membership.objects.filter(pk__in=invited[start : start + 5000]).update(
                source=MembershipSource.INVITE
            )
        log(f"issue 7: {len(links)} invite links, {len(joins)} invite joins")

    def _answers(self, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        answers = []
        for q in questions:
            choices = q.get("choices") or ["是"]
            kind = q.get("kind")
            if kind == "single_choice":
                value: Any = rng.choice(choices)
            elif kind == "multiple_choice":
                value = rng.sample(choices, rng.randint(1, min(3, len(choices))))
            elif kind == "long_text":
                value = rng.choice(TEXTS) * rng.randint(1, 4)
            else:
                value = rng.choice(
                    ("某银行 · 培训经理", "某车企 · 学习发展主管", "某集团 · 企业大学")
                )
            answers.append({"key": q["key"], "label": q["label"], "kind": kind, "value": value})
        return answers

    def _applications(self, pool: list[tuple[int, str]], n: int) -> None:
        from shequn.applications.models import Application, ApplicationDecision, ApplicationForm
        from shequn.members.models import Membership, MembershipRole, MembershipSource

        rng, fans = self.rng, self.communities[FANS_SLUG]
        form = ApplicationForm.objects.filter(community=fans).first()
        questions = list(form.questions) if form else []
        statement = form.identity_statement if form else ""
        taken = self._members_of(FANS_SLUG) | set(
            Application.objects.filter(community=fans).values_list("member_id", flat=True)
        )
        people = self._take(pool, n, lambda pk: pk not in taken)
        reviewers = [self.world.admin.user, self.world.head.user]
        applications, statuses = [], _plan(rng, APPLICATION_PLAN, len(people))
        for (member_id, _key), status in zip(people, statuses, strict=True):
            waited = timedelta(days=rng.uniform(0.1, 30 if status == "pending" else 180))
            at = self.now - waited
            decided = status != "pending"
            reason = rng.choice(REJECT_REASONS) if status == "rejected" else ""
            applications.append(
                Application(
                    organization=self.org,
                    community=fans,
                    member_id=member_id,
                    status=status,
                    answers=self._answers(questions),
                    form_version=form.version if form else 1,
                    identity_statement=statement,
                    identity_confirmed=bool(statement),
                    submitted_at=at,
                    decided_at=at + timedelta(days=rng.uniform(0.2, 3)) if decided else None,
                    decided_by=rng.choice(reviewers) if decided else None,
                    reject_reason=reason,
                    interview_note="会长想先和您通个电话。" if status == "interview" else "",
                    interview_at=self.now + timedelta(days=2) if status == "interview" else None,
                    language="zh-hans",
                )
            )
        # The demo member's own application, waiting, elsewhere (its status page).
        other = self.communities[OTHER_PRIVATE_SLUG]
        if (
            self.member is not None
            and self.member.pk not in self._members_of(OTHER_PRIVATE_SLUG)
            and not Application.objects.filter(community=other, member=self.member).exists()
        ):
            applications.append(
                Application(
                    organization=self.org,
                    community=other,
                    member=self.member,
                    answers=[],
                    submitted_at=self.now - timedelta(days=2),
                    language="zh-hans",
                )
            )
        applications = Application.objects.bulk_create(applications, batch_size=1000)
        kinds = {"approved": "approve", "rejected": "reject", "interview": "interview"}
        decisions = [
            ApplicationDecision(
                application=a,
                decision=kinds[a.status],
                reason=a.reject_reason,
                note=a.interview_note,
                interview_at=a.interview_at,
                answers=a.answers,
                decided_by=a.decided_by,
                decided_at=a.decided_at or self.now,
                emailed_at=a.decided_at,
            )
            for a in applications
            if a.status in kinds
        ]
        ApplicationDecision.objects.bulk_create(decisions, batch_size=1000)
        keys = dict(people)
        Membership.objects.bulk_create(
            [
                Membership(
                    member_id=a.member_id,
                    community=fans,
                    role=MembershipRole.MEMBER,
                    source=MembershipSource.APPLICATION,
                    joined_at=a.decided_at or self.now,
                    member_sort_key=keys[a.member_id],
                )
                for a in applications
                if a.status == "approved"
            ],
            batch_size=1000,
        )
        for a in applications:  # created_at: when it was submitted
            a.created_at = a.submitted_at
        self._backdate(Application, applications)
        log(f"issue 7: {len(applications)} applications, {len(decisions)} decisions")

    def _order_number(self, at: Any) -> str:
        self.serial += 1
        return f"SQ{at:%Y%m%d%H%M%S}{self.serial:08X}"

    def _orders(self, pool: list[tuple[int, str]], n: int) -> None:
        from shequn.members.models import Membership, MembershipRole, MembershipSource
        from shequn.payments.models import (
            CommunityPrice,
            MembershipTerm,
            NotificationStatus,
            Order,
            OrderKind,
            PaymentNotification,
            PaymentProvider,
            PriceLabel,
        )

        rng, paid_community = self.rng, self.communities[PAID_SLUG]
        price, _created = CommunityPrice.objects.get_or_create(
            community=paid_community,
            defaults={
                "price_fen": 19900,
                "early_bird_price_fen": 9900,
                "early_bird_days": 15,
                "early_bird_seats": 50,
                "launched_at": self.now - timedelta(days=90),
                "term_days": 365,
                "renewal_price_fen": 15900,
                "reminder_days": 14,
            },
        )
        taken = self._members_of(PAID_SLUG) | set(
            Order.objects.filter(community=paid_community).values_list("member_id", flat=True)
        )
        people = self._take(pool, n, lambda pk: pk not in taken)
        statuses = _plan(rng, ORDER_PLAN, len(people))
        floors = ["pending"] * PENDING_ORDERS + ["cancelled"] * FLAGGED_ORDERS
        statuses[: len(floors)] = floors[: len(statuses)]
        if self.member is not None and self.member.pk not in taken:
            people.append((self.member.pk, self.member.sort_key))
            statuses.append("expired")  # the demo member's own order: lapsed, can pay anew
        launched = self.now - timedelta(days=90)
        times = sorted(launched + timedelta(seconds=rng.uniform(0, 90 * 86400)) for _ in people)
        orders, paid_joins = [], 0
        for (member_id, _key), status, at in zip(people, statuses, times, strict=True):
            if status == "pending":
                at = self.now - timedelta(minutes=rng.uniform(0, 20))  # not yet expired
            was_paid = status in ("paid", "refunded")
            early = was_paid and paid_joins < (price.early_bird_seats or 0)
            paid_joins += was_paid
            provider = PaymentProvider.MANUAL if rng.random() < 0.1 else PaymentProvider.WECHAT_PAY
            paid_at = at + timedelta(minutes=rng.uniform(1, 25)) if was_paid else None
            reference = ""
            if was_paid:
                reference = (
                    f"工行转账 {rng.randint(100000, 999999)}"
                    if provider == PaymentProvider.MANUAL
                    else f"4200{rng.getrandbits(60):018d}"[:28]
                )
            refunded_at = paid_at + timedelta(days=2) if status == "refunded" and paid_at else None
            orders.append(
                Order(
                    organization=self.org,
                    community=paid_community,
                    member_id=member_id,
                    number=self._order_number(at),
                    kind=OrderKind.JOIN,
                    status=status,
                    amount_fen=(price.early_bird_price_fen or price.price_fen)
                    if early
                    else price.price_fen,
                    price_label=PriceLabel.EARLY_BIRD if early else PriceLabel.REGULAR,
                    term_days=price.term_days,
                    provider=provider if status != "expired" or rng.random() < 0.5 else "",
                    provider_reference=reference,
                    expires_at=at + timedelta(minutes=30),
                    paid_at=paid_at,
                    cancelled_at=at + timedelta(minutes=10) if status == "cancelled" else None,
                    refunded_at=refunded_at,
                    marked_by=self.world.admin.user
                    if was_paid and provider == PaymentProvider.MANUAL
                    else None,
                    note="退款:重复购买" if status == "refunded" else "",
                    created_at=at,
                )
            )
        orders = Order.objects.bulk_create(orders, batch_size=1000)
        self._backdate(Order, orders)
        sort_keys = dict(people)
        paid = [(o, o.paid_at) for o in orders if o.paid_at is not None]
        Membership.objects.bulk_create(
            [
                Membership(
                    member_id=o.member_id,
                    community=paid_community,
                    role=MembershipRole.MEMBER,
                    source=MembershipSource.PAYMENT,
                    joined_at=paid_at,
                    member_sort_key=sort_keys[o.member_id],
                    status="removed" if o.status == "refunded" else "active",
                    left_at=o.refunded_at,
                    end_reason="退款:重复购买" if o.status == "refunded" else "",
                )
                for o, paid_at in paid
            ],
            batch_size=1000,
        )
        MembershipTerm.objects.bulk_create(
            [
                MembershipTerm(
                    organization=self.org,
                    community=paid_community,
                    member_id=o.member_id,
                    order=o,
                    starts_at=paid_at,
                    ends_at=o.refunded_at
                    or (paid_at + timedelta(days=o.term_days) if o.term_days else None),
                    expired_at=o.refunded_at,
                )
                for o, paid_at in paid
            ],
            batch_size=1000,
        )
        notifications = []
        for i, o in enumerate(orders):
            wechat = o.provider == PaymentProvider.WECHAT_PAY
            floor = PENDING_ORDERS <= i < PENDING_ORDERS + FLAGGED_ORDERS
            flagged = o.status == "cancelled" and (floor or rng.random() < 0.3)
            if not ((o.paid_at is not None and wechat) or flagged):
                continue
            transaction_id = o.provider_reference or f"4200{rng.getrandbits(60):018d}"[:28]
            body = {"out_trade_no": o.number, "transaction_id": transaction_id}
            notifications.append(
                PaymentNotification(
                    organization=self.org,
                    provider=PaymentProvider.WECHAT_PAY,
                    remote_addr=f"101.226.103.{rng.randint(1, 254)}",
                    headers={"Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A72"},
                    body=json.dumps({"resource": body}, ensure_ascii=False),
                    event_id=f"bench-evt-{o.pk}",
                    transaction_id=transaction_id,
                    order=o,
                    amount_fen=o.amount_fen,
                    status=NotificationStatus.FLAGGED if flagged else NotificationStatus.ACCEPTED,
                    reason="order is cancelled" if flagged else "",
                    received_at=(o.paid_at or o.cancelled_at or o.created_at)
                    + timedelta(seconds=5),
                )
            )
        notifications = PaymentNotification.objects.bulk_create(notifications, batch_size=1000)
        self._backdate(PaymentNotification, notifications, "received_at")
        log(f"issue 7: {len(orders)} orders, {len(notifications)} payment notifications")

    def _waitlist(self, pool: list[tuple[int, str]], n: int) -> None:
        from shequn.joining.models import JoinPolicy, WaitlistEntry

        rng, full = self.rng, self.communities[FULL_SLUG]
        JoinPolicy.objects.update_or_create(community=full, defaults={"waitlist_enabled": True})
        taken = self._members_of(FULL_SLUG) | set(
            WaitlistEntry.objects.filter(community=full).values_list("member_id", flat=True)
        )
        people = [pk for pk, _key in self._take(pool, n, lambda pk: pk not in taken)]
        statuses = _plan(rng, WAITLIST_PLAN, len(people))
        statuses[:OFFERED] = ["offered"] * len(statuses[:OFFERED])
        if self.member is not None and self.member.pk not in taken:
            people.append(self.member.pk)
            statuses.append("waiting")  # the demo member: last in the queue
        times = sorted(self.now - timedelta(hours=rng.uniform(1, 240)) for _ in people)
        entries = []
        for member_id, status, at in zip(people, statuses, times, strict=True):
            offered = status in ("offered", "expired")
            offered_at = self.now - timedelta(hours=rng.uniform(0.5, 40)) if offered else None
            entries.append(
                WaitlistEntry(
                    organization=self.org,
                    community=full,
                    member_id=member_id,
                    status=status,
                    offered_at=offered_at,
                    offer_expires_at=offered_at + timedelta(hours=48 if status == "offered" else 0)
                    if offered_at
                    else None,
                    closed_at=self.now - timedelta(hours=1)
                    if status in ("expired", "cancelled")
                    else None,
                    created_at=at,
                )
            )
        entries = WaitlistEntry.objects.bulk_create(entries, batch_size=1000)
        self._backdate(WaitlistEntry, entries)
        log(f"issue 7: {len(entries)} waitlist entries")

    def _leave_requests(self, leaving: list[tuple[int, int, int]]) -> None:
        from shequn.joining.models import JoinPolicy, LeaveRequest
        from shequn.members.models import Membership

        rng = self.rng
        for community_id in sorted({c for _m, _ms, c in leaving}):
            JoinPolicy.objects.update_or_create(
                community_id=community_id, defaults={"leave_review": True}
            )
        requests, left = [], []
        plan = _plan(rng, LEAVE_PLAN, len(leaving))
        floors = [status for status, count in LEAVE_FLOORS for _ in range(count)]
        plan[: len(floors)] = floors[: len(plan)]
        rng.shuffle(plan)
        for (member_id, membership_id, community_id), status in zip(leaving, plan, strict=True):
            at = self.now - timedelta(days=rng.uniform(0.1, 60))
            decided_at = at + timedelta(hours=rng.uniform(1, 48)) if status == "done" else None
            reason = rng.choice(LEAVE_REASONS)
            requests.append(
                LeaveRequest(
                    organization=self.org,
                    community_id=community_id,
                    member_id=member_id,
                    membership_id=membership_id,
                    reason=reason,
                    status=status,
                    decided_at=decided_at,
                    decided_by=self.world.head.user if decided_at else None,
                    created_at=at,
                )
            )
            if decided_at is not None:
                left.append((membership_id, decided_at, reason))
        requests = LeaveRequest.objects.bulk_create(requests, batch_size=1000)
        self._backdate(LeaveRequest, requests)
        ended = list(Membership.objects.filter(pk__in=[pk for pk, *_ in left]))
        when = {pk: (at, reason) for pk, at, reason in left}
        for ms in ended:
            ms.status, (ms.left_at, ms.end_reason) = "left", when[ms.pk]
            ms.left_by_request, ms.rejoin_allowed = True, False
        Membership.objects.bulk_update(
            ended,
            ["status", "left_at", "end_reason", "left_by_request", "rejoin_allowed"],
            batch_size=1000,
        )
        log(f"issue 7: {len(requests)} leave requests ({len(ended)} left)")

    def _blacklist(self, blocked: list[tuple[int, str]], n: int) -> None:
        """`n` entries: the `blocked` members (by member: ~85%), the rest by phone alone."""
        from shequn.joining.models import BlacklistEntry, BlacklistKey
        from shequn.members.models import Identity, Member, Membership

        rng, admin = self.rng, self.world.admin.user
        people = [pk for pk, _key in blocked[: n * 85 // 100]]  # the rest: by phone alone
        members = Member.objects.in_bulk(people)
        identities: dict[int, list[tuple[str, str]]] = {}
        for member_id, channel, external_id in Identity.objects.filter(
            member_id__in=people
        ).values_list("member_id", "channel", "external_id"):
            identities.setdefault(member_id, []).append((channel, external_id))
        entries = []
        for i in range(n):
            at = self.now - timedelta(days=rng.uniform(0.1, 365))
            lifted = i % 3 == 1  # a full page of lifted entries in the demo too
            member = members[people[i]] if i < len(people) else None
            keys = identities.get(member.pk, []) if member else []
            entries.append(
                BlacklistEntry(
                    organization=self.org,
                    member=member,
                    display_name=member.display_name[:64] if member else "",
                    phone=member.phone if member else f"+86199{rng.randint(0, 99_999_999):08d}",
                    email=(member.email or "").lower() if member else "",
                    identities=[{"channel": c, "external_id": e} for c, e in keys],
                    reason=rng.choice(BLACKLIST_REASONS),
                    added_by=admin,
                    lifted_at=at + timedelta(days=3) if lifted else None,
                    lifted_by=admin if lifted else None,
                    lift_reason="误判,已核实" if lifted else "",
                    created_at=at,
                )
            )
        entries = BlacklistEntry.objects.bulk_create(entries, batch_size=1000)
        self._backdate(BlacklistEntry, entries)
        BlacklistKey.objects.bulk_create(
            [
                BlacklistKey(
                    entry=e,
                    organization=self.org,
                    channel=key["channel"],
                    external_id=key["external_id"],
                )
                for e in entries
                for key in e.identities
            ],
            batch_size=1000,
        )
        # add_to_blacklist removes them from every community (a lifted entry does not undo it).
        reasons = {e.member_id: (e.created_at, e.reason) for e in entries if e.member_id}
        ended = list(Membership.objects.filter(member_id__in=list(reasons), status="active"))
        for ms in ended:
            ms.status, (ms.left_at, ms.end_reason) = "removed", reasons[ms.member_id]
            ms.left_at = max(ms.left_at, ms.joined_at + timedelta(seconds=1))
            ms.rejoin_allowed = False
        Membership.objects.bulk_update(
            ended, ["status", "left_at", "end_reason", "rejoin_allowed"], batch_size=1000
        )
        log(f"issue 7: {len(entries)} blacklist entries ({len(ended)} memberships removed)")

    # -- pages -------------------------------------------------------------------------------

    def url(self, name: str, query: str = "", **kwargs: Any) -> str:
        """The address of a route by its name, or "" (skipped with a note) while the route
        does not exist yet."""
        from django.urls import NoReverseMatch, reverse

        try:
            address = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            log(f"note: no route {name!r} {kwargs or ''} (yet)")
            return ""
        return f"{address}?{query}" if query else address

    def pages(self) -> dict[str, Callable[[], None]]:
        """Every console page, API list and member page of issue 7 ("i7:" in their names),
        each on a typical object and on the busiest one."""
        from django.db.models import Count

        from shequn.applications.models import Application
        from shequn.invitations.models import InviteJoin, InviteLink
        from shequn.joining.models import BlacklistEntry
        from shequn.members.search import member_match
        from shequn.payments.models import Order, PaymentNotification

        w, url = self.world, self.url
        big, org = w.big, self.org
        fans, paid = self.communities[FANS_SLUG], self.communities[PAID_SLUG]
        full, open_ = self.communities[FULL_SLUG], self.communities[OPEN_SLUG]
        other = self.communities[OTHER_PRIVATE_SLUG]
        links = InviteLink.objects.filter(community=big)  # the head sees them too
        busiest_link = links.order_by("-use_count", "pk").first()
        assert busiest_link is not None
        # "Typical": the median of those with a full page of joins (25), at every size, so
        # both sizes render the same page.
        used = list(
            links.filter(use_count__gte=PAGE_ROWS)
            .order_by("use_count", "pk")
            .values_list("pk", flat=True)
        )
        typical_link = used[len(used) // 2] if used else busiest_link.pk
        inviters = list(
            InviteJoin.objects.filter(community=big, inviter_member__isnull=False)
            .values("inviter_member_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "inviter_member_id")
            .values_list("inviter_member_id", "n")
        )
        busiest_inviter, most = inviters[0]
        paged = [row for row in inviters if row[1] >= PAGE_ROWS] or inviters
        typical_inviter, some = paged[len(paged) // 2]
        log(
            f"issue 7: busiest link {busiest_link.pk} ({busiest_link.use_count} joins), busiest "
            f"inviter {busiest_inviter} ({most}), typical {typical_inviter} ({some})"
        )
        queue = Application.objects.filter(community=fans)
        pending = queue.filter(status="pending").order_by("submitted_at", "pk").first()
        decided = queue.filter(status="approved").order_by("-decided_at", "pk").first()
        orders = Order.objects.filter(community=paid)
        order = orders.filter(status="paid").order_by("-created_at", "-pk")[20:21].first()
        notification = (
            PaymentNotification.objects.filter(organization=org).order_by("-received_at").first()
        )
        flagged = PaymentNotification.objects.filter(organization=org, status="flagged").first()
        entry = BlacklistEntry.objects.filter(organization=org, member__isnull=False).first()
        mine = Order.objects.filter(member=self.member).order_by("-created_at").first()
        surname = w.probe.display_name[0] if w.probe else "王"
        match = member_match(surname, field="member_id").q
        found = Application.objects.filter(match, organization=org, is_open=1).count()
        log(f"issue 7: queue ?q={surname}: {found} open applications of matching members")

        def ids(obj: Any) -> int:
            return obj.pk if obj is not None else 0

        def cursor(client: str, address: str) -> str:
            """The API list's next page (`offset=` its `next_offset`), or "" when none."""
            if not address:
                return ""
            address = f"{address}{'&' if '?' in address else '?'}limit=5"  # even the demo's
            if w._status(client, address) != "200":
                return ""
            offset = w.clients[client].get(address).json().get("next_offset")
            return f"{address}&offset={offset}" if offset is not None else ""

        def portal(name: str, community: Any) -> str:
            return url(name, org_slug=org.slug, slug=community.slug)

        api = "/api/v1"
        inv_list = url("invitations:list")
        wanted: list[tuple[str, str, str]] = [
            # invitations (console)
            ("i7: invite links /invitations/", "admin", inv_list),
            ("i7:   links ?community=big", "admin", url("invitations:list", f"community={big.pk}")),
            ("i7:   links ?status=active", "admin", url("invitations:list", "status=active")),
            (
                "i7:   links ?inviter=busiest",
                "admin",
                url("invitations:list", f"inviter={busiest_inviter}"),
            ),
            ("i7:   links page 3", "admin", url("invitations:list", "page=3")),
            ("i7: new invite link form", "admin", url("invitations:create")),
            (
                "i7: invite link detail (typical)",
                "admin",
                url("invitations:detail", link_id=typical_link),
            ),
            (
                "i7: invite link detail (busiest)",
                "admin",
                url("invitations:detail", link_id=busiest_link.pk),
            ),
            (
                "i7:   busiest link page 3",
                "admin",
                url("invitations:detail", "page=3", link_id=busiest_link.pk),
            ),
            (
                "i7: invite link edit (busiest)",
                "admin",
                url("invitations:edit", link_id=busiest_link.pk),
            ),
            (
                "i7: invite link show (QR)",
                "admin",
                url("invitations:show", link_id=busiest_link.pk),
            ),
            ("i7: invite link qr.svg", "admin", url("invitations:qr_svg", link_id=busiest_link.pk)),
            ("i7: inviters /invitations/inviters/", "admin", url("invitations:inviters")),
            (
                "i7:   inviters ?community=big",
                "admin",
                url("invitations:inviters", f"community={big.pk}"),
            ),
            (
                "i7: member invitees (typical inviter)",
                "admin",
                url("invitations:member_invitees", member_id=typical_inviter),
            ),
            (
                "i7: member invitees (busiest inviter)",
                "admin",
                url("invitations:member_invitees", member_id=busiest_inviter),
            ),
            (
                "i7:   busiest inviter page 3",
                "admin",
                url("invitations:member_invitees", "page=3", member_id=busiest_inviter),
            ),
            (
                "i7: operator invitees (admin)",
                "admin",
                url("invitations:operator_invitees", operator_id=w.admin.pk),
            ),
            # applications (console)
            ("i7: application queue /applications/", "admin", url("applications:queue")),
            (
                "i7:   queue ?community=fans",
                "admin",
                url("applications:queue", f"community={fans.pk}"),
            ),
            ("i7:   queue ?status=approved", "admin", url("applications:queue", "status=approved")),
            ("i7:   queue ?status=rejected", "admin", url("applications:queue", "status=rejected")),
            ("i7:   queue ?waiting_days=7", "admin", url("applications:queue", "waiting_days=7")),
            (
                "i7:   queue ?q=surname",
                "admin",
                url("applications:queue", f"q={quote(surname)}"),
            ),
            ("i7:   queue page 3", "admin", url("applications:queue", "page=3")),
            (
                "i7: application detail (pending)",
                "admin",
                url("applications:detail", application_id=ids(pending)),
            ),
            (
                "i7: application detail (approved)",
                "admin",
                url("applications:detail", application_id=ids(decided)),
            ),
            (
                "i7: application form builder",
                "admin",
                url("applications:form", community_id=fans.pk),
            ),
            # payments (console)
            ("i7: orders /payments/orders/", "admin", url("payments:order_list")),
            (
                "i7:   orders ?community=paid",
                "admin",
                url("payments:order_list", f"community={paid.pk}"),
            ),
            ("i7:   orders ?status=paid", "admin", url("payments:order_list", "status=paid")),
            ("i7:   orders ?status=pending", "admin", url("payments:order_list", "status=pending")),
            (
                "i7:   orders ?provider=wechatpay",
                "admin",
                url("payments:order_list", "provider=wechatpay"),
            ),
            ("i7:   orders page 3", "admin", url("payments:order_list", "page=3")),
            ("i7: order detail", "admin", url("payments:order_detail", order_id=ids(order))),
            ("i7: payment notifications", "admin", url("payments:notification_list")),
            ("i7:   notifications page 3", "admin", url("payments:notification_list", "page=3")),
            (
                "i7: payment notification detail",
                "admin",
                url("payments:notification_detail", notification_id=ids(notification)),
            ),
            (
                "i7: flagged notification detail",
                "admin",
                url("payments:notification_detail", notification_id=ids(flagged)),
            ),
            ("i7: price settings (paid)", "admin", url("payments:price", community_id=paid.pk)),
            # joining (console)
            ("i7: joining rules (big)", "admin", url("joining:policy", community_id=big.pk)),
            (
                "i7: waitlist (full community)",
                "admin",
                url("joining:waitlist", community_id=full.pk),
            ),
            (
                "i7:   waitlist ?status=offered",
                "admin",
                url("joining:waitlist", "status=offered", community_id=full.pk),
            ),
            ("i7: leave requests", "admin", url("joining:leave_requests")),
            (
                "i7:   leave requests ?status=done",
                "admin",
                url("joining:leave_requests", "status=done"),
            ),
            ("i7:   leave requests page 3", "admin", url("joining:leave_requests", "page=3")),
            ("i7: blacklist", "admin", url("joining:blacklist")),
            ("i7:   blacklist lifted", "admin", url("joining:blacklist", "lifted=on")),
            (
                "i7:   blacklist ?q=surname",
                "admin",
                url("joining:blacklist", f"q={quote(surname)}"),
            ),
            ("i7: blacklist add form", "admin", url("joining:blacklist_add")),
            # the console pages issue 7 added panels to
            ("i7: community page (big) with panels", "admin", f"/communities/{big.pk}/"),
            ("i7: community page (paid)", "admin", f"/communities/{paid.pk}/"),
            ("i7: community page (fans)", "admin", f"/communities/{fans.pk}/"),
            ("i7: community page (full, waitlist)", "admin", f"/communities/{full.pk}/"),
            ("i7: member detail (busiest inviter)", "admin", f"/members/{busiest_inviter}/"),
            (
                "i7: member detail (blacklisted)",
                "admin",
                f"/members/{entry.member_id}/" if entry else "",
            ),
            (
                "i7: member detail (applicant)",
                "admin",
                f"/members/{pending.member_id}/" if pending else "",
            ),
            ("i7: member detail (payer)", "admin", f"/members/{order.member_id}/" if order else ""),
            # the chapter head
            ("i7: head: invite links", "head", inv_list),
            ("i7: head: inviters", "head", url("invitations:inviters")),
            (
                "i7: head: busiest inviter's invitees",
                "head",
                url("invitations:member_invitees", member_id=busiest_inviter),
            ),
            (
                "i7: head: invite link detail (busiest)",
                "head",
                url("invitations:detail", link_id=busiest_link.pk),
            ),
            ("i7: head: application queue", "head", url("applications:queue")),
            ("i7: head: orders", "head", url("payments:order_list")),
            ("i7: head: leave requests", "head", url("joining:leave_requests")),
            ("i7: head: joining rules (big)", "head", url("joining:policy", community_id=big.pk)),
            ("i7: head: blacklist", "head", url("joining:blacklist")),
            ("i7: head: member detail (busiest inviter)", "head", f"/members/{busiest_inviter}/"),
            # API
            ("i7: API invite links", "admin-api", f"{api}/invite-links"),
            (
                "i7: API invite links ?community_id=big",
                "admin-api",
                f"{api}/invite-links?community_id={big.pk}",
            ),
            (
                "i7: API invite links ?inviter_member_id=busiest",
                "admin-api",
                f"{api}/invite-links?inviter_member_id={busiest_inviter}",
            ),
            (
                "i7: API invite links ?status=active",
                "admin-api",
                f"{api}/invite-links?status=active",
            ),
            (
                "i7: API invite links page 2",
                "admin-api",
                cursor("admin-api", f"{api}/invite-links"),
            ),
            ("i7: API invite link (busiest)", "admin-api", f"{api}/invite-links/{busiest_link.pk}"),
            (
                "i7: API link joins (busiest)",
                "admin-api",
                f"{api}/invite-links/{busiest_link.pk}/joins",
            ),
            (
                "i7: API link joins (busiest) page 2",
                "admin-api",
                cursor("admin-api", f"{api}/invite-links/{busiest_link.pk}/joins"),
            ),
            ("i7: API inviters", "admin-api", f"{api}/inviters"),
            (
                "i7: API inviters ?community_id=big",
                "admin-api",
                f"{api}/inviters?community_id={big.pk}",
            ),
            (
                "i7: API member invitees (busiest)",
                "admin-api",
                f"{api}/inviters/members/{busiest_inviter}/invitees",
            ),
            (
                "i7: API member invitees (busiest) page 2",
                "admin-api",
                cursor("admin-api", f"{api}/inviters/members/{busiest_inviter}/invitees"),
            ),
            ("i7: API applications", "admin-api", f"{api}/applications"),
            (
                "i7: API applications ?community_id=fans",
                "admin-api",
                f"{api}/applications?community_id={fans.pk}",
            ),
            (
                "i7: API applications ?status=approved",
                "admin-api",
                f"{api}/applications?status=approved",
            ),
            (
                "i7: API applications ?waiting_days=7",
                "admin-api",
                f"{api}/applications?waiting_days=7",
            ),
            (
                "i7: API applications ?q=surname",
                "admin-api",
                f"{api}/applications?q={quote(surname)}",
            ),
            (
                "i7: API applications page 2",
                "admin-api",
                cursor("admin-api", f"{api}/applications"),
            ),
            ("i7: API application (approved)", "admin-api", f"{api}/applications/{ids(decided)}"),
            (
                "i7: API application form",
                "admin-api",
                f"{api}/communities/{fans.pk}/application-form",
            ),
            ("i7: API orders", "admin-api", f"{api}/orders"),
            (
                "i7: API orders ?community_id=paid",
                "admin-api",
                f"{api}/orders?community_id={paid.pk}",
            ),
            ("i7: API orders ?status=paid", "admin-api", f"{api}/orders?status=paid"),
            (
                "i7: API orders ?member_id=",
                "admin-api",
                f"{api}/orders?member_id={order.member_id}" if order else "",
            ),
            ("i7: API orders page 2", "admin-api", cursor("admin-api", f"{api}/orders")),
            ("i7: API order", "admin-api", f"{api}/orders/{ids(order)}"),
            ("i7: API price (paid)", "admin-api", f"{api}/communities/{paid.pk}/price"),
            ("i7: API payment notifications", "admin-api", f"{api}/payment-notifications"),
            (
                "i7: API payment notifications ?status=flagged",
                "admin-api",
                f"{api}/payment-notifications?status=flagged",
            ),
            (
                "i7: API payment notifications page 2",
                "admin-api",
                cursor("admin-api", f"{api}/payment-notifications"),
            ),
            ("i7: API waitlist (full)", "admin-api", f"{api}/communities/{full.pk}/waitlist"),
            (
                "i7: API waitlist page 2",
                "admin-api",
                cursor("admin-api", f"{api}/communities/{full.pk}/waitlist"),
            ),
            ("i7: API join policy (big)", "admin-api", f"{api}/communities/{big.pk}/join-policy"),
            ("i7: API leave requests", "admin-api", f"{api}/leave-requests"),
            (
                "i7: API leave requests ?status=done",
                "admin-api",
                f"{api}/leave-requests?status=done",
            ),
            (
                "i7: API leave requests ?community_id=big",
                "admin-api",
                f"{api}/leave-requests?community_id={big.pk}",
            ),
            (
                "i7: API leave requests done page 2",
                "admin-api",
                cursor("admin-api", f"{api}/leave-requests?status=done"),
            ),
            ("i7: API blacklist", "admin-api", f"{api}/blacklist"),
            ("i7: API blacklist ?lifted=true", "admin-api", f"{api}/blacklist?lifted=true"),
            ("i7: API blacklist ?q=surname", "admin-api", f"{api}/blacklist?q={quote(surname)}"),
            ("i7: API blacklist page 2", "admin-api", cursor("admin-api", f"{api}/blacklist")),
            ("i7: API blacklist entry", "admin-api", f"{api}/blacklist/{ids(entry)}"),
            ("i7: head API invite links", "head-api", f"{api}/invite-links"),
            ("i7: head API inviters", "head-api", f"{api}/inviters"),
            (
                "i7: head API member invitees (busiest)",
                "head-api",
                f"{api}/inviters/members/{busiest_inviter}/invitees",
            ),
            ("i7: head API applications", "head-api", f"{api}/applications"),
            ("i7: head API orders", "head-api", f"{api}/orders"),
            ("i7: head API leave requests", "head-api", f"{api}/leave-requests"),
            ("i7: head API blacklist", "head-api", f"{api}/blacklist"),
            # member pages: the join page of each kind of community, anonymous and signed in
            ("i7: join page open (anon)", "anon", portal("portal:community", open_)),
            ("i7: join page open (member, in it)", "member", portal("portal:community", open_)),
            ("i7: join page big private (anon)", "anon", portal("portal:community", big)),
            (
                "i7: join page big private (member, in it)",
                "member",
                portal("portal:community", big),
            ),
            ("i7: join page private fans (anon)", "anon", portal("portal:community", fans)),
            ("i7: join page private fans (member)", "member", portal("portal:community", fans)),
            (
                "i7: join page private, own application (member)",
                "member",
                portal("portal:community", other),
            ),
            ("i7: join page paid (anon)", "anon", portal("portal:community", paid)),
            ("i7: join page paid (member)", "member", portal("portal:community", paid)),
            ("i7: join page full (anon)", "anon", portal("portal:community", full)),
            ("i7: join page full, waitlisted (member)", "member", portal("portal:community", full)),
            ("i7: my communities /c/me/", "member", url("portal:my")),
            ("i7: apply page (fans)", "member", portal("applications_portal:apply", fans)),
            (
                "i7: application status (own)",
                "member",
                portal("applications_portal:status", other),
            ),
            ("i7: checkout (paid)", "member", portal("payments_portal:checkout", paid)),
            ("i7: my orders", "member", url("payments_portal:my_orders")),
            (
                "i7: my order",
                "member",
                url("payments_portal:order", number=mine.number) if mine else "",
            ),
            ("i7: leave page (big)", "member", portal("joining_portal:leave", big)),
            ("i7: waitlist page (full)", "member", portal("joining_portal:waitlist", full)),
            ("i7: my invite link (big)", "member", portal("invitations_portal:my_link", big)),
            (
                "i7: invite landing (busiest link, anon) → 302",
                "anon",
                url("invitations_portal:landing", code=busiest_link.code),
            ),
            (
                "i7: invite landing (busiest link, member) → 302",
                "member",
                url("invitations_portal:landing", code=busiest_link.code),
            ),
        ]
        if "member" not in w.clients:
            log("note: no demo member account: the signed-in member pages are left out")
            wanted = [row for row in wanted if row[1] != "member"]
        return w.measured(wanted)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--explain":
        sys.exit(explain_pages([w for w in sys.argv[2].split(",") if w]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--pages":
        sys.exit(orchestrate([w for w in sys.argv[2].split(",") if w]))
    else:
        sys.exit(orchestrate())

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
500 members; rows only). Pages that do not answer 200 when the worker starts are left out
with a note on stderr (a page still being written).

Environment: BENCH_SCALE_SIZES (default "10000,100000"), BENCH_SCALE_ROUNDS (default 25),
BENCH_SCALE_DATABASES (default "sqlite,postgresql"), BENCH_SCALE_MARKDOWN=1 for a Markdown
table. `--pages WORD[,WORD…]` measures only the pages whose name contains one of the words
(e.g. `--pages search`); the sizes are still grown in full. `--worker sqlite|postgresql` runs
one database and prints JSON (used internally).
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
        else:
            start = time.perf_counter()
            pages[command]()
            answer = f"{(time.perf_counter() - start) * 1000:.3f}"
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


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
        pages: dict[str, Callable[[], None]] = {}
        for name, client, url in wanted:
            status = self._status(client, url) if url else "no next page"
            if status != "200":
                log(f"skipped {name!r}: {url} answers {status}")
                continue
            pages[name] = functools.partial(self._get, client, url)
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

    def _get(self, client: str, url: str) -> None:
        response = self.clients[client].get(url)
        if response.status_code != 200:
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
        from shequn.members.counters import recount_members

        floor_dups, per_dup = DUPLICATES
        duplicates = floor_dups + total // per_dup
        if total:
            self.grow_to(total - duplicates)
        self._duplicates(duplicates)
        result = recount_members(organization_id=self.org.pk)
        log(f"recount: {result}")
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
            for table in ACTIVITY_TABLES:
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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--pages":
        sys.exit(orchestrate([w for w in sys.argv[2].split(",") if w]))
    else:
        sys.exit(orchestrate())

"""Merge suggestions against a known truth: precision, recall and time at 10,000 and 100,000.

    .venv/bin/python bench/merge.py      # SQLite scratch file /tmp/bench_merge.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_merge .venv/bin/python bench/merge.py

The scratch database is dropped and created (never point it at a database you keep). For each
size, an organisation of BENCH_MERGE_SIZES identities (default 10,000 and 100,000): people with
one to three accounts on Telegram, WeChat, WeCom, QQ, Discord, Feishu, each account its own
member (as ingestion creates them for unknown actors). A person's accounts share, per link, a
phone (35%), an email (25%), a username (20%), a WeChat unionid (WeChat + WeCom, 10%) or
nothing (10%). Noise: names from a small pool (30% common names: many namesakes, different
people, in the same chapter), handles made of the name's pinyin and four digits (different
people collide by chance), 0.2% of people share a family phone with someone else, and people
whose accounts sit in different chapters.

Prints, per size: the time of `refresh_merge_suggestions` and per identity, the suggestions,
and the precision and recall of accepting every suggestion at or above ACCEPT_THRESHOLD (recall
of the links that share a phone, email or username); then the ratio of time per identity at
the large size to the small one (about 1: linear). Figures, never pass/fail.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = [int(s) for s in os.environ.get("BENCH_MERGE_SIZES", "10000,100000").split(",")]
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:////tmp/bench_merge.sqlite3")
if DATABASE_URL.startswith("postgres"):
    DB_NAME = urlsplit(DATABASE_URL).path.lstrip("/")
    if DB_NAME in {"", "postgres", "test", "shequn"} or DB_NAME.startswith("h_"):
        sys.exit(f"refusing to drop database {DB_NAME!r}: use a scratch database (bench_merge)")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-merge")
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.pop("REDIS_URL", None)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
    "建华",
    "志强",
    "晓明",
    "海燕",
    "婷婷",
    "文博",
    "子涵",
    "浩然",
]
# Given names: common ones (many namesakes) or two of these characters (~2,500 combinations).
CHARS = "一丁子文天方月玉永立华安国明宇家晓海雪涛浩清婷雅嘉辉静敏颖慧思佳欣怡瑞俊杰鹏飞"
CHANNELS = ["telegram", "wechat", "wecom", "qq", "discord", "feishu"]
CHAPTERS = 19


def recreate_database() -> None:
    if DATABASE_URL.startswith("sqlite"):
        path = Path(urlsplit(DATABASE_URL).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    admin_url = urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def generate(org, chapters, size: int, rng: random.Random):  # type: ignore[no-untyped-def]
    """Members and identities of `size` accounts; returns (truth links, links that share)."""
    from pypinyin import lazy_pinyin

    from shequn.core.collation import sort_key_for
    from shequn.members.models import Identity, Member

    keys: dict[str, str] = {}
    handles: dict[str, str] = {}
    people: list[list[int]] = []  # account indexes per person
    accounts: list[dict[str, Any]] = []
    while len(accounts) < size:
        given = rng.choice(GIVEN) if rng.random() < 0.3 else "".join(rng.sample(CHARS, 2))
        name = rng.choice(SURNAMES) + given
        if name not in keys:
            keys[name] = sort_key_for(name)
            handles[name] = "".join(lazy_pinyin(name))
        home = rng.randrange(CHAPTERS)
        person = len(people)
        k = rng.choices([1, 2, 3], weights=[40, 45, 15])[0]
        channels = rng.sample(CHANNELS, k)
        share = rng.choices(
            ["phone", "email", "username", "union_id", "none"], weights=[35, 25, 20, 10, 10]
        )[0]
        if share == "union_id":
            channels = ["wechat", "wecom", *[c for c in channels if c not in ("wechat", "wecom")]][
                : max(k, 2)
            ]
        phone = f"+86139{person:08d}"
        email = f"p{person}@example.com"
        handle = f"{handles[name]}{rng.randrange(10000):04d}"
        idx = []
        for n, channel in enumerate(channels):
            # The first account carries the person's details; the others share one signal.
            first = n == 0
            account = {
                "name": name,
                "channel": channel,
                "external_id": f"{channel}-{person}-{n}",
                "chapter": home if rng.random() < 0.8 else rng.randrange(CHAPTERS),
                "phone": phone if first or share == "phone" else "",
                "email": email if (first and rng.random() < 0.5) or share == "email" else "",
                "username": handle
                if (first and rng.random() < 0.5) or share == "username"
                else f"{handle}x{n}",
                "union_id": f"oU{person}"
                if share == "union_id" and channel in ("wechat", "wecom")
                else "",
            }
            if not first and share != "phone":
                account["phone"] = ""
            idx.append(len(accounts))
            accounts.append(account)
        people.append(idx)
    # Families: 0.2% of people give a phone that another person gave too.
    for _ in range(len(people) // 500):
        a, b = rng.sample(range(len(people)), 2)
        accounts[people[b][0]]["phone"] = accounts[people[a][0]]["phone"]
    members = Member.objects.bulk_create(
        [
            Member(
                organization=org,
                chapter=chapters[a["chapter"]] if rng.random() < 0.6 else None,
                display_name=a["name"],
                sort_key=keys[a["name"]],
            )
            for a in accounts
        ],
        batch_size=5000,
    )
    Identity.objects.bulk_create(
        [
            Identity(
                organization=org,
                member=m,
                channel=a["channel"],
                external_id=a["external_id"],
                display_name=a["name"],
                username=a["username"],
                email=a["email"],
                phone=a["phone"],
                union_id=a["union_id"],
            )
            for m, a in zip(members, accounts, strict=True)
        ],
        batch_size=5000,
    )
    truth: set[tuple[int, int]] = set()
    sharing: set[tuple[int, int]] = set()
    for idx in people:
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                x, y = accounts[idx[i]], accounts[idx[j]]
                pair = tuple(sorted((members[idx[i]].pk, members[idx[j]].pk)))
                truth.add(pair)  # type: ignore[arg-type]
                if any(x[f] and x[f] == y[f] for f in ("phone", "email", "username")):
                    sharing.add(pair)  # type: ignore[arg-type]
    return truth, sharing


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shequn.members.merge_suggestions import ACCEPT_THRESHOLD, refresh_merge_suggestions
    from shequn.members.models import MergeSuggestion
    from shequn.members.search import refresh_planner_statistics
    from shequn.organizations.models import Chapter, Organization

    vendor = "PostgreSQL" if DATABASE_URL.startswith("postgres") else "SQLite"
    print(f"bench/merge.py on {vendor}; accept threshold {ACCEPT_THRESHOLD:.2f}")
    per_identity: list[float] = []
    for size in SIZES:
        rng = random.Random(size)
        org = Organization.objects.create(name=f"bench {size}", slug=f"bench-{size}")
        chapters = [
            Chapter.objects.create(organization=org, name=f"分会{i}", slug=f"c{i}")
            for i in range(CHAPTERS)
        ]
        started = time.perf_counter()
        truth, sharing = generate(org, chapters, size, rng)
        refresh_planner_statistics()
        generated = time.perf_counter() - started
        started = time.perf_counter()
        result = refresh_merge_suggestions(org)
        elapsed = time.perf_counter() - started
        rows = MergeSuggestion.objects.filter(organization=org).values_list(
            "member_a_id", "member_b_id", "confidence"
        )
        accepted = {(a, b) for a, b, c in rows if c >= ACCEPT_THRESHOLD}
        correct = accepted & truth
        precision = len(correct) / len(accepted) if accepted else 1.0
        recall = len(accepted & sharing) / len(sharing) if sharing else 1.0
        recall_all = len(correct) / len(truth) if truth else 1.0
        per_identity.append(elapsed / size)
        print(
            f"{size:>7,} identities (generated in {generated:.1f} s): finding {elapsed:.2f} s "
            f"({elapsed / size * 1e6:.0f} µs/identity), {result.created:,} suggestions, "
            f"{len(accepted):,} at or above {ACCEPT_THRESHOLD:.2f}"
        )
        print(
            f"         precision {precision:.4f}  recall {recall:.4f} of {len(sharing):,} links "
            f"sharing a phone, email or username  (recall of all {len(truth):,} true links: "
            f"{recall_all:.4f})"
        )
    if len(per_identity) > 1:
        ratio = per_identity[-1] / per_identity[0]
        print(
            f"time per identity at {SIZES[-1]:,} / at {SIZES[0]:,}: {ratio:.2f} "
            "(1.0 = linear growth)"
        )


if __name__ == "__main__":
    main()

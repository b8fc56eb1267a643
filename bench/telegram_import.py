"""Telegram export benchmark: a 1,000,000-message `result.json` through `import_activities`.

Run with `.venv/bin/python bench/telegram_import.py` (BENCH_TG_MESSAGES, default 1,000,000;
BENCH_TG_DATABASES, default "sqlite,postgresql"; PostgreSQL at BENCH_TG_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/bench_tg, created and dropped).

It writes, streaming, a Telegram Desktop export of one group on disk (20,000 accounts; plain,
array-text (links), replied, edited and reacted messages; reactions with and without `recent`;
joins by link, invitations and removals by name; pins that are skipped), then for each database
in a fresh scratch database with one organisation and community:

1. the baseline: the time to only stream-parse the file with ijson (`messages.item`, the
   yajl2_c backend), in this process;
2. `manage.py import_activities FILE --community tg` in a child process: messages/s, the
   activities stored, and the child's peak RSS (getrusage of the children), and the ratio of
   its rate to the baseline's;
3. the same command again: its rate, and that it added 0 activities.

Figures only (no pass/fail). Target from the issue: stream, stay well under 500 MB RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = int(os.environ.get("BENCH_TG_MESSAGES", "1000000"))
DATABASES = os.environ.get("BENCH_TG_DATABASES", "sqlite,postgresql").split(",")
POSTGRES_URL = os.environ.get(
    "BENCH_TG_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_tg"
)
ACCOUNTS = 20_000
CHAT_ID = 1_700_000_001
START = 1_735_660_800  # 2025-01-01T00:00:00+08:00 … the messages follow every ~15 s
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def name_of(n: int) -> str:
    """A distinct display name per account (names are resolved for invitations/removals)."""
    return f"{SURNAMES[n % 20]}{GIVEN[(n // 20) % 20]}{n}"


def write_export(path: Path, count: int) -> None:
    """The export, written message by message (never held whole)."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with path.open("w", encoding="utf-8") as f:
        f.write('{\n "name": "压测群",\n "type": "private_supergroup",\n')
        f.write(f' "id": {CHAT_ID},\n "messages": [\n')
        for i in range(1, count + 1):
            unix = START + i * 15
            local = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix + 8 * 3600))
            who = (i * 7919) % ACCOUNTS
            base = {"id": i, "date": local, "date_unixtime": str(unix)}
            if i % 500 == 0:
                base |= {
                    "type": "service",
                    "actor": name_of(who),
                    "actor_id": f"user{who}",
                    "action": "join_group_by_link",
                    "inviter": "Group",
                    "text": "",
                }
            elif i % 997 == 0:
                other = (who + 1) % ACCOUNTS
                base |= {
                    "type": "service",
                    "actor": name_of(who),
                    "actor_id": f"user{who}",
                    "action": "invite_members",
                    "members": [name_of(other)],
                    "text": "",
                }
            elif i % 1999 == 0:
                other = (who + 3) % ACCOUNTS
                base |= {
                    "type": "service",
                    "actor": name_of(who),
                    "actor_id": f"user{who}",
                    "action": "remove_members",
                    "members": [name_of(other)],
                    "text": "",
                }
            elif i % 1009 == 0:
                base |= {
                    "type": "service",
                    "actor": name_of(who),
                    "actor_id": f"user{who}",
                    "action": "pin_message",
                    "message_id": i - 1,
                    "text": "",
                }
            else:
                base |= {"type": "message", "from": name_of(who), "from_id": f"user{who}"}
                if i % 5 == 0:
                    base["text"] = [
                        "资料在这里 ",
                        {"type": "link", "text": f"https://example.com/{i}"},
                        " 请查收",
                    ]
                else:
                    base["text"] = f"第{i}条消息：今天的分享很有收获，谢谢大家"
                if i % 4 == 0:
                    base["reply_to_message_id"] = i - 3
                if i % 50 == 0:
                    base["edited"] = local
                    base["edited_unixtime"] = str(unix + 60)
                if i % 20 == 0:
                    fan = (who + 11) % ACCOUNTS
                    base["reactions"] = [
                        {
                            "type": "emoji",
                            "count": 2,
                            "emoji": "👍",
                            "recent": [
                                {"from": name_of(fan), "from_id": f"user{fan}", "date": local}
                            ],
                        },
                        {"type": "emoji", "count": 5, "emoji": "❤"},
                    ]
            f.write("  " + dumps(base) + (",\n" if i < count else "\n"))
        f.write(" ]\n}\n")


def baseline(path: Path) -> tuple[int, float]:
    import ijson

    started = time.perf_counter()
    with path.open("rb") as f:
        count = sum(1 for _ in ijson.items(f, "messages.item", use_float=True))
    return count, time.perf_counter() - started


# Runs manage.py in the child and reports the child's own peak RSS (KiB) on stderr.
WRAPPER = (
    "import resource, sys\n"
    "sys.argv = ['manage.py', *sys.argv[1:]]\n"
    "sys.path.insert(0, '.')\n"
    "import runpy\n"
    "try:\n"
    "    runpy.run_path('manage.py', run_name='__main__')\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print('PEAK_RSS_KB', peak, file=sys.stderr)\n"
)


def run(env: dict[str, str], *args: str) -> str:
    out, _ = run_measured(env, *args)
    return out


def run_measured(env: dict[str, str], *args: str) -> tuple[str, int]:
    """The command's output and the peak RSS (KiB) of its process."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", WRAPPER, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")
    peak = [line for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KB ")]
    return result.stdout, int(peak[-1].split()[1]) if peak else 0


def summary(output: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep:
            values[key] = value
    return values


def setup(env: dict[str, str]) -> None:
    run(env, "migrate", "-v0")
    code = (
        "from shequn.organizations.models import Organization, Community\n"
        "org = Organization.objects.create(name='压测组织', slug='bench')\n"
        "from django.utils import timezone\n"
        "Community.objects.create(organization=org, name='压测群', slug='tg',"
        " starts_at=timezone.now())\n"
    )
    run(env, "shell", "-c", code)


def count_activities(env: dict[str, str]) -> int:
    code = "from shequn.activity.models import Activity; print(Activity.objects.count())"
    return int(run(env, "shell", "-c", code).strip().splitlines()[-1])


def bench_database(
    kind: str, export: Path, parsed: int, parse_seconds: float, scratch: Path
) -> None:
    env = dict(os.environ, LANGUAGE="en", SHEQUN_VAR_DIR=str(scratch / kind))
    if kind == "postgresql":
        import psycopg

        admin = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
        name = POSTGRES_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = POSTGRES_URL
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / kind / 'bench.sqlite3'}"
    (scratch / kind).mkdir(parents=True, exist_ok=True)
    setup(env)
    args = (
        "import_activities",
        str(export),
        "--org",
        "bench",
        "--community",
        "tg",
        "--rejects",
        str(scratch / kind / "rejects.jsonl"),
        "--language",
        "en",
    )
    started = time.perf_counter()
    output, peak_kb = run_measured(env, *args)
    seconds = time.perf_counter() - started
    first = summary(output)
    stored = count_activities(env)
    started = time.perf_counter()
    again = summary(run(env, *args))
    again_seconds = time.perf_counter() - started
    rate = MESSAGES / seconds
    base_rate = parsed / parse_seconds
    print(f"\n[{kind}]")
    print(
        f"  import:     {seconds:8.1f} s  {rate:10,.0f} messages/s  "
        f"(read {first['Read']}, new {first['New']}, duplicate {first['Duplicate']}, "
        f"rejected {first['Rejected']}, skipped {first['Skipped']})"
    )
    print(f"  activities stored: {stored:,}")
    print(f"  peak RSS of the import process: {peak_kb / 1024:,.0f} MB")
    print(
        f"  ratio to the parse-only baseline: {rate / base_rate:.3f} "
        f"({base_rate:,.0f} messages/s parsed)"
    )
    print(
        f"  again:      {again_seconds:8.1f} s  {MESSAGES / again_seconds:10,.0f} messages/s  "
        f"(new {again['New']}, duplicate {again['Duplicate']})"
    )
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-tg-") as tmp:
        scratch = Path(tmp)
        export = scratch / "result.json"
        started = time.perf_counter()
        write_export(export, MESSAGES)
        size = export.stat().st_size
        print(
            f"Telegram export: {MESSAGES:,} messages, {size / 1e6:,.0f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        parsed, parse_seconds = baseline(export)
        print(
            f"Baseline (ijson {__import__('ijson').backend}, parse only): {parse_seconds:.1f} s, "
            f"{parsed / parse_seconds:,.0f} messages/s"
        )
        for kind in DATABASES:
            bench_database(kind, export, parsed, parse_seconds, scratch)


if __name__ == "__main__":
    main()

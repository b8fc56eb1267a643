"""Benchmarks for shequn. Each prints figures and a ratio against a baseline from the same run.

Run with `make bench`. It builds a throw-away SQLite database under a temporary directory,
loads the demo organisation (~300 members) and measures:

- api_communities: GET /api/v1/communities (chapter head's token, limit 50) against the
  baseline GET /api/v1/me (same token: authentication and serialisation only);
- console_members: the member list page of the organisation admin (25 of ~300 members, with
  counts) against the baseline sign-in page (a template render without data);
- memory: peak Python allocation (tracemalloc) of the member list page against the sign-in page.

Targets (ratios, machine-independent): api_communities ≤ 3.0 × baseline, console_members
≤ 8.0 × baseline (25 rows and three filter selects against an empty form),
memory ≤ 5.0 × baseline. The script exits 1 when a target is missed.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SHEQUN_VAR_DIR"] = tempfile.mkdtemp(prefix="shequn-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from shequn.accounts.models import Operator  # noqa: E402
from shequn.accounts.services import issue_api_token  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
TARGETS = {"api_communities": 3.0, "console_members": 8.0, "memory": 5.0}


def timed(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Median milliseconds per call after a short warm-up."""
    for _ in range(10):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def peak_kib(fn: Callable[[], object]) -> float:
    fn()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def check(response: object, status: int = 200) -> None:
    code = getattr(response, "status_code", None)
    if code != status:
        raise SystemExit(f"unexpected status {code}")


def main() -> int:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0)
    head = Operator.objects.get(user__username="demo-head-shanghai")
    _, raw = issue_api_token(actor=None, operator=head, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    console = Client()
    console.force_login(Operator.objects.get(user__username="demo-admin").user)
    anonymous = Client()

    def api_list() -> None:
        check(api.get("/api/v1/communities?limit=50"))

    def api_me() -> None:
        check(api.get("/api/v1/me"))

    def members_page() -> None:
        check(console.get("/members/"))

    def login_page() -> None:
        check(anonymous.get("/accounts/login/"))

    results = {
        "api_communities": (timed(api_list), timed(api_me), "ms"),
        "console_members": (timed(members_page), timed(login_page), "ms"),
        "memory": (peak_kib(members_page), peak_kib(login_page), "KiB"),
    }
    failed = False
    print(f"{'benchmark':<18}{'value':>12}{'baseline':>12}{'ratio':>8}{'target':>8}")
    for name, (value, baseline, unit) in results.items():
        ratio = value / baseline
        ok = ratio <= TARGETS[name]
        failed |= not ok
        print(
            f"{name:<18}{value:>9.2f} {unit:<3}{baseline:>8.2f} {unit:<3}{ratio:>7.2f}x"
            f"{TARGETS[name]:>7.1f}x {'ok' if ok else 'MISSED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

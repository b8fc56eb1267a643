"""`manage.py serve` (what `make run` ends with): the web app and a Huey consumer together."""

from __future__ import annotations

import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="make run serves SQLite; this runs once, in the SQLite pass",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[str]:
    out = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_serve_runs_web_and_consumer_and_stops_both(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SHEQUN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*manage, *command], cwd=settings.BASE_DIR, env=env, check=True)  # noqa: S603
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [*manage, "serve", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout or ()), daemon=True)
    reader.start()
    try:
        status = 0
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    status = r.status
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        consumers = [int(c.split()[0]) for c in _children(server.pid) if "run_huey" in c]
        assert len(consumers) == 1
        assert (tmp_path / "huey.sqlite3").exists()
        for _ in range(300):  # the consumer's start-up lines, before stopping it
            if any("close_expired_communities" in line for line in lines):
                break
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
        reader.join(timeout=5)
    output = "".join(lines)
    assert server.returncode == 0
    assert f"shequn is serving at http://127.0.0.1:{port}/" in output
    assert "shequn stopped." in output
    # The consumer lists its tasks (none would be an empty list) and runs the schedule.
    assert "The following commands are available:\n+ shequn." in output
    assert "+ shequn.organizations.tasks.close_community\n" in output
    assert "+ shequn.organizations.tasks.close_expired_communities\n" in output
    assert "Periodic tasks are enabled." in output
    # One time zone: the log's and Huey's own time are both local (Asia/Shanghai).
    started = re.search(
        r"^\[(\S+ \S+) ([+-]\d{4})\] INFO huey.consumer: Huey consumer started .* at (\S+ \S+)$",
        output,
        re.MULTILINE,
    )
    assert started is not None, output
    assert started[2] == "+0800"
    logged = datetime.datetime.strptime(started[1], "%Y-%m-%d %H:%M:%S")
    huey_time = datetime.datetime.fromisoformat(started[3])
    assert abs((huey_time - logged).total_seconds()) < 2
    with pytest.raises(ProcessLookupError):
        os.kill(consumers[0], 0)  # the consumer stopped too

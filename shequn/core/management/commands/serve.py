"""Serve the web app and one Huey consumer together (embedded mode), until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app (waitress) and a Huey consumer in one command."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-consumer", action="store_true", help="Serve the web app only.")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from config.wsgi import application

        consumer: subprocess.Popen[bytes] | None = None
        if not options["no_consumer"]:
            consumer = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey", "--flush-locks"],
                cwd=settings.BASE_DIR,
            )

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        # Ctrl-C (SIGINT) and SIGTERM stop both processes, even where SIGINT was inherited as
        # ignored (a shell's background job).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        url = f"http://{options['host']}:{options['port']}/"
        from django.utils import timezone

        from shequn.core.log_format import format_zoned

        started = format_zoned(timezone.now())
        self.stdout.write(
            self.style.SUCCESS(f"[{started}] shequn is serving at {url} (Ctrl-C stops it)")
        )
        # Behind a reverse proxy, waitress keeps X-Forwarded-* only from the proxy's address
        # (it drops them from anybody else), so Django's SECURE_PROXY_SSL_HEADER can trust them.
        proxy: dict[str, Any] = {}
        if settings.SHEQUN_BEHIND_PROXY:
            proxy = {
                "trusted_proxy": settings.SHEQUN_TRUSTED_PROXY,
                "trusted_proxy_headers": "x-forwarded-proto x-forwarded-for",
            }
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="shequn",
                **proxy,
            )
        except KeyboardInterrupt:
            pass
        finally:
            if consumer is not None and consumer.poll() is None:
                consumer.send_signal(signal.SIGINT)
                try:
                    consumer.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    consumer.kill()
            self.stdout.write("shequn stopped.")

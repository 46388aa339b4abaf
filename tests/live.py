"""A real ``hanse serve`` on loopback, for tests that talk HTTP to it as an outside client would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.test_postgres_process import wait_ready
from tests.test_process import free_port, hanse


@contextmanager
def serving(config: Path, *, workers: int = 2, port: int | None = None) -> Iterator[str]:
    """Serve ``config`` until the block ends (on ``port``, else a free one); yields the base URL."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HANSE_CONFIG", "DJANGO_SETTINGS_MODULE")}
    argv = [sys.executable, "-m", "hanse", "serve", "--config", str(config), "--port", str(port)]
    log = (config.parent / f"serve-{port}.log").open("wb")  # kept beside the config, for a failure's cause
    server = subprocess.Popen(
        [*argv, "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def token_for(config: Path, upn: str) -> str:
    issued = hanse("token", "issue", "--config", str(config), "--user", upn)
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()

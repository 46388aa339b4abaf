"""Fixed-window counters, kept out of the primary database.

Counting in the primary database made every request, reads included, a write there: on SQLite
each one queued for the one write lock. The counters live in a small SQLite file of their own
(``settings.HANSE_RATE_LIMIT_DB``, under the data directory), written with no fsync: a counter
lost in a power cut only lets a minute's window start afresh. Every web process of a host shares
the file, so a limit holds exactly across them. Instances whose web processes run on several
hosts count per host: the limit then holds within hosts x limit (docs/operators.md).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from hanse import clock

_local = threading.local()
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT NOT NULL, window INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, window))"
)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def _store() -> sqlite3.Connection:
    path = Path(settings.HANSE_RATE_LIMIT_DB)
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "path", None) != path:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(_SCHEMA)
        _local.conn, _local.path = conn, path
    return conn


def hit(key: str, *, limit: int, window_seconds: int = 60) -> Verdict:
    """Count one event for ``key`` in the current window; refuse beyond ``limit``."""
    now = clock.now().timestamp()
    window = int(now // window_seconds)
    conn = _store()
    (count,) = conn.execute(
        "INSERT INTO counters (key, window, count) VALUES (?, ?, 1)"
        " ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count",
        (key, window),
    ).fetchone()
    if count == 1:  # the window's first event clears the key's old windows
        conn.execute("DELETE FROM counters WHERE key = ? AND window < ?", (key, window))
    return Verdict(allowed=count <= limit, retry_after=max(1, window_seconds - int(now) % window_seconds))


def reset() -> None:
    """Forget every count (tests)."""
    _store().execute("DELETE FROM counters")

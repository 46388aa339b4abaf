"""Database settings from a URL: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


def database_settings(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": url[len("sqlite:///") :],
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN: concurrent writers queue on the busy
                # timeout instead of failing halfway through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            "TEST": {"NAME": None},
        }
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": query,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "overloaded, retry": SQLite's write lock still held after
    the busy timeout, or PostgreSQL's lock timeout. Neither is the request's fault."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    return "database is locked" in text or "database table is locked" in text or code == "55P03"


BUSY_RETRY_SECONDS = 2

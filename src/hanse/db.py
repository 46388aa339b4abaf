"""Database settings from a URL: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from django.db.models import Lookup

if TYPE_CHECKING:
    from django.db.models import Model


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
            # Opening the file and running the PRAGMAs cost 1.7 ms of every request.
            "CONN_MAX_AGE": 600,
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


class CaseInsensitiveEqual(Lookup):  # type: ignore[type-arg]
    """``field__ieq=value``: equality ignoring case, written ``LOWER(field) = LOWER(value)``, the
    form that a unique index on ``Lower(field)`` serves on SQLite and PostgreSQL alike. Django's
    ``iexact`` is ``LIKE`` on SQLite and ``UPPER(...)`` on PostgreSQL, which no such index serves:
    at a million tenants a domain lookup scanned the table (198 ms) while holding SQLite's write
    lock. Both sides fold case with the database's ``LOWER``, as the index does, so that what the
    lookup finds is what the unique constraint would refuse."""

    lookup_name = "ieq"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]


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


def insert_many(model: type[Model], names: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """INSERT rows of plain values: one statement run for every row (``executemany``), or COPY.

    ``bulk_create`` builds a model object per row, prepares every value through its field and
    compiles a statement per batch that the driver's parameter limit allows (39 rows of 25 columns
    on SQLite): for a billing run's ten thousand invoice lines, most of the run. Here each column's
    adaptation is chosen once. Like ``bulk_create``, it sends no signals and calls no ``save``;
    the rows must hold every column without a default, ready for the database's constraints."""
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    columns = [model._meta.get_field(name) for name in names]
    adapters = [_adapter(column, connection) for column in columns]
    prepared = [[v if a is None else a(v) for a, v in zip(adapters, row, strict=True)] for row in rows]
    if not prepared:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names_sql = ", ".join(quote(column.column) for column in columns)  # type: ignore[attr-defined]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # COPY, on the same connection and so in the same transaction: psycopg's pipelined
        # executemany still runs one INSERT per row, and quotes each value in Python.
        import psycopg

        with (
            psycopg.Cursor(connection.connection) as raw,
            raw.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy,
        ):
            for row in prepared:
                copy.write_row(row)
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names_sql}) VALUES ({', '.join(['%s'] * len(columns))})", prepared
        )


_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _adapter(field: Any, connection: Any) -> Callable[[Any], Any] | None:
    """What a value of ``field`` needs before the driver takes it; None: nothing."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind in _AS_IS:
        return None
    if kind == "UUIDField":
        if connection.features.has_native_uuid_field:
            return None
        return lambda v: None if v is None else v.hex
    if kind == "DecimalField":
        adapt = connection.ops.adapt_decimalfield_value
        return lambda v: adapt(v, target.max_digits, target.decimal_places)
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    return lambda v: target.get_db_prep_save(v, connection)

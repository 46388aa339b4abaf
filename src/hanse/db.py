"""Database settings from a URL: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from django.db.models import Lookup

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet


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


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the argument it takes)
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


_UNCOMPILABLE = object()  # a shape whose arguments could not be told apart in its parameters
_statements: dict[Hashable, Any] = {}
_statements_lock = threading.Lock()


def compiled_values(
    shape: Hashable, build: Callable[[], QuerySet[Any]], args: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """``list(build())`` for a ``values()`` query whose SQL differs from call to call only by
    ``args`` (UUIDs): the SQL is compiled once per process and database for ``shape`` and then
    run with the new arguments, with the same conversions of the values read.

    Building and compiling a queryset was most of a short list's time (the filters, the join
    to its offer, the ordering: more than the database took). The first call compiles and finds
    where each argument went among the parameters; a shape whose arguments cannot be told apart
    there (two equal, or one not found) is never compiled ahead, and each call builds its query."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    key = (connection.alias, connection.vendor, shape)
    statement = _statements.get(key)
    if statement is None:
        queryset = build()
        compiler = queryset.query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return []
        statement = _statement(queryset, compiler, sql, tuple(params), args, connection)
        with _statements_lock:
            _statements.setdefault(key, statement)
    if statement is _UNCOMPILABLE:
        return list(build())
    params = list(statement.params)
    native = connection.features.has_native_uuid_field
    for position, index in statement.slots:
        params[position] = args[index] if native else args[index].hex
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    names = statement.names
    if not statement.converters:
        return [dict(zip(names, row, strict=True)) for row in rows]
    out = []
    for raw in rows:
        row = list(raw)
        for position, converters, expression in statement.converters:
            value = row[position]
            for convert in converters:
                value = convert(value, expression, connection)
            row[position] = value
        out.append(dict(zip(names, row, strict=True)))
    return out


def _statement(
    queryset: QuerySet[Any],
    compiler: Any,
    sql: str,
    params: tuple[Any, ...],
    args: Sequence[uuid.UUID],
    connection: Any,
) -> Any:
    native = connection.features.has_native_uuid_field
    prepared = [a if native else a.hex for a in args]
    if len(set(prepared)) != len(prepared):
        return _UNCOMPILABLE
    slots = [(i, prepared.index(p)) for i, p in enumerate(params) if p in prepared]
    if {index for _, index in slots} != set(range(len(args))):
        return _UNCOMPILABLE
    query = queryset.query
    if query.selected:
        names: tuple[str, ...] = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if len(names) != len(fields) or compiler.has_composite_fields(fields):
        return _UNCOMPILABLE
    converters = tuple(
        (position, tuple(convs), expression)
        for position, (convs, expression) in compiler.get_converters(fields).items()
    )
    return _Statement(sql, params, tuple(slots), names, converters)

"""Rows handed straight to the driver: ``COPY`` on PostgreSQL, a bare ``executemany`` on SQLite.

Each column's values are converted in one pass by the column type's own bind processor (the function
SQLAlchemy would call for every parameter of every row; on SQLite, for timestamps, dates and JSON, a
quicker equivalent checked against it first), so what is stored is what an ``INSERT`` through SQLAlchemy
stores: money as ``NUMERIC`` or as integer minor units, timestamps in UTC, JSON as ``json.dumps`` text.
What is skipped is SQLAlchemy's per-row work around those calls (compiling, naming and ordering each
row's parameters). A value the column refuses raises the error an ``INSERT`` would; a driver error
comes out wrapped as SQLAlchemy's (``IntegrityError``, ``DataError``…), as from ``Session.execute``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Connection, Date, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from portfolio.db import UTCDateTime

Processor = Callable[[Any], Any]
_MISSING = object()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off meanwhile: reading or converting a hundred thousand rows would set off
    several of its passes, each walking every object alive (the whole import)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def columns_of(table: Table, rows: Sequence[dict[str, Any]]) -> list[Column[Any]]:
    """The columns to write: those the rows name, and those with a default of their own (in table
    order)."""
    named = set().union(*map(dict.keys, rows))
    return [c for c in table.columns if c.name in named or c.default is not None]


def processor(column: Column[Any], dialect: Dialect) -> Processor | None:
    """What SQLAlchemy does to a value bound to ``column`` (None: nothing), done the quickest way that
    gives the same answer."""
    general: Processor | None = column.type._cached_bind_processor(dialect)
    if general is None:
        return None
    if dialect.name == "sqlite" and type(column.type) in _SQLITE_QUICK:
        quick = _SQLITE_QUICK[type(column.type)](general)
        if all(quick(v) == general(v) for v in _PROBES[type(column.type)]):
            general = quick
    if isinstance(column.type, UTCDateTime):
        return _last_value(general)
    return general


def _sqlite_timestamp(general: Processor) -> Processor:
    """What :class:`portfolio.db.UTCDateTime` then SQLite's ``DATETIME`` make of an aware datetime."""

    def convert(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return general(value)

    return convert


def _sqlite_date(general: Processor) -> Processor:
    def convert(value: Any) -> Any:
        return value.isoformat() if type(value) is date else general(value)

    return convert


def _sqlite_json(general: Processor) -> Processor:
    """``json.dumps`` of a dict or list, by the encoder it uses made once rather than per value."""
    if c_make_encoder is None:  # no C accelerator: json.dumps itself
        dumps = json.dumps

        def convert_slowly(value: Any) -> Any:
            return dumps(value) if type(value) is dict or type(value) is list else general(value)

        return convert_slowly
    # What json.dumps builds for every call with its default options (no cycle check: a value that
    # is not plain JSON goes to ``general``, which says what is wrong with it).
    encode = c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    join = "".join

    def convert(value: Any) -> Any:
        if type(value) is dict or type(value) is list:
            try:
                return join(encode(value, 0))
            except (TypeError, ValueError, RecursionError):
                pass
        return general(value)

    return convert


_SQLITE_QUICK: dict[type[Any], Callable[[Processor], Processor]] = {
    UTCDateTime: _sqlite_timestamp,
    Date: _sqlite_date,
    JSON: _sqlite_json,
}
# Values each quick path is checked against SQLAlchemy's own answer with, before it is used.
_PROBES: dict[type[Any], list[Any]] = {
    UTCDateTime: [
        datetime(2024, 2, 29, 23, 59, 58, 7, tzinfo=UTC),
        datetime(987, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
    Date: [date(2024, 2, 29), date(987, 1, 2)],
    JSON: [{"a": [None, "Čačak \u2028"], "b": [1, 2.5, True]}, []],
}


def _last_value(convert: Processor) -> Processor:
    """``convert``, remembering its last answer: an import stamps thousands of rows with one instant."""
    last: list[Any] = [_MISSING, None]

    def cached(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return cached


def _default(column: Column[Any]) -> Callable[[], Any]:
    default = column.default
    if default is None:
        return lambda: None
    if default.is_scalar:
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if default.is_callable:
        call = default.arg  # type: ignore[attr-defined]  # wrapped by SQLAlchemy to take a context
        return lambda: call(None)
    raise TypeError(f"{column}: only scalar or Python-side defaults can be written directly")


def converted(
    columns: Sequence[Column[Any]], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Every row as a tuple of what the driver is given for ``columns``."""
    values: list[Iterable[Any]] = []
    for column in columns:
        name = column.name
        try:
            raw: list[Any] = list(map(itemgetter(name), rows))
        except KeyError:  # left out of some rows: the column's default there
            fill = _default(column)
            raw = [row[name] if name in row else fill() for row in rows]
        convert = processor(column, dialect)
        values.append(raw if convert is None else map(convert, raw))
    return list(zip(*values, strict=True))


def write(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` on ``connection``, in its transaction."""
    if not rows:
        return
    dialect = connection.dialect
    columns = columns_of(table, rows)
    names = ", ".join(f'"{c.name}"' for c in columns)
    if dialect.name == "postgresql":
        statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    else:
        marks = ", ".join("?" for _ in columns)
        statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608 - our own names
    try:
        tuples = converted(columns, rows, dialect)
    except Exception as exc:  # a value the column refuses: raised as SQLAlchemy raises it
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc
    if dialect.name == "postgresql":
        _copy(connection, statement, tuples)
    else:
        connection.exec_driver_sql(statement, tuples)


def _copy(connection: Connection, statement: str, tuples: list[tuple[Any, ...]]) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    dbapi = connection.dialect.loaded_dbapi
    cursor = driver.cursor()
    try:
        with cursor.copy(statement) as copy:
            for values in tuples:
                copy.write_row(values)
    except dbapi.Error as exc:
        gone = connection.dialect.is_disconnect(exc, driver, cursor)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dbapi.Error, connection_invalidated=gone) from exc
    finally:
        cursor.close()

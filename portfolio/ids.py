"""New ids for rows written with their id given, rather than numbered by the database as they are inserted.

Ids are never reused: a deleted row's id stays spent. What a table has issued so far is the higher of
its highest id and its counter (``sqlite_sequence`` on SQLite, the ``id`` column's sequence on
PostgreSQL). On SQLite the ids after it are free for whoever holds the write lock; on PostgreSQL they are
taken from the sequence (``nextval``), so that concurrent writers never collide.
"""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def last_issued(conn: Connection | Session, tables: list[Table]) -> dict[str, int]:
    """The highest id each of ``tables`` ever handed out (deleted rows included), so that none is
    reissued."""
    last: dict[str, int] = {}
    if _dialect(conn) == "sqlite":
        has_sequence = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        ).scalar_one()
        if has_sequence:
            last = {str(n): int(s) for n, s in conn.execute(text("SELECT name, seq FROM sqlite_sequence"))}
    elif _dialect(conn) == "postgresql":
        for table in tables:
            sequence = func.pg_get_serial_sequence(table.name, "id")
            value = conn.execute(select(func.pg_sequence_last_value(func.cast(sequence, REGCLASS)))).scalar()
            if value is not None:
                last[table.name] = int(value)
    for table in tables:
        highest = conn.execute(select(func.max(table.c.id))).scalar() or 0
        last[table.name] = max(last.get(table.name, 0), int(highest))
    return {table.name: last[table.name] for table in tables}


def reserve(conn: Connection | Session, table: Table, count: int, after: int = 0) -> list[int]:
    """``count`` new ids for ``table``, in increasing order: on PostgreSQL drawn from its sequence; on
    SQLite the next after :func:`last_issued` and after ``after`` (the last id already handed out and not
    yet written). On SQLite the caller holds the write lock, and writes them before anything else is."""
    if _dialect(conn) == "postgresql":
        found = conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        ).scalars()
        return sorted(map(int, found.all()))
    first = max(last_issued(conn, [table])[table.name], after) + 1
    return list(range(first, first + count))


def continue_after(conn: Connection, table: Table, last_id: int) -> None:
    """Have the database number ``table``'s next rows after ``last_id`` (given ids explicitly). SQLite's
    counter follows explicit ids by itself; PostgreSQL's sequence is set."""
    if _dialect(conn) == "postgresql":
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), last_id)))


def _dialect(conn: Connection | Session) -> str:
    return conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name

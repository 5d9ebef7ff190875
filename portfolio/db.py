"""Database access: engine factory, exact column types, and one transaction per unit of work.

SQLite is the embedded default (WAL, foreign keys on, writers take the lock up front with
``BEGIN IMMEDIATE`` so that two writers never deadlock half-way). PostgreSQL is the production
database. Money is stored exactly on both: ``NUMERIC`` on PostgreSQL, integer minor units on SQLite
(SQLite has no exact decimal type; its NUMERIC affinity would turn amounts into binary floats).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import BigInteger, DateTime, Numeric, event
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from portfolio.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

# SQLite would hand the id of a deleted row to the next new one (and with it, that row's audit trail);
# AUTOINCREMENT makes ids grow for ever, as PostgreSQL sequences do.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class ExactDecimal(TypeDecorator[Decimal]):
    """A fixed-point decimal that round-trips exactly on every supported database.

    PostgreSQL stores ``NUMERIC(precision, scale)``. SQLite stores the value multiplied by
    ``10**scale`` as a 64-bit integer, so ``SUM()`` and ``GROUP BY`` stay exact to the last digit.
    A value with more decimals than ``scale`` is refused rather than silently rounded.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value)
        if amount != amount.quantize(self._quantum):
            raise ValueError(f"{amount} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(amount * self._factor)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


class Money(ExactDecimal):
    """An amount to the cent: NUMERIC(18, 2)."""

    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__(precision, scale)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(url: URL, busy_timeout_s: float) -> Any:
    in_memory = url.database in (None, "", ":memory:")

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        # SQLite's own lower() knows only ASCII; searches must find "Čačak" when asked for "čačak".
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(database_url: str, settings: Settings | None = None) -> Engine:
    settings = settings or Settings(database_url=database_url)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_s},
        )
        event.listen(engine, "connect", _sqlite_pragmas(url, settings.sqlite_busy_timeout_s))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        # A server that vanishes from the network (no FIN, no RST) is noticed within seconds, not at the
        # operating system's default of two hours: keepalive probes, and a bound on unacknowledged data.
        connect_args={
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
            "tcp_user_timeout": 15000,
        },
    )


class Database:
    """One engine and the sessions made from it. A session is one transaction: commit once or roll back."""

    def __init__(self, database_url: str, settings: Settings | None = None) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, settings)
        # On SQLite a writing transaction takes the write lock at BEGIN, never half-way through.
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # SQLite's busy handler polls with growing sleeps, so under load the writer that has waited longest
        # keeps losing to newcomers and times out. Within a process the writers queue here instead, and
        # the busy handler only arbitrates between processes.
        self._writers = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self._writer_wait_s = (settings or Settings(database_url=database_url)).sqlite_busy_timeout_s

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        if write and self._writers is not None:
            if not self._writers.acquire(timeout=self._writer_wait_s):
                raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
            try:
                with self._session(write=True) as session:
                    yield session
            finally:
                self._writers.release()
            return
        with self._session(write=write) as session:
            yield session

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        bind = self._write_engine if write else self.engine
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                if write:
                    session.commit()
                else:
                    session.rollback()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one transaction per request, committed before the response is sent."""
    db: Database = request.app.state.db
    with db.session(write=request.method not in ("GET", "HEAD", "OPTIONS")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

"""Database access: engine factory, exact column types, and one transaction per unit of work.

SQLite is the embedded default (WAL, foreign keys on, writers take the lock up front with
``BEGIN IMMEDIATE`` so that two writers never deadlock half-way). PostgreSQL is the production
database. Money is stored exactly on both: ``NUMERIC`` on PostgreSQL, integer minor units on SQLite
(SQLite has no exact decimal type; its NUMERIC affinity would turn amounts into binary floats).
"""

from __future__ import annotations

import select
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Request
from fastapi.concurrency import contextmanager_in_threadpool
from sqlalchemy import BigInteger, DateTime, Numeric, Table, event
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import functions, visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import ScalarSelect
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
        if dialect.name == "sqlite":  # an INTEGER, or a sum's exact digits beyond 64 bits (see _ExactSum)
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
        # SUM() of 64-bit integers overflows past 92,233,720,368,547,758.07 euros: every sum is exact.
        dbapi_connection.create_aggregate(EXACT_SUM, 1, _ExactSum)
        dbapi_connection.create_function(SUM_OF_HALVES, 2, _sum_of_halves, deterministic=True)
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


# SQLite's SUM() adds 64-bit integers and fails the whole query ("integer overflow") past 2**63 - 1 — 93
# of the largest pledges, counted in cents. No bound on one record bounds a sum of many, so on SQLite every
# SUM() the app asks for is exact at any size, two ways:
# - over a table's columns (integers: ExactDecimal's cents, counts), SUM(x) is SQLite's own SUM() of the
#   high and the low 32 bits of each value, which cannot overflow before two billion rows, put together
#   by portfolio_sum_of_halves once per group in Python, whose integers never overflow;
# - over a subquery's or a derived table's column, which may itself be a sum past 64 bits, it is the
#   aggregate portfolio_sum, which adds Python integers row by row (about ten times SUM()'s cost, on the
#   few rows such sums cover).
# A total that fits in 64 bits is an INTEGER as before; a larger one is its exact digits as TEXT, which
# ExactDecimal reads back exactly and portfolio_sum adds exactly. (SQL arithmetic on such a total, as in a
# shortfall, is SQLite's REAL: exact to 15 digits, and only ever past 92 million billion euros.)
EXACT_SUM = "portfolio_sum"
SUM_OF_HALVES = "portfolio_sum_of_halves"
_INT64 = range(-(2**63), 2**63)


class _ExactSum:
    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total: int | float | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, str | bytes):  # a sum of sums, beyond 64 bits; other text counts as SUM() does
            value = _number(value)
        self.total = value if self.total is None else self.total + value

    def finalize(self) -> Any:
        return _exact(self.total)


def _number(text: str | bytes) -> int | float:
    text = text.decode() if isinstance(text, bytes) else text
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return 0


def _exact(total: int | float | None) -> Any:
    if isinstance(total, int) and total not in _INT64:
        return str(total)
    return total


def _sum_of_halves(high: int | None, low: int | None) -> Any:
    """The sum of the high 32 bits of each value (``x >> 32``) and the sum of the low (``x & 0xFFFFFFFF``):
    ``x = (x >> 32) * 2**32 + (x & 0xFFFFFFFF)`` holds for every 64-bit integer, negative ones too."""
    if high is None or low is None:
        return None
    return _exact(high * 2**32 + low)


def _reads_a_derived_column(element: ClauseElement) -> bool:
    """Whether the sum reads anything but a table's own columns: a subquery's, a derived table's, a
    scalar subquery (any of which may be a sum past 64 bits)."""
    return any(
        isinstance(node, ScalarSelect)
        or (isinstance(node, ColumnClause) and node.table is not None and not isinstance(node.table, Table))
        for node in visitors.iterate(element)
    )


@compiles(functions.sum, "sqlite")
def _compile_exact_sum(element: functions.sum[Any], compiler: SQLCompiler, **kw: Any) -> str:
    if _reads_a_derived_column(element):
        return f"{EXACT_SUM}{compiler.function_argspec(element, **kw)}"
    high = compiler.process(element.clauses, **kw)
    low = compiler.process(element.clauses, **kw)  # its parameters, if any, bound a second time
    return f"{SUM_OF_HALVES}(sum(({high}) >> 32), sum(({low}) & 4294967295))"


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
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
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
    _ping_when_idle(engine)
    return engine


# A connection back from a request moments ago, with nothing come from the server since (a server that
# ends a session, restarting or terminating it, says so and closes the socket), is alive and is used
# without a round trip. Any other is pinged before use, as pool_pre_ping would, and replaced when dead:
# one that has sat in the pool for longer may have been cut without a word (a proxy, the network).
PING_AFTER_IDLE_S = 1.0
_RETURNED_AT = "portfolio_returned_at"


def _has_unread_input(dbapi_connection: Any) -> bool:
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # closed or broken
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)


def _ping_when_idle(engine: Engine) -> None:
    def returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.get(_RETURNED_AT)
        recent = since is not None and time.monotonic() - since < PING_AFTER_IDLE_S
        if recent and not _has_unread_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool discards the connection and takes a new one
            raise DisconnectionError(f"the pooled connection is gone: {exc}") from exc

    event.listen(engine, "connect", returned)
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)


class Database:
    """One engine and the sessions made from it. A session is one transaction: commit once or roll back."""

    def __init__(self, database_url: str, settings: Settings | None = None) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, settings)
        # On SQLite a writing transaction takes the write lock at BEGIN, never half-way through.
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        # An API read on PostgreSQL runs statement by statement: each sees what was committed before it,
        # as under READ COMMITTED in a transaction, without BEGIN and ROLLBACK round trips. (The dashboards
        # keep a transaction: their streamed queries need one for the server-side cursor.)
        self._statement_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )
        # SQLite's busy handler polls with growing sleeps, so under load the writer that has waited longest
        # keeps losing to newcomers and times out. Within a process the writers queue here instead, and
        # the busy handler only arbitrates between processes.
        self._writers = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self._writer_wait_s = (settings or Settings(database_url=database_url)).sqlite_busy_timeout_s

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False, statements: bool = False) -> Iterator[Session]:
        """One unit of work: a write commits at the end; a read rolls back. ``statements`` (a read that
        streams nothing) runs each statement on its own on PostgreSQL."""
        if statements and not write:
            with self._session(write=False, bind=self._statement_engine) as session:
                yield session
            return
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
    def _session(self, *, write: bool, bind: Engine | None = None) -> Iterator[Session]:
        bind = bind or (self._write_engine if write else self.engine)
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


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@asynccontextmanager
async def _read_session(db: Database, *, statements: bool) -> AsyncIterator[Session]:
    """A read's session, opened on the event loop (no I/O: the connection is taken at the first query).

    It is closed there too when the request has already given its connection back, and otherwise in a
    worker thread (a rollback is a round trip to the database), shielded and without waiting for the
    thread pool's capacity, as FastAPI closes its generator dependencies."""
    unit: AbstractContextManager[Session] = db.session(statements=statements)
    session = unit.__enter__()
    try:
        yield session
    except BaseException as exc:
        with CancelScope(shield=True):
            if not await _close(unit, session, exc):
                raise
    else:
        with CancelScope(shield=True):
            await _close(unit, session, None)


async def _close(unit: AbstractContextManager[Session], session: Session, exc: BaseException | None) -> bool:
    args = (type(exc) if exc is not None else None, exc, exc.__traceback__ if exc is not None else None)
    if not session.in_transaction():
        return bool(unit.__exit__(*args))
    return bool(await anyio.to_thread.run_sync(unit.__exit__, *args, limiter=CapacityLimiter(1)))


# Marks a route that opens its own write session (``db.session(write=True)``) only for as long as it writes.
OWN_WRITES = "portfolio_own_writes"


def writes_on_its_own(endpoint: Endpoint) -> Endpoint:
    """Mark a route (an import) that takes a write session of its own, and only to write: the session of
    its request, which its dependencies read the account through, is then a read one even on a POST, so
    that no write lock is held while it reads and checks."""
    setattr(endpoint, OWN_WRITES, True)
    return endpoint


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one transaction per request, committed before the response is sent."""
    db: Database = request.app.state.db
    if request.method in READ_METHODS or getattr(request.scope.get("endpoint"), OWN_WRITES, False):
        async with _read_session(db, statements=request.url.path.startswith(API_PREFIX)) as session:
            yield session
    else:
        async with contextmanager_in_threadpool(db.session(write=True)) as session:
            yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

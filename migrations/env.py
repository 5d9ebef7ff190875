"""Alembic environment: the schema is portfolio.models' metadata; the URL comes from the settings.

``portfolio db …`` and the server pass a connection in ``config.attributes["connection"]``; the plain
``alembic`` command builds an engine from ``PORTFOLIO_DATABASE_URL`` (or ``sqlalchemy.url`` if set).
"""

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from portfolio.config import get_settings
from portfolio.db import make_engine
from portfolio.models import metadata

config = context.config


def run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch mode rebuilds a table by copying it and dropping the original; with foreign keys on, the
        # drop would delete (cascade) or refuse for every row that refers to it. SQLite only lets this
        # pragma change outside a transaction; the references are checked before the commit instead.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    try:
        _migrate(connection, check_references=sqlite)
    finally:
        if sqlite and not connection.in_transaction():
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _migrate(connection: Connection, *, check_references: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several hosts may start at once against one database: one migrates, the others wait
            # for it and then find nothing left to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('portfolio-migrations'))"))
        context.run_migrations()
        if check_references:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows referring to missing ones: {broken[:5]}")


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_online()

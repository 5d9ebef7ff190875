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

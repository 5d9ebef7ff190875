"""The ``portfolio`` command: run the server, manage the database schema, load sample data."""

from __future__ import annotations

from typing import Annotated

import typer

from portfolio import migrate
from portfolio.config import get_settings

app = typer.Typer(
    help="OSCE SALW/SCA assistance-portfolio tracker. The database is PORTFOLIO_DATABASE_URL "
    "(default: SQLite file ./portfolio.db).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (share nothing but the database).")
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Apply pending migrations, then serve the API (docs at /docs)."""
    import os

    import uvicorn

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    # Migrated once here; the workers need not race each other to do it again.
    os.environ["PORTFOLIO_MIGRATE_ON_START"] = "false"
    get_settings.cache_clear()
    typer.echo(f"Serving on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(
        "portfolio.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Build or bring the schema up to date (the same as `alembic upgrade head`)."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"Database at revision {revision}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base (drops everything).")],
) -> None:
    """Step the schema back to an earlier revision."""
    migrate.downgrade(get_settings().database_url, revision)
    typer.echo(f"Database downgraded to {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    from portfolio.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    typer.echo(f"current: {current or 'none (empty database)'}\nhead:    {head}")
    if current != head:
        raise typer.Exit(code=1)


@app.command("demo-data")
def demo_data() -> None:
    """Load a clearly labelled sample portfolio (about 30 projects); running it twice changes nothing."""
    from portfolio.db import Database
    from portfolio.demo import load_demo_data

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url, settings)
    try:
        with db.session(write=True) as session:
            report = load_demo_data(session)
    finally:
        db.dispose()
    typer.echo(str(report))


if __name__ == "__main__":
    app()

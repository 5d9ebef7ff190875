"""The ``portfolio`` command: run the server, manage the database schema, load sample data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from portfolio import migrate
from portfolio.config import get_settings
from portfolio.web.i18n import LOCALES

LANGUAGE_HELP = "The language: " + ", ".join(LOCALES) + "."

app = typer.Typer(
    help="OSCE SALW/SCA assistance-portfolio tracker. The database is PORTFOLIO_DATABASE_URL "
    "(default: SQLite file ./portfolio.db).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Manage the database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Manage accounts (the first admin is created here).", no_args_is_help=True)
app.add_typer(users_app, name="users")
dashboards_app = typer.Typer(help="The Plotly dashboards, outside the server.", no_args_is_help=True)
app.add_typer(dashboards_app, name="dashboards")
report_app = typer.Typer(
    help="Printable reports (PDF, English or French): a donor's statement, the period report.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")
reminders_app = typer.Typer(
    help="E-mail reminders of reporting obligations (SMTP from the PORTFOLIO_SMTP_* settings).",
    no_args_is_help=True,
)
app.add_typer(reminders_app, name="reminders")


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

    from portfolio.proxies import uvicorn_value
    from portfolio.serving import SUPERVISOR_ENV

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    _warn_of_connection_shortfall(settings.database_url, workers)
    # Migrated once here; the workers need not race each other to do it again.
    os.environ["PORTFOLIO_MIGRATE_ON_START"] = "false"
    # Each worker ends itself when this process is gone, even killed outright (portfolio.serving).
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    get_settings.cache_clear()
    typer.echo(f"Serving on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
    uvicorn.run(
        "portfolio.serving:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        # The balancers named by PORTFOLIO_TRUSTED_PROXIES, and only they, speak for the original request.
        proxy_headers=True,
        forwarded_allow_ips=uvicorn_value(settings.trusted_proxies),
    )


def _warn_of_connection_shortfall(database_url: str, workers: int) -> None:
    """On PostgreSQL: say so when this host's workers may open more connections than the server has left."""
    from portfolio.connections import service as connections
    from portfolio.db import make_engine

    settings = get_settings()
    engine = make_engine(database_url, settings)
    try:
        warning = connections.check(engine, workers, settings.db_pool_size)
    except Exception as exc:  # the check must never keep the server from starting
        warning = f"warning: could not count PostgreSQL's connections ({type(exc).__name__}: {exc})"
    finally:
        engine.dispose()
    if warning:
        typer.echo(warning, err=True)


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
def demo_data(
    synthetic: Annotated[
        bool,
        typer.Option(help="Instead: generate a large reproducible portfolio (benchmarks, load tests)."),
    ] = False,
    projects: Annotated[int, typer.Option(min=1, help="With --synthetic: how many projects.")] = 1000,
    pledges: Annotated[int, typer.Option(min=0, help="With --synthetic: how many pledges.")] = 10000,
    seed: Annotated[int, typer.Option(help="With --synthetic: the same seed gives the same portfolio.")] = 1,
) -> None:
    """Load a clearly labelled sample portfolio (about 30 projects); running it twice changes nothing.

    With --synthetic, generate a large portfolio instead (into a database without projects): States from
    the reference list, skewed donor sizes, several currencies with monthly rates, about 1.5 receipts per
    pledge, milestones, indicators and national processes; no audit trail."""
    from portfolio.db import Database
    from portfolio.demo import load_demo_data
    from portfolio.security import password_hasher

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url, settings)
    if synthetic:
        from portfolio.demo import DEMO_PASSWORD, load_demo_accounts
        from portfolio.synthetic import generate

        try:
            made = generate(db.engine, projects=projects, pledges=pledges, seed=seed)
            with db.session(write=True) as session:
                load_demo_accounts(session, password_hasher(settings))
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=2) from exc
        finally:
            db.dispose()
        typer.echo(
            f"Generated {made.projects} projects, {made.pledges} pledges, {made.receipts} receipts, "
            f"{made.rates} exchange rates, {made.milestones} milestones, {made.indicators} indicators and "
            f"{made.processes} national processes in {made.seconds:.1f} s (seed {seed}). Sample accounts "
            f"admin@, staff@, manager@ and donor.deu@example.org have the password '{DEMO_PASSWORD}'."
        )
        return
    try:
        with db.session(write=True) as session:
            report = load_demo_data(session, password_hasher(settings))
    finally:
        db.dispose()
    typer.echo(str(report))


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The account's e-mail, used to log in.")],
    role: Annotated[str, typer.Option(help="admin, staff, manager or donor.")],
    state: Annotated[
        str | None, typer.Option(help="For a donor: the ISO alpha-3 code of the State it speaks for.")
    ] = None,
    full_name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail).")] = None,
    password: Annotated[
        str | None, typer.Option(help="At least 12 characters; asked for (hidden) when left out.")
    ] = None,
) -> None:
    """Create an account, e.g. the first admin: portfolio users create --email you@example.org --role admin"""
    from pydantic import ValidationError

    from portfolio.db import Database
    from portfolio.errors import AppError
    from portfolio.security import SYSTEM, password_hasher
    from portfolio.users import service as users_service
    from portfolio.users.schemas import UserCreate

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    try:
        data = UserCreate(
            email=email, full_name=full_name or email, role=role, state=state, password=password
        )
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(code=2) from exc
    db = Database(settings.database_url, settings)
    try:
        with db.session(write=True) as session:
            user = users_service.create_user(session, SYSTEM, data, password_hasher(settings))
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=2) from exc
    finally:
        db.dispose()
    typer.echo(f"Created {user.role} account {user.email} (id {user.id}).")


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="Where to write the backup (JSON).")]) -> None:
    """Write every record (accounts and audit trail included) to one versioned JSON file."""
    import json

    from portfolio.backup import dump
    from portfolio.db import Database

    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        with db.session() as session:
            document = dump(session)
    finally:
        db.dispose()
    file.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    rows = sum(len(r) for r in document["tables"].values())
    typer.echo(f"Backed up {rows} records (schema {document['schema_revision']}) to {file}.")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `portfolio backup`.")],
    replace: Annotated[bool, typer.Option(help="Delete what the database holds first.")] = False,
) -> None:
    """Load a backup into an empty database (brought up to date first), in one transaction.

    Moving from SQLite to PostgreSQL: `portfolio backup all.json` on the old database, then
    `PORTFOLIO_DATABASE_URL=postgresql+psycopg://… portfolio restore all.json`."""
    import json

    from portfolio.backup import restore as restore_backup
    from portfolio.db import Database
    from portfolio.errors import AppError

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.echo(f"{file}: cannot read a backup from it ({exc})", err=True)
        raise typer.Exit(code=2) from exc
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url, settings)
    try:
        with db.session(write=True) as session:
            counts = restore_backup(session, document, replace=replace)
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=2) from exc
    finally:
        db.dispose()
    typer.echo(f"Restored {sum(counts.values())} records from {file}.")


@dashboards_app.command("export")
def dashboards_export(
    outdir: Annotated[Path, typer.Argument(help="Folder to write the HTML files into (created if missing).")],
    year_from: Annotated[int | None, typer.Option(help="Projects requested from this year.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Projects requested up to this year.")] = None,
    area: Annotated[str | None, typer.Option(help="SALW or SCA.")] = None,
    beneficiary: Annotated[str | None, typer.Option(help="ISO alpha-3 code of a beneficiary State.")] = None,
    status: Annotated[str | None, typer.Option(help="A project status, e.g. seeking_funding.")] = None,
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
    donor: Annotated[
        list[str] | None,
        typer.Option(
            help="Write only this donor's view (repeatable), e.g. --donor DEU: none of the portfolio pages,"
            " which show every donor's figures."
        ),
    ] = None,
) -> None:
    """Write each dashboard page as one self-contained HTML file, to e-mail or open from a USB stick."""
    from dashboards import queries
    from dashboards.filters import LANGUAGES, Filters, parse
    from dashboards.pages import export
    from portfolio.db import Database
    from portfolio.projects.schemas import Area, ProjectStatus

    problems = []
    if area is not None and area not in {a.value for a in Area}:
        problems.append("--area must be SALW or SCA")
    if status is not None and status not in {s.value for s in ProjectStatus}:
        problems.append(f"--status must be one of {', '.join(s.value for s in ProjectStatus)}")
    if lang not in LANGUAGES:
        problems.append(f"--lang must be one of {', '.join(LOCALES)}")
    if problems:
        typer.echo("; ".join(problems), err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        with db.session() as session:
            raw = {"year_from": year_from, "year_to": year_to, "beneficiary": beneficiary}
            parsed = parse(
                {k: str(v) for k, v in raw.items() if v is not None}, queries.participating_states(session)
            )
            known = queries.state_names(session, "en")
            donors = [d.strip().upper() for d in donor or []]
            refused = [f"--{k.replace('_', '-')}: {m}" for k, m in parsed.errors]
            refused += [
                f"--donor: no OSCE participating State or Partner has the code {d}"
                for d in donors
                if d not in known
            ]
            if refused:
                typer.echo("; ".join(refused), err=True)
                raise typer.Exit(code=2)
            filters = Filters(parsed.year_from, parsed.year_to, area, parsed.beneficiary, status, lang)
            written = export(session, filters, outdir, donors)
    finally:
        db.dispose()
    for path in written:
        typer.echo(f"wrote {path}")


KINDS = (
    "projects, pledges, receipts, milestones, indicators, national-processes, exchange-rates, agreements or "
    "expenditures"
)
EXPORT_KINDS = f"{KINDS.replace(' or ', ', ')}, obligations or budget-lines"


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A CSV (UTF-8) or XLSX file in the template's columns.")],
    kind: Annotated[str, typer.Option(help=f"What the file holds: {KINDS}.")],
    dry_run: Annotated[bool, typer.Option(help="Check every row and report; write nothing.")] = False,
    progress_shown: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show how far the import has got, on stderr: a bar on a terminal, else a line every "
            "tenth of the file. Default: a bar for files of over 300 rows when stderr is a terminal.",
        ),
    ] = None,
) -> None:
    """Import a spreadsheet: every row or none. Rows matched by natural key are updated, not duplicated.

    Templates: GET /api/v1/imports/templates/{kind}.xlsx (or .csv) on the server. Exits 1 when the file
    has problems (each is listed: row, column, value, message) and 2 when it cannot be read at all."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from portfolio.db import Database
    from portfolio.errors import AppError
    from portfolio.security import SYSTEM
    from portfolio.transfer.importer import ImportFailed, ImportReport, import_table, run_import
    from portfolio.transfer.kinds import Kind
    from portfolio.transfer.sheets import read_table

    console = Console(stderr=True)
    try:
        chosen = Kind(kind)
    except ValueError:
        typer.echo(f"--kind must be one of: {KINDS}", err=True)
        raise typer.Exit(code=2) from None
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    db = Database(settings.database_url, settings)
    report: ImportReport
    try:
        table = read_table(file.read_bytes(), chosen, file.name)
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        total = len(table.rows)
        show = (total > 300 and console.is_terminal) if progress_shown is None else progress_shown
        label = f"{'Checking' if dry_run else 'Importing'} {file.name}"
        with Progress(*columns, console=console, disable=not (show and console.is_terminal)) as progress:
            task = progress.add_task(label, total=total)
            step = max(1, total // 500)  # the bar moves by a fifth of a percent at most: no cost per row

            def bar(done: int, total: int) -> None:
                if done % step == 0 or done == total:
                    progress.update(task, completed=done)

            def lines(done: int, total: int) -> None:
                if done == total or done % max(1, total // 10) == 0:
                    typer.echo(f"{label}: {done}/{total} rows", err=True)

            tick = (bar if console.is_terminal else lines) if show else None
            if dry_run:  # a read session: the server's writes go on while the file is checked
                report = import_table(db, SYSTEM, chosen, table, dry_run=True, progress=tick)
            else:
                with db.session(write=True) as session:
                    report = run_import(session, SYSTEM, chosen, table, dry_run=False, progress=tick)
    except ImportFailed as exc:
        report = exc.report
    except OSError as exc:
        typer.echo(f"{file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from exc
    except AppError as exc:
        typer.echo(f"{file}: {exc.detail}", err=True)
        raise typer.Exit(code=2) from exc
    finally:
        db.dispose()
    for p in report.problems:
        where = f"row {p.row}" + (f", {p.column}" if p.column else "")
        value = f" ({p.value!r})" if p.value else ""
        typer.echo(f"{where}{value}: {p.message}", err=True)
    for change in report.changes:
        fields = "; ".join(f"{name} {old!r} → {new!r}" for name, (old, new) in change.fields.items())
        typer.echo(f"row {change.row}, {change.record}: {fields}")
    counts = (
        f"{report.rows} rows: {report.created} new, {report.updated} changed, {report.unchanged} unchanged"
    )
    if report.problems:
        typer.echo(f"{len(report.problems)} problems; nothing was written. ({counts} otherwise)", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"Dry run, nothing written. {counts}." if dry_run else f"Imported. {counts}.")


@app.command("export")
def export_file(
    kind: Annotated[
        str, typer.Option(help=f"What to export: {EXPORT_KINDS}; with --format iati, the projects.")
    ] = "projects",
    format_: Annotated[str, typer.Option("--format", help="csv, xlsx or iati (IATI 2.03 XML).")] = "csv",
    out: Annotated[Path, typer.Option(help="The file to write.")] = Path("export.csv"),
) -> None:
    """Export every record of a kind in the import template's columns (edit it and import it back), or
    the projects as IATI 2.03 activities."""
    from portfolio.db import Database
    from portfolio.projects.repository import ProjectFilters
    from portfolio.security import SYSTEM
    from portfolio.transfer import exporter
    from portfolio.transfer.exporter import ExportFilters, Format
    from portfolio.transfer.kinds import Kind

    if format_ not in ("csv", "xlsx", "iati"):
        typer.echo("--format must be csv, xlsx or iati", err=True)
        raise typer.Exit(code=2)
    try:
        chosen = Kind(kind)
    except ValueError:
        typer.echo(f"--kind must be one of: {EXPORT_KINDS}", err=True)
        raise typer.Exit(code=2) from None
    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        with db.session() as session:
            if format_ == "iati":
                from portfolio.transfer.iati import iati_export

                result = iati_export(session, ProjectFilters(), settings)
                body, count = result.body, result.published
                for left_out in result.skipped:
                    typer.echo(f"Left out {left_out.code}: {left_out.reason}.")
            else:
                rows = exporter.rows(session, SYSTEM, chosen, ExportFilters())
                body = exporter.render(chosen, Format(format_), rows)
                count = len(rows)
    finally:
        db.dispose()
    out.write_bytes(body)
    what = "IATI activities" if format_ == "iati" else chosen.value
    typer.echo(f"Wrote {count} {what} to {out}.")


@report_app.command("period")
def report_period(
    start: Annotated[str, typer.Option("--from", help="The period's first day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="The period's last day, YYYY-MM-DD (included).")],
    out: Annotated[Path, typer.Option(help="The PDF to write.")] = Path("period-report.pdf"),
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
    csv_dir: Annotated[
        Path | None, typer.Option(help="Also write each of the report's tables as a CSV into this folder.")
    ] = None,
) -> None:
    """The report to the biennial implementation meetings for a period: an A4 PDF (its tables as CSV)."""
    from dashboards import period
    from portfolio.db import Database

    if lang not in LOCALES:
        typer.echo(f"--lang must be one of {', '.join(LOCALES)}", err=True)
        raise typer.Exit(code=2)
    form = period.parse_period({"from": start, "to": end}, lang)
    if form.errors:
        typer.echo("; ".join(f"--{k}: {m}" for k, m in form.errors.items()), err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        with db.session() as session:
            pdf = period.pdf_bytes(session, form)
            tables = period.build(session, form) if csv_dir is not None else None
    finally:
        db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"wrote {out}")
    if csv_dir is not None and tables is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for table_id in period.TABLES:
            table = tables.table(table_id)
            assert table is not None
            target = csv_dir / f"{period.file_stem(form)}-{table_id}.csv"
            target.write_text(period.csv_text(table), encoding="utf-8")
            typer.echo(f"wrote {target}")


@report_app.command("donor")
def report_donor(
    state: Annotated[str, typer.Argument(help="The donor State's ISO alpha-3 code, e.g. DEU.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day of the period, YYYY-MM-DD (default: 1 January of last year)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day of the period, YYYY-MM-DD (default: today).")
    ] = None,
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
) -> None:
    """Write a donor's statement for a period as an A4 PDF (the page's "Download as PDF", offline)."""
    from dashboards import queries, statement
    from portfolio.db import Database

    code = state.strip().upper()
    problems = [] if lang in LOCALES else [f"--lang must be one of {', '.join(LOCALES)}"]
    asked = statement.parse_period({"from": start or "", "to": end or ""}, "en")
    problems += [f"--{key}: {message}" for key, message in asked.errors.items()]
    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        with db.session() as session:
            if code not in queries.state_names(session, "en"):
                problems.append(f"STATE: no OSCE participating State or Partner has the code {code}")
            if problems:
                typer.echo("; ".join(problems), err=True)
                raise typer.Exit(code=2)
            built = statement.build(session, code, asked.period, lang)
            document = statement.pdf(built)
    finally:
        db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(document)
    typer.echo(f"wrote {out} ({len(document):,} bytes)")


@reminders_app.command("send")
def reminders_send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing and write nothing.")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(help="Act as if today were this day (YYYY-MM-DD), e.g. to catch up; default: today."),
    ] = None,
) -> None:
    """E-mail today's reminders of reporting obligations and sustainability follow-up checks still due,
    each once; meant for cron or a systemd timer, daily.

    A reminder goes PORTFOLIO_REMINDER_DAYS days before a due date (default 14,3) and on the first day
    overdue, to the obligation's or check's owner, else to every staff account; with
    PORTFOLIO_PUBLIC_BASE_URL set it links to the project or process page. Running it twice, or on two
    hosts at once, sends nothing twice. A reminder the SMTP server did not take is tried again on the next
    run; a record no reminder can be made for is named and passed over, the others still go; in either
    case the command then exits with status 1."""
    from datetime import date

    from portfolio.db import Database
    from portfolio.reminders.mailer import SmtpMailer
    from portfolio.reminders.service import send_reminders

    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError as exc:
        typer.echo(f"--today: {today!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(code=2) from exc
    settings = get_settings()
    db = Database(settings.database_url, settings)
    try:
        report = send_reminders(db, settings, SmtpMailer(settings), day, dry_run=dry_run)
    finally:
        db.dispose()
    verb = "would send" if dry_run else "sent"
    for reminder in report.sent:
        typer.echo(f"{verb}: {reminder.recipient}: {reminder.subject}")
    for reminder, reason in report.failed:
        line = f"not sent, the next run retries: {reminder.recipient}: {reminder.subject}: {reason}"
        typer.echo(line, err=True)
    typer.echo(
        f"{len(report.sent)} reminder(s) {verb}, {len(report.skipped)} sent before"
        + (f", {len(report.failed)} failed" if report.failed else "")
        + f" ({day.isoformat()})."
    )
    for what, reason in report.broken:
        typer.echo(f"passed over, no reminder could be made or sent: {what}: {reason}", err=True)
    if report.broken:
        typer.echo(f"{len(report.broken)} record(s) passed over; the others were sent.", err=True)
    if report.failed or report.broken:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()

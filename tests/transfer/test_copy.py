"""Rows written straight to the driver (COPY on PostgreSQL, a bare executemany on SQLite) are stored
exactly as an INSERT through SQLAlchemy stores them: every column, byte for byte."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from portfolio.audit.models import AuditEntry
from portfolio.db import Database, utcnow
from portfolio.funding.models import Pledge
from portfolio.projects.models import Project, ProjectArea
from portfolio.transfer import copy
from portfolio.transfer.bulk import table_of

AWKWARD = "tab\there, new\nline, back\\slash, quote \" ' , Čačak, \u2028, \\N, end"
AT = datetime(2024, 2, 29, 23, 59, 58, 7, tzinfo=UTC)


def project(n: int, **values: Any) -> dict[str, Any]:
    return {
        "id": 900_000 + n,
        "code": f"COPY-{n}",
        "title": AWKWARD if n % 2 else "plain",
        "description": "" if n % 3 else AWKWARD,
        "implementing_partner": None if n % 2 else "UNDP",
        "request_date": date(2020, 1, 1) + timedelta(days=n),
        "start_date": None,
        "end_date": date(2030, 12, 31),
        "budget_eur": [Decimal("0.01"), Decimal("1234567890123456.78"), Decimal("5.5"), Decimal(7)][n % 4],
        "gender_marker": None if n % 2 else 2,
        "sdg_targets": [] if n % 2 else ["16.4", "5.2"],
        "status_before_hold": None,
        "created_at": AT + timedelta(microseconds=n),
        "updated_at": (AT + timedelta(hours=n)).astimezone(timezone(timedelta(hours=-3, minutes=-30))),
        **values,
    }


def pledge(n: int) -> dict[str, Any]:
    return {
        "id": 900_000 + n,
        "project_id": 900_000 + n % 3,
        "donor": "DEU",
        "kind": "cash",
        "amount": Decimal("100.10") * n,
        "currency": "USD",
        "pledged_on": date(2021, 3, 4),
        "status": "pledged",
        "eur_per_unit": Decimal("0.91234567"),
        "amount_eur": Decimal("91.33") * n,
        "note": AWKWARD,
        "version": 1,
        "created_at": AT,
        "updated_at": AT,
    }


def audit(n: int) -> dict[str, Any]:
    return {
        "id": 900_000 + n,
        "at": AT,
        "user_id": None,
        "action": "create",
        "entity": "pledge",
        "entity_id": 900_000 + n,
        "project_id": None,
        "changes": {"note": [None, AWKWARD], "amount": [None, "100.10"], "n": [None, n], "ok": [None, True]},
    }


def tables() -> list[tuple[Table, list[dict[str, Any]]]]:
    return [
        # The model's own defaults (status, version) fill what the rows leave out.
        (table_of(Project), [project(n) for n in range(6)]),
        (table_of(ProjectArea), [{"project_id": 900_000 + n, "area": "SALW"} for n in range(6)]),
        (table_of(Pledge), [pledge(n) for n in range(1, 7)]),
        (table_of(AuditEntry), [audit(n) for n in range(5)]),
    ]


def stored(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of the rows as the database holds them: their text on PostgreSQL, and the stored
    value with its storage class on SQLite."""
    connection = session.connection()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table, _ in tables():
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{c.name}"::text' for c in table.columns)
        else:
            names = ", ".join(f'typeof("{c.name}"), quote("{c.name}")' for c in table.columns)
        key = {"audit_entry": "entity_id", "project_area": "project_id"}.get(table.name, "id")
        found = connection.exec_driver_sql(f'SELECT {names} FROM "{table.name}" WHERE "{key}" >= 900000')  # noqa: S608
        out[table.name] = sorted(tuple(row) for row in found)
    return out


def written(db: Database, how: str) -> dict[str, list[tuple[Any, ...]]]:
    with db.session(write=True) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
        for table, rows in tables():
            if how == "insert":
                session.execute(insert(table), rows)
            else:
                copy.write(connection, table, rows)
        found = stored(session)
        session.rollback()
    return found


def test_rows_written_directly_are_stored_as_an_insert_stores_them(db: Database) -> None:
    through_sqlalchemy = written(db, "insert")
    assert all(through_sqlalchemy.values())
    assert written(db, "copy") == through_sqlalchemy


REFUSED = {
    "too many decimals": (Project, project(1, budget_eur=Decimal("1.001"))),
    "a naive timestamp": (Project, project(1, created_at=datetime(2024, 1, 1))),
    "more digits than the column holds": (Project, project(1, budget_eur=Decimal("1e30"))),
    "no such project": (Pledge, pledge(1)),
    "a NUL character": (Project, project(1, title="nul\x00")),
}


def raised(db: Database, model: type[Any], row: dict[str, Any], how: str) -> list[type[BaseException]]:
    """The error and the driver's error beneath it."""
    with db.session(write=True) as session:
        try:
            if how == "insert":
                session.execute(insert(table_of(model)), [row])
            else:
                copy.write(session.connection(), table_of(model), [row])
            session.flush()
        except StatementError as exc:
            return [type(exc), type(exc.orig)]
        finally:
            session.rollback()
    return []


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_value_raises_what_an_insert_raises(db: Database, case: str) -> None:
    model, row = REFUSED[case]
    expected = raised(db, model, row, "insert")
    assert expected or case == "a NUL character"  # SQLite stores it
    assert raised(db, model, row, "copy") == expected


def test_the_quick_conversions_give_what_sqlalchemy_gives(db: Database) -> None:
    values = [
        utcnow(),
        AT,
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=14))),
        date(2024, 2, 29),
        date(9999, 12, 31),
        {"ü": [None, "\x7f\u2028"], "x": [1.5, -0.0, 10**20]},
        [],
        None,
    ]
    with db.session() as session:
        dialect = session.connection().dialect
        for table, _ in tables():
            for column in table.columns:
                quick = copy.processor(column, dialect)
                general = column.type._cached_bind_processor(dialect)
                if quick is None or general is None:
                    assert quick is general
                    continue
                for value in values:
                    try:
                        expected: Any = general(value)
                    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
                        expected = type(exc)
                    try:
                        got: Any = quick(value)
                    except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
                        got = type(exc)
                    assert repr(got) == repr(expected), (column, value)

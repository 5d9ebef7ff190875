"""How the services' new records reach the database: one protocol, two ways.

A service builds a record's column values and its audit entries once, whoever asked for it, and hands
them to a :class:`Writer`. :class:`SessionWriter` (the API) adds each through the ORM session and
flushes for its id; :class:`portfolio.transfer.bulk.BulkWriter` (the spreadsheet import) reserves ids up
front and inserts the rows in batches at the end. The rules that run are the same either way."""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel import Session, SQLModel

from portfolio.audit.models import AuditEntry


class Writer(Protocol):
    def insert(self, model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
        """Store a new record of ``model``; its column values as stored (id and defaults filled in)."""
        ...

    def update(self, model: type[SQLModel], row: dict[str, Any], values: dict[str, Any]) -> None:
        """Change a record this writer has just inserted (``row``, as :meth:`insert` returned it)."""
        ...

    def add_entry(self, entry: dict[str, Any]) -> None:
        """Store an audit entry, given as the columns :func:`portfolio.audit.service.entry` builds."""
        ...


def columns_of(record: SQLModel) -> dict[str, Any]:
    return {c.name: getattr(record, c.name) for c in record.__table__.columns}  # type: ignore[attr-defined]


class SessionWriter:
    """Writes through the ORM session: each record is added and flushed, so it has its id at once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def insert(self, model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
        record = model(**values)
        self.session.add(record)
        if "id" in record.__table__.columns:  # type: ignore[attr-defined]
            self.session.flush()  # for its id; link rows go with the next flush
        return columns_of(record)

    def record(self, model: type[SQLModel], row: dict[str, Any]) -> Any:
        """The ORM object of a record inserted here (from the session's identity map)."""
        return self.session.get(model, row["id"])

    def update(self, model: type[SQLModel], row: dict[str, Any], values: dict[str, Any]) -> None:
        record = self.record(model, row)
        for name, value in values.items():
            setattr(record, name, value)
        row.update(values)
        self.session.flush()

    def add_entry(self, entry: dict[str, Any]) -> None:
        self.session.add(AuditEntry(**entry))

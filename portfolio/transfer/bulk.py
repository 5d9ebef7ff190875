"""Writing many new records at once: ids reserved up front, rows inserted in batches.

An import of thousands of new projects or pledges puts each row through the services' own write path
(``write_project``, ``write_pledge``: the same rules and the same audit entries as the API, checked
against facts loaded once for the whole file) with this :class:`portfolio.writer.Writer`; the records
reach the database as a few multi-row INSERTs instead of several statements per row.

Ids are reserved by :func:`portfolio.ids.reserve` in blocks: from the table's own sequence on PostgreSQL
(``nextval``, so concurrent writers never collide) and, on SQLite, from past the highest id ever issued:
the importing transaction holds SQLite's write lock, so nobody else can take them meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic.fields import FieldInfo
from sqlalchemy import Table
from sqlmodel import Session, SQLModel

from portfolio import ids
from portfolio.audit.models import AuditEntry
from portfolio.db import utcnow
from portfolio.security import Actor
from portfolio.transfer import copy
from portfolio.versioning import VERSIONED

BATCH = 5000
ID_BLOCK = 1000


def table_of(model: type[SQLModel] | SQLModel) -> Table:
    return model.__table__  # type: ignore[union-attr,no-any-return]


class BulkWriter:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.pending: dict[str, tuple[Table, list[dict[str, Any]]]] = {}
        self.spare_ids: dict[str, list[int]] = defaultdict(list)
        self.last_id: dict[str, int] = {}  # the last id handed out, per table (SQLite: until a flush)
        # Per model: its table and its columns' defaults.
        self._defaults: dict[type[SQLModel], tuple[Table, dict[str, Callable[[], Any]]]] = {}
        self._with_id: set[type[SQLModel]] = set()
        self.at: datetime = utcnow()

    @property
    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def new_id(self, model: type[SQLModel]) -> int:
        table = table_of(model)
        spare = self.spare_ids[table.name]
        if not spare:
            after = self.last_id.get(table.name, 0)
            spare.extend(reversed(ids.reserve(self.session, table, ID_BLOCK, after=after)))
        value = spare.pop()
        self.last_id[table.name] = value
        return value

    def add(self, record: SQLModel) -> None:
        table = table_of(record)
        row = {c.name: getattr(record, c.name) for c in table.columns}
        self.pending.setdefault(table.name, (table, []))[1].append(row)

    def insert(self, model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
        """A new record, given as its column values: its id reserved now (for a table with one), the
        model's defaults filled in, the row written at the next :meth:`flush`."""
        row = self.add_values(model, values)
        if row.get("id") is None and model in self._with_id:
            row["id"] = self.new_id(model)
        return row

    def update(self, model: type[SQLModel], row: dict[str, Any], values: dict[str, Any]) -> None:
        """Change a row still pending (as :meth:`insert` returned it): it is written changed. As on the
        session, where :mod:`portfolio.versioning` bumps it at flush, a versioned record's change counts
        as one more version."""
        if model in VERSIONED:
            values = {**values, "version": row["version"] + 1, "updated_at": utcnow()}
        row.update(values)

    def add_values(self, model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
        """A record given as its column values (the model's defaults fill the rest): thousands of rows
        without building thousands of model objects."""
        known = self._defaults.get(model)
        if known is None:
            table = table_of(model)
            defaults = {
                c.name: _default_of(model.model_fields[c.name])
                for c in table.columns
                if c.name in model.model_fields and c.name != "id"
            }
            known = self._defaults[model] = (table, defaults)
            if "id" in table.columns:
                self._with_id.add(model)
        table, defaults = known
        row = dict(values)
        for name, default in defaults.items():
            if name not in row:
                row[name] = default()
        self.pending.setdefault(table.name, (table, []))[1].append(row)
        return row

    def add_entry(self, entry: dict[str, Any]) -> None:
        """An audit entry (as :func:`portfolio.audit.service.entry` builds it), stamped with the import's
        time; its id is taken at :meth:`flush`."""
        self.pending.setdefault("audit_entry", (table_of(AuditEntry), []))[1].append({"at": self.at, **entry})

    def flush(self) -> None:
        """Insert everything pending, parents before children (the order records were added in)."""
        with copy.collector_paused():
            for name, (table, rows) in list(self.pending.items()):
                if name == "audit_entry":
                    for row in rows:
                        row["id"] = self.new_id(AuditEntry)
                _write(self.session, table, rows)
        self.pending.clear()
        # Records written by other means next take SQLite's next id: ask again before handing out more.
        self._forget_sqlite_ids()

    def discard(self) -> None:
        self.pending.clear()
        self._forget_sqlite_ids()

    def _forget_sqlite_ids(self) -> None:
        """SQLite's ids are only free until something else is written; PostgreSQL's stay taken."""
        if not self._postgresql:
            self.spare_ids.clear()
            self.last_id.clear()


def _write(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows straight to the driver, in batches, on the session's connection and in its transaction."""
    connection = session.connection()
    for start in range(0, len(rows), BATCH):
        copy.write(connection, table, rows[start : start + BATCH])


def _default_of(info: FieldInfo) -> Callable[[], Any]:
    factory = info.default_factory
    if factory is not None:
        return factory  # type: ignore[return-value]  # the models' factories take no arguments
    value = info.default
    return lambda: value

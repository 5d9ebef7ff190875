"""Backups: every table (accounts and the audit trail included) as one versioned JSON document, and a
restore that loads one into an empty database in a single transaction. This is also how a team moves
from the embedded SQLite file to PostgreSQL without losing a cent: back up one, restore into the other.

Amounts travel as decimal strings, dates and timestamps as ISO 8601, so nothing passes through a float.
Documents' bytes travel as base64, one row per chunk of at most 256 KiB as they are stored, and a restore
checks that each document's chunks still hash to its SHA-256 before anything is written.
The reference States are not in the file: every database gets them from its migrations."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, String, Table, func, insert, select, text
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.engine import Connection
from sqlmodel import Session

from portfolio import migrate
from portfolio.db import ExactDecimal, UTCDateTime, utcnow
from portfolio.errors import Conflict, FieldError, ValidationFailed
from portfolio.models import metadata
from portfolio.schemas import CONTROL_CHARACTERS

FORMAT = "osce-salw-portfolio-backup"
VERSION = 1
REFERENCE_TABLES = {"state"}
# Seeded by the migrations but extendable by admins: backed up whole, and replaced whole by a restore,
# with its titles in other languages (a table whose rows name a norm).
SHIPPED_CATALOGUE = "norm"
CATALOGUE_TITLES = "norm_title"


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES]


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _from_json(table: Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, ExactDecimal):
        return Decimal(value)
    if isinstance(kind, UTCDateTime | DateTime):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    return value


def _document_problems(tables: dict[str, Any]) -> list[FieldError]:
    """Every document of the backup whose chunks are not valid base64 or do not hash to its SHA-256."""
    digests: dict[Any, Any] = {}
    sizes: dict[Any, int] = {}
    problems: list[FieldError] = []
    chunks = tables.get("document_chunk", [])

    def in_order(item: tuple[int, dict[str, Any]]) -> tuple[str, int]:
        seq = item[1].get("seq")
        return str(item[1].get("document_id")), seq if isinstance(seq, int) else -1

    for index, row in sorted(enumerate(chunks), key=in_order):
        try:
            data = base64.b64decode(row.get("data") or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            problems.append(
                FieldError(("file", "tables", "document_chunk", index, "data"), "not valid base64")
            )
            continue
        key = row.get("document_id")
        digests.setdefault(key, hashlib.sha256()).update(data)
        sizes[key] = sizes.get(key, 0) + len(data)
    for index, row in enumerate(tables.get("document", [])):
        key = row.get("id")
        digest = digests[key].hexdigest() if key in digests else hashlib.sha256().hexdigest()
        if digest != row.get("sha256") or sizes.get(key, 0) != row.get("size"):
            problems.append(
                FieldError(
                    ("file", "tables", "document", index, "sha256"),
                    f"document id {key}: its bytes in the backup do not match its SHA-256; the file is "
                    "damaged",
                )
            )
    return problems


def dump(session: Session) -> dict[str, Any]:
    """The whole database (reference data aside) as a JSON-ready document."""
    connection = session.connection()
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in _tables():
        order = list(table.primary_key.columns)
        rows = connection.execute(select(table).order_by(*order)).mappings()
        tables[table.name] = [{k: _to_json(v) for k, v in row.items()} for row in rows]
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": migrate.current_revision_of(connection),
        "created_at": utcnow().isoformat(),
        "tables": tables,
        "last_ids": _last_ids(connection),
    }


def _id_tables() -> list[Table]:
    return [t for t in _tables() if "id" in t.c]


def _last_ids(connection: Connection) -> dict[str, int]:
    """The highest id each table ever issued (deleted rows included): a restore never reissues one."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, seq FROM sqlite_sequence")).all()
        return {str(name): int(seq) for name, seq in rows}
    last: dict[str, int] = {}
    for table in _id_tables():
        sequence = func.pg_get_serial_sequence(table.name, "id")
        value = connection.execute(
            select(func.pg_sequence_last_value(func.cast(sequence, REGCLASS)))
        ).scalar()
        if value is not None:
            last[table.name] = int(value)
    return last


def _continue_ids(connection: Connection, saved: dict[str, int]) -> None:
    for table in _id_tables():
        highest = max(
            int(saved.get(table.name, 0)), connection.execute(select(func.max(table.c.id))).scalar() or 0
        )
        if not highest:
            continue
        if connection.dialect.name == "sqlite":
            connection.execute(text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": table.name})
            connection.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                {"name": table.name, "seq": highest},
            )
        else:
            sequence = func.pg_get_serial_sequence(table.name, "id")
            connection.execute(select(func.setval(sequence, highest)))


def _is_text(kind: Any) -> bool:
    return isinstance(kind, String) or isinstance(getattr(kind, "impl", None), String)


def _control_problems(tables: dict[str, Any]) -> list[FieldError]:
    """Every text cell of the backup that holds a control character, named by table, column and record."""
    problems: list[FieldError] = []
    for table in _tables():
        text_columns = [c.name for c in table.columns if _is_text(c.type)]
        for index, row in enumerate(tables.get(table.name, [])):
            for column in text_columns:
                value = row.get(column)
                found = CONTROL_CHARACTERS.search(value) if isinstance(value, str) else None
                if found is None:
                    continue
                record = f"id {row['id']}" if "id" in row else f"row {index + 1}"
                problems.append(
                    FieldError(
                        ("file", "tables", table.name, index, column),
                        f"{table.name} {record}, {column}: holds the control character "
                        f"U+{ord(found.group()):04X} (only tab, line feed and carriage return may appear "
                        "in text); correct it in the backup file and restore again",
                    )
                )
    return problems


def _unlink_own_rows(connection: Connection, table: Table) -> None:
    """Clear the links of a table's rows to rows of the same table (a reversal's to the expenditure it
    reverses), so that one DELETE takes them all: SQLite checks an ON DELETE RESTRICT row by row, and
    would refuse to delete an expenditure before its reversal."""
    own = sorted({k.parent.name for k in table.foreign_keys if k.column.table is table and k.parent.nullable})
    if own:
        connection.execute(table.update().values(dict.fromkeys(own)))


class NotEmpty(Conflict):
    slug = "database-not-empty"
    title = "Database not empty"


def is_empty(session: Session) -> bool:
    """No record of anyone's: the norms catalogue as shipped (seeded by the migrations) and the titles of
    its shipped norms do not count."""
    connection = session.connection()
    catalogue = metadata.tables[SHIPPED_CATALOGUE]
    for table in _tables():
        query = select(func.count()).select_from(table)
        if table.name == SHIPPED_CATALOGUE:
            query = query.where(table.c.builtin.is_(False))
        elif table.name == CATALOGUE_TITLES:
            added = select(catalogue.c.code).where(catalogue.c.builtin.is_(False))
            query = query.where(table.c.norm_code.in_(added))
        if connection.execute(query).scalar_one():
            return False
    return True


def restore(session: Session, document: dict[str, Any], *, replace: bool = False) -> dict[str, int]:
    """Load a backup into this database (in the caller's transaction); returns rows per table."""
    if document.get("format") != FORMAT:
        raise ValidationFailed.field(("file", "format"), "not a backup of this tracker")
    if document.get("version") != VERSION:
        raise ValidationFailed.field(
            ("file", "version"), f"backup format {document.get('version')} is not {VERSION}"
        )
    connection = session.connection()
    revision = migrate.current_revision_of(connection)
    if document.get("schema_revision") != revision:
        raise ValidationFailed.field(
            ("file", "schema_revision"),
            f"the backup was made at schema revision {document.get('schema_revision')}, this database is at "
            f"{revision}: bring both to the same revision first",
        )
    tables = document.get("tables")
    if not isinstance(tables, dict) or set(tables) - {t.name for t in _tables()}:
        raise ValidationFailed.field(("file", "tables"), "unknown or missing tables")
    for table in _tables():
        rows = tables.get(table.name, [])
        columns = set(table.c.keys())
        if not isinstance(rows, list) or any(not isinstance(r, dict) or set(r) - columns for r in rows):
            raise ValidationFailed.field(("file", "tables", table.name), "rows with unknown columns")
    problems = _control_problems(tables)
    damaged = _document_problems(tables)
    if damaged:
        raise ValidationFailed(
            f"{len(damaged)} documents are damaged in the backup; nothing was restored: "
            + "; ".join(p.msg for p in damaged[:10]),
            errors=damaged,
        )
    if problems:
        shown = "; ".join(p.msg for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ValidationFailed(
            f"{len(problems)} text cells hold control characters; nothing was restored: {shown}{more}",
            errors=problems,
        )
    if not is_empty(session):
        if not replace:
            raise NotEmpty(
                "The database already holds records; restore into an empty one, or pass --replace."
            )
        for table in reversed(_tables()):
            _unlink_own_rows(connection, table)
            connection.execute(table.delete())
    # the backup's catalogue, titles and all, replaces it
    connection.execute(metadata.tables[CATALOGUE_TITLES].delete())
    connection.execute(metadata.tables[SHIPPED_CATALOGUE].delete())
    counts: dict[str, int] = {}
    for table in _tables():
        rows = [{k: _from_json(table, k, v) for k, v in row.items()} for row in tables.get(table.name, [])]
        if rows:
            connection.execute(insert(table), rows)
        counts[table.name] = len(rows)
    # Rows came with their ids: new ones continue after the highest ever issued, deleted ones included.
    _continue_ids(connection, document.get("last_ids") or {})
    return counts

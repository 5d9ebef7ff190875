"""The audit trail: every write records who made it, when, and what each field was before and after.

Rows are written in the same transaction as the change they describe, so a change and its record
stand or fall together. Nothing in the application updates or deletes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel

from portfolio.audit import repository
from portfolio.audit.models import AuditEntry
from portfolio.pagination import PageParams
from portfolio.security import Actor

SECRET_FIELDS = {"password_hash", "password"}
HIDDEN = "(hidden)"


def jsonable(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def _same(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    return value.value


def _converter_for(kind: type[Any]) -> Callable[[Any], Any]:
    """What :func:`jsonable` does to every value of exactly this type."""
    if kind in (type(None), str, int, bool):
        return _same
    if issubclass(kind, Decimal):
        return str
    if issubclass(kind, datetime | date):
        return kind.isoformat
    if issubclass(kind, Enum):
        return _enum_value
    if issubclass(kind, list | tuple | set):
        return _json_list
    if issubclass(kind, dict):
        return jsonable
    return _same


_CONVERTERS: dict[type[Any], Callable[[Any], Any]] = {}


def _json_list(items: Any) -> list[Any]:
    """:func:`jsonable` of a list, tuple or set, each item's conversion found by its type."""
    converters = _CONVERTERS
    out = []
    for value in items:
        convert = converters.get(type(value))
        if convert is None:
            convert = converters[type(value)] = _converter_for(type(value))
        out.append(convert(value))
    return out


def _json(value: Any) -> Any:
    """:func:`jsonable`, its conversion found by the value's type."""
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        convert = _CONVERTERS[type(value)] = _converter_for(type(value))
    return convert(value)


def _json_values(values: dict[str, Any]) -> list[Any]:
    """:func:`jsonable` of each of ``values``, found once per type rather than by tests per value."""
    return _json_list(values.values())


def snapshot(obj: SQLModel, **extra: Any) -> dict[str, Any]:
    """Every column of a record (secrets hidden), plus ``extra`` such as its link lists."""
    values = {c.name: getattr(obj, c.name) for c in obj.__table__.columns}  # type: ignore[attr-defined]
    return snapshot_values(values, **extra)


def snapshot_values(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """:func:`snapshot` of a record given as its column values."""
    values = values | extra
    return {k: HIDDEN if k in SECRET_FIELDS else v for k, v in zip(values, _json_values(values), strict=True)}


def entry(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
    project_id: int | None = None,
) -> dict[str, Any]:
    """The columns of an audit entry (secrets hidden, values as JSON), for a writer to store."""
    clean = {
        k: [None if x is None else HIDDEN for x in v] if k in SECRET_FIELDS else _json(v)
        for k, v in changes.items()
    }
    return _columns(actor, action, entity, entity_id, clean, project_id)


def _columns(
    actor: Actor, action: str, entity: str, entity_id: int | None, changes: Any, project_id: int | None
) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
        "project_id": project_id,
    }


def created_entry(
    actor: Actor, entity: str, values: dict[str, Any], project_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    """The entry recording a new record, given its column values (and ``extra`` such as link lists)."""
    changes = {k: [None, v] for k, v in zip(values, _json_values(values), strict=True)}
    if extra:
        changes.update((k, [None, v]) for k, v in zip(extra, _json_values(extra), strict=True))
    if not SECRET_FIELDS.isdisjoint(changes):
        for k in SECRET_FIELDS.intersection(changes):
            changes[k][1] = HIDDEN
    entity_id = changes["id"][1] if "id" in changes else None
    return _columns(actor, "create", entity, entity_id, changes, project_id)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
    project_id: int | None = None,
) -> AuditEntry:
    stored = AuditEntry(**entry(actor, action, entity, entity_id, changes, project_id))
    session.add(stored)
    return stored


def created(
    session: Session, actor: Actor, entity: str, obj: SQLModel, project_id: int | None = None, **extra: Any
) -> None:
    state = snapshot(obj, **extra)
    record(
        session,
        actor,
        "create",
        entity,
        state.get("id"),
        {k: [None, v] for k, v in state.items()},
        project_id,
    )


def deleted(
    session: Session, actor: Actor, entity: str, obj: SQLModel, project_id: int | None = None, **extra: Any
) -> None:
    state = snapshot(obj, **extra)
    record(
        session,
        actor,
        "delete",
        entity,
        state.get("id"),
        {k: [v, None] for k, v in state.items()},
        project_id,
    )


def _as_utc(moment: datetime | None) -> datetime | None:
    """An instant given without a time zone is read as UTC, the zone every timestamp is kept in."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def list_entries(
    session: Session, filters: repository.AuditFilters, page: PageParams
) -> tuple[list[AuditEntry], int]:
    filters = replace(filters, since=_as_utc(filters.since), until=_as_utc(filters.until))
    return repository.list_entries(session, filters, page.limit, page.offset)


def project_trail(session: Session, project_id: int, page: PageParams) -> tuple[list[AuditEntry], int]:
    """A project's trail, and that of its pledges, receipts, milestones and indicators; it outlives
    the project, so that a deleted project can be reconstructed (whether a project without one exists
    is for the projects service to say)."""
    return repository.list_entries(
        session, repository.AuditFilters(project_id=project_id), page.limit, page.offset
    )


def changes_since(session: Session, entity: str, entity_id: int, since: datetime) -> list[AuditEntry]:
    """What was written to one record after ``since``, oldest first: what a stale edit form missed."""
    entries, _ = repository.list_entries(
        session,
        repository.AuditFilters(entity=entity, entity_id=entity_id, since=_as_utc(since)),
        500,
        0,
    )
    return entries[::-1]


def recent_entries(session: Session, limit: int) -> list[AuditEntry]:
    """The latest ``limit`` writes of the whole portfolio, newest first: the home page's recent changes."""
    entries, _ = repository.list_entries(session, repository.AuditFilters(), limit, 0)
    return entries


def status_writers(session: Session, entity: str, entity_id: int) -> list[AuditEntry]:
    """The entries that created a record and moved its status (creations, transitions, reopenings),
    oldest first: who made each change of a status history."""
    return repository.entries_of(session, entity, entity_id, ("create", "transition", "reopen"))

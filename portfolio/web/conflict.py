"""Lost updates are impossible: every edit form carries the record's version and the moment it was
loaded. A save against a version someone else has moved on gets the conflict page: what changed
meanwhile (field, old → new, by whom, when) and the person's own values, ready to apply again on top of
the current version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit_service
from portfolio.db import utcnow
from portfolio.users import service as users_service
from portfolio.users.service import UserNotFound


@dataclass(frozen=True)
class Change:
    at: datetime
    by: str
    field: str
    old: Any
    new: Any


def loaded_now() -> str:
    """The value of an edit form's hidden ``loaded_at`` field."""
    return utcnow().isoformat()


def parse_loaded(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def changed_meanwhile(session: Session, entity: str, entity_id: int, loaded_at: str) -> list[Change]:
    """Every field of one record written since the form was loaded, oldest first, with who wrote it."""
    names: dict[int | None, str] = {None: "system"}
    changes = []
    for entry in audit_service.changes_since(session, entity, entity_id, parse_loaded(loaded_at)):
        if entry.user_id not in names:
            try:
                names[entry.user_id] = users_service.get_user(session, entry.user_id or 0).email
            except UserNotFound:
                names[entry.user_id] = f"user {entry.user_id}"
        for field, values in (entry.changes or {}).items():
            old, new = values if isinstance(values, list) and len(values) == 2 else (None, values)
            changes.append(Change(entry.at, names[entry.user_id], field, old, new))
    return changes

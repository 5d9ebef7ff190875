"""Claiming a key, keeping its answer, letting it go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portfolio.idempotency.models import IdempotencyKey

TABLE = IdempotencyKey.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Stored:
    request: str
    body_sha256: str
    status: int | None
    headers: str | None
    body: str | None


def claim(
    session: Session,
    user_id: int,
    key: str,
    request: str,
    body_sha256: str,
    now: datetime,
    expired: datetime,
    abandoned: datetime,
) -> Stored | None:
    """Take the key for this request (None), or what the account's key holds already. The account's keys
    older than ``expired`` are forgotten first, and so are those still in progress since before
    ``abandoned`` (their worker died before it could answer)."""
    session.execute(
        delete(TABLE).where(
            TABLE.c.user_id == user_id,
            or_(TABLE.c.created_at < expired, and_(TABLE.c.status.is_(None), TABLE.c.created_at < abandoned)),
        )
    )
    values = {
        "user_id": user_id,
        "key": key,
        "request": request,
        "body_sha256": body_sha256,
        "status": None,
        "created_at": now,
    }
    try:
        with session.begin_nested():
            session.execute(insert(TABLE).values(**values))
        return None
    except IntegrityError:
        pass
    row = session.execute(
        select(TABLE.c.request, TABLE.c.body_sha256, TABLE.c.status, TABLE.c.headers, TABLE.c.body).where(
            TABLE.c.user_id == user_id, TABLE.c.key == key
        )
    ).one_or_none()
    if row is None:  # it expired and was deleted by another request meanwhile: take it
        session.execute(insert(TABLE).values(**values))
        return None
    return Stored(*row)


def complete(session: Session, user_id: int, key: str, status: int, headers: str, body: str) -> None:
    session.execute(
        update(TABLE)
        .where(TABLE.c.user_id == user_id, TABLE.c.key == key)
        .values(status=status, headers=headers, body=body)
    )


def release(session: Session, user_id: int, key: str) -> None:
    """Forget a key whose request wrote nothing (it failed): the same request may be sent again with it."""
    session.execute(
        delete(TABLE).where(TABLE.c.user_id == user_id, TABLE.c.key == key, TABLE.c.status.is_(None))
    )

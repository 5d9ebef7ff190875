"""Record versions (the ETags) bumped by the ORM: once per unit of work that changes the record.

A versioned record whose columns or link collections changed gets ``version + 1`` and a new
``updated_at`` when the session is flushed. A flush the ORM makes by itself before a query (autoflush,
half-way through a change) only notes what changed; the bump comes with the next flush asked for, so
one change made in steps still counts once. A receipt is a change to its pledge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE
from sqlalchemy.orm.util import identity_key

from portfolio.db import utcnow

T = TypeVar("T", bound=type)

# Versioned model -> attributes whose change is not a change of the record (e.g. login bookkeeping).
VERSIONED: dict[type, frozenset[str]] = {}
# Model -> (versioned parent model, foreign key attribute): a new row is a change to that parent.
CHILDREN: dict[type, tuple[type, str]] = {}

_ALWAYS_IGNORED = frozenset({"version", "updated_at", "created_at"})
_QUERYING = "portfolio.versioning.querying"
_NOTED = "portfolio.versioning.noted"


def versioned(*, ignore: Iterable[str] = ()) -> Callable[[T], T]:
    """Class decorator: the model's ``version`` goes up by one with every change to the record."""

    def register(cls: T) -> T:
        VERSIONED[cls] = _ALWAYS_IGNORED | frozenset(ignore)
        return cls

    return register


def changes_parent(parent: type, key: str) -> Callable[[T], T]:
    """Class decorator: adding a row of this model changes the ``parent`` row its ``key`` names."""

    def register(cls: T) -> T:
        CHILDREN[cls] = (parent, key)
        return cls

    return register


def _changed(obj: Any, ignored: frozenset[str]) -> bool:
    mapper = inspect(obj).mapper
    for attr in mapper.attrs:
        if attr.key in ignored:
            continue
        if get_history(obj, attr.key, passive=PASSIVE_NO_INITIALIZE).has_changes():
            return True
    return False


def _noted(session: Session) -> dict[int, Any]:
    noted: dict[int, Any] = session.info.setdefault(_NOTED, {})
    return noted


@event.listens_for(Session, "do_orm_execute")
def _mark_query(state: ORMExecuteState) -> Any:
    """Run the statement flagged, so that a flush it sets off is known to be an autoflush."""
    info = state.session.info
    if info.get(_QUERYING):
        return None
    info[_QUERYING] = True
    try:
        return state.invoke_statement()
    finally:
        info[_QUERYING] = False


@event.listens_for(Session, "before_flush")
def _bump_versions(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    noted = _noted(session)
    for obj in list(session.dirty):
        ignored = VERSIONED.get(type(obj))
        if ignored is not None and _changed(obj, ignored):
            noted[id(obj)] = obj
    for obj in list(session.new):
        link = CHILDREN.get(type(obj))
        if link is not None:
            parent = session.identity_map.get(identity_key(link[0], getattr(obj, link[1])))
            if parent is not None and parent not in session.new:
                noted[id(parent)] = parent
    if not session.info.get(_QUERYING):  # an autoflush: the bump waits for the flush that ends the change
        _bump(session)


def _bump(session: Session) -> None:
    noted = _noted(session)
    now = utcnow()
    for obj in noted.values():
        if obj not in session.deleted and inspect(obj).persistent:
            obj.version += 1
            obj.updated_at = now
    noted.clear()


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    """What an autoflush wrote and no later flush bumped: the commit's own flush writes the bump."""
    _bump(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_NOTED, None)

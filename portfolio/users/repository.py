from datetime import datetime
from functools import cache

from sqlalchemy import Integer, bindparam, case, delete, func, text, update
from sqlalchemy import insert as insert_into
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from portfolio.pagination import PageParams, paged
from portfolio.users.models import LoginThrottle, SignInFailure, User


def get_user(session: Session, user_id: int, *, for_update: bool = False) -> User | None:
    query = select(User).where(col(User.id) == user_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


@cache
def _account_query() -> SelectOfScalar[User]:
    return select(User).where(col(User.id) == bindparam("user_id", type_=Integer))


def get_account(session: Session, user_id: int) -> User | None:
    """:func:`get_user` for the token check on every request: the statement is built once."""
    return session.exec(_account_query(), params={"user_id": user_id}).first()


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(col(User.email) == email.lower())).first()


def lock_admins(session: Session) -> None:
    """Serialise the changes that could leave no administrator: on PostgreSQL a transaction-scoped advisory
    lock (SQLite's write transaction already is one)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('portfolio-last-admin'))"))


def count_active_admins(session: Session, other_than: int) -> int:
    query = select(func.count()).where(
        col(User.role) == "admin", col(User.active).is_(True), col(User.id) != other_than
    )
    return int(session.exec(query).one())


def list_users(session: Session, limit: int, offset: int) -> tuple[list[User], int]:
    return paged(session, select(User), PageParams(limit, offset), col(User.email))


# -- logging in: the throttle's counters and the failed sign-ins ----------------------------------


def claim_attempt(
    session: Session, key: str, email: str, now: datetime, window_ends: datetime
) -> tuple[int, datetime]:
    """Count one more login attempt on the counter ``key`` in one statement, atomic on every database (an
    upsert: two workers or hosts at once get two different counts), and answer the count and the end of
    the counter's window. A counter whose window is over starts again at 1, with a new window."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = insert(table).values(key=key, email=email, attempts=1, window_ends=window_ends)
    over = table.c.window_ends <= now
    statement = values.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": case((over, 1), else_=table.c.attempts + 1),
            "window_ends": case((over, values.excluded.window_ends), else_=table.c.window_ends),
        },
    ).returning(table.c.attempts, table.c.window_ends)
    attempts, ends = session.execute(statement).one()
    return int(attempts), ends


def release_attempt(session: Session, key: str, count: int = 1) -> None:
    """Take back ``count`` attempts counted on ``key`` (an attempt refused before its password was checked;
    a right password and the attempts counted before it), never below 0: one statement."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.key == key)
        .values(attempts=case((table.c.attempts > count, table.c.attempts - count), else_=0))
    )


def clear_attempts(session: Session, *, key: str | None = None, email: str | None = None) -> None:
    """Forget the counter ``key``, or every counter of ``email`` (an administrator's password reset)."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    condition = table.c.key == key if key is not None else table.c.email == email
    session.execute(delete(table).where(condition))


def add_sign_in_failure(session: Session, failure: SignInFailure) -> None:
    """One failed sign-in, inserted in one statement."""
    table = SignInFailure.__table__  # type: ignore[attr-defined]
    session.execute(
        insert_into(table).values(
            at=failure.at,
            email=failure.email,
            user_id=failure.user_id,
            address=failure.address,
            reason=failure.reason,
        )
    )


def prune_sign_in_records(session: Session, counters_before: datetime, failures_before: datetime) -> None:
    """Drop the counters whose window ended before ``counters_before`` and the failed sign-ins older than
    ``failures_before``."""
    throttle = LoginThrottle.__table__  # type: ignore[attr-defined]
    failures = SignInFailure.__table__  # type: ignore[attr-defined]
    session.execute(delete(throttle).where(throttle.c.window_ends < counters_before))
    session.execute(delete(failures).where(failures.c.at < failures_before))


def list_sign_in_failures(session: Session, limit: int, offset: int) -> tuple[list[SignInFailure], int]:
    """The failed sign-ins, newest first."""
    return paged(session, select(SignInFailure), PageParams(limit, offset), col(SignInFailure.id).desc())

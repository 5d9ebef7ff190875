from functools import cache

from sqlalchemy import Integer, bindparam
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from portfolio.pagination import PageParams, paged
from portfolio.users.models import User


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


def list_users(session: Session, limit: int, offset: int) -> tuple[list[User], int]:
    return paged(session, select(User), PageParams(limit, offset), col(User.email))

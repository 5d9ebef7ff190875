"""Changing an account, where it meets the reports and checks it is responsible for: an account that may no
longer be responsible for any (deactivated, or no longer staff or admin) lets go of those still due, in the
same transaction, audited, so that their reminders go to all staff and never to an account that may not
read them (a donor's account reading another State's agreement)."""

from __future__ import annotations

from typing import Any

from pwdlib import PasswordHash
from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.preconditions import ANY, Precondition
from portfolio.processes import service as processes_service
from portfolio.security import Actor
from portfolio.users import service as users_service
from portfolio.users.models import RESPONSIBLE_ROLES, User
from portfolio.users.schemas import UserUpdate

Changes = dict[str, list[Any]]


def update_account(
    session: Session,
    actor: Actor,
    user_id: int,
    data: UserUpdate,
    hasher: PasswordHash,
    precondition: Precondition = ANY,
) -> tuple[User, Changes]:
    """:func:`portfolio.users.service.update_user`, then the release of what the account owned when it may
    own nothing any more."""
    user, changes = users_service.update_user(session, actor, user_id, data, hasher, precondition)
    if changes and (not user.active or user.role not in RESPONSIBLE_ROLES):
        agreements_service.release_owned(session, actor, user_id)
        processes_service.release_owned(session, actor, user_id)
    return user, changes

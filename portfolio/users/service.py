"""Accounts and logging in: who may use the tracker, and for which State a donor account speaks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pwdlib import PasswordHash
from sqlmodel import Session

from portfolio.audit import repository as audit_repository
from portfolio.audit import service as audit
from portfolio.config import Settings
from portfolio.db import utcnow
from portfolio.errors import Conflict, FieldError, NotFound, ValidationFailed
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor, create_token
from portfolio.states import service as states_service
from portfolio.users import repository
from portfolio.users.models import User
from portfolio.users.schemas import Role, UserCreate, UserUpdate

Changes = dict[str, list[Any]]


class UserNotFound(NotFound):
    pass


class DuplicateEmail(Conflict):
    slug = "duplicate-email"
    title = "E-mail already used"


def _check_role_state(session: Session, role: str, state: str | None) -> None:
    if role == Role.donor:
        if state is None:
            raise ValidationFailed.field(
                ("body", "state"), "a donor account must name the State it speaks for"
            )
        states_service.require_states(session, [state], ("body", "state"), participating_only=False)
    elif state is not None:
        raise ValidationFailed(
            "only donor accounts speak for a State",
            errors=[
                FieldError(("body", "state"), f"only donor accounts speak for a State, not {role} accounts")
            ],
        )


def _check_email_free(session: Session, email: str, own_id: int | None = None) -> None:
    other = repository.get_by_email(session, email)
    if other is not None and other.id != own_id:
        raise DuplicateEmail(f"{email} already has an account.")


def create_user(session: Session, actor: Actor, data: UserCreate, hasher: PasswordHash) -> User:
    email = data.email.lower()
    _check_email_free(session, email)
    _check_role_state(session, data.role, data.state)
    user = User(
        email=email,
        full_name=data.full_name,
        role=data.role,
        state=data.state,
        active=data.active,
        password_hash=hasher.hash(data.password),
    )
    session.add(user)
    session.flush()
    audit.created(session, actor, "user", user)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = repository.get_user(session, user_id)
    if user is None:
        raise UserNotFound(f"User {user_id} does not exist.")
    return user


def list_users(session: Session, page: PageParams) -> tuple[list[User], int]:
    return repository.list_users(session, page.limit, page.offset)


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    data: UserUpdate,
    hasher: PasswordHash,
    precondition: Precondition = ANY,
) -> tuple[User, Changes]:
    user = repository.get_user(session, user_id, for_update=True)
    if user is None:
        raise UserNotFound(f"User {user_id} does not exist.")
    precondition.check(user.version, f"User {user_id}")
    values = data.changes()
    if "email" in values:
        values["email"] = values["email"].lower()
        _check_email_free(session, values["email"], user.id)
    role = values.get("role", user.role)
    state = values.get("state", user.state)
    if role != Role.donor and "role" in values and "state" not in values:
        state = values["state"] = None  # leaving the donor role drops the State
    _check_role_state(session, role, state)

    changes: Changes = {}
    password = values.pop("password", None)
    for name, value in values.items():
        if getattr(user, name) != value:
            changes[name] = [getattr(user, name), value]
            setattr(user, name, value)
    if password is not None:
        user.password_hash = hasher.hash(password)
        changes["password"] = ["(hidden)", "(hidden)"]
        if user.locked_until is not None:
            changes["locked_until"] = [user.locked_until, None]
            user.locked_until = None
        changes["failures_counted_from"] = [user.failures_counted_from, utcnow()]
        user.failures_counted_from = changes["failures_counted_from"][1]
    if password is not None or changes.get("active") == [True, False]:
        changes["token_version"] = [user.token_version, user.token_version + 1]
        user.token_version += 1  # every token issued before stops working at once
    if changes:
        user.updated_at = utcnow()
        audit.record(session, actor, "update", "user", user.id, changes)
        session.flush()
    return user, changes


# -- logging in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    expires_in: int = 0
    locked_for: timedelta | None = None


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHash) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def authenticate(
    session: Session, settings: Settings, hasher: PasswordHash, key: str, email: str, password: str
) -> LoginResult:
    """A token for the right password; otherwise a failure that is counted, and locks the account
    after ``login_max_failures`` within ``login_lock_minutes``. Unknown e-mails cost the same time."""
    now = utcnow()
    user = repository.get_by_email(session, email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        hasher.verify(password, _dummy_hash(hasher))
        return LoginResult(locked_for=user.locked_until - now)
    if user is None:
        hasher.verify(password, _dummy_hash(hasher))
        audit.record(
            session,
            Actor(None, "anonymous"),
            "login_failed",
            "user",
            None,
            {"email": [None, email.lower()]},
        )
        return LoginResult()
    if not hasher.verify(password, user.password_hash) or not user.active:
        window = timedelta(minutes=settings.login_lock_minutes)
        audit.record(
            session,
            Actor(None, "anonymous"),
            "login_failed",
            "user",
            user.id,
            {"email": [None, user.email]},
        )
        session.flush()
        assert user.id is not None
        since = max(now - window, user.failures_counted_from or now - window)
        failures = audit_repository.count_since(session, "user", user.id, "login_failed", since)
        if failures >= settings.login_max_failures:
            user.locked_until = now + window
            audit.record(
                session,
                Actor(None, "anonymous"),
                "lock",
                "user",
                user.id,
                {"locked_until": [None, user.locked_until]},
            )
        return LoginResult()
    assert user.id is not None
    user.failures_counted_from = now  # a success wipes the slate
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    return LoginResult(
        token=create_token(key, user.id, user.token_version, ttl), expires_in=int(ttl.total_seconds())
    )


def revoke_tokens(session: Session, actor: Actor, user: User) -> None:
    """Log the account out everywhere: every token and session cookie issued to it stops working."""
    user = repository.get_user(session, user.id or 0, for_update=True) or user
    audit.record(
        session,
        actor,
        "logout",
        "user",
        user.id,
        {"token_version": [user.token_version, user.token_version + 1]},
    )
    user.token_version += 1
    session.flush()


class WrongPassword(ValidationFailed):
    pass


def change_own_password(session: Session, actor: Actor, current: str, new: str, hasher: PasswordHash) -> User:
    """An account's own new password, given its current one; every earlier token stops working."""
    user = repository.get_user(session, actor.user_id or 0, for_update=True)
    if user is None:
        raise UserNotFound(f"User {actor.user_id} does not exist.")
    if not hasher.verify(current, user.password_hash):
        raise WrongPassword.field(("body", "current_password"), "This is not the account's current password.")
    data = UserUpdate.model_validate({"password": new})  # the API's rule for a password
    updated, _ = update_user(session, actor, user.id or 0, data, hasher)
    return updated

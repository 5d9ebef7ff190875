"""Accounts and logging in: who may use the tracker, and for which State a donor account speaks."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter
from pwdlib import PasswordHash
from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.config import Settings
from portfolio.db import Database, utcnow
from portfolio.errors import Conflict, FieldError, NotFound, Said, ValidationFailed
from portfolio.languages import LOCALES
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor, create_token
from portfolio.states import service as states_service
from portfolio.users import passwords, repository
from portfolio.users.models import ADDRESS_MAX, TYPED_EMAIL_MAX, SignInFailure, User
from portfolio.users.schemas import Role, UserCreate, UserUpdate

Changes = dict[str, list[Any]]


class UserNotFound(NotFound):
    pass


class DuplicateEmail(Conflict):
    slug = "duplicate-email"
    title = "E-mail already used"


class LastAdmin(Conflict):
    slug = "last-admin"
    title = "The last administrator"


LAST_ADMIN = (
    "This is the only active administrator account: it may not stop being an administrator or be "
    "deactivated until another account is an active administrator."
)


def _keep_an_admin(session: Session, user: User, role: str, active: bool) -> None:
    """Refuse a change that would leave no active administrator (only the command line could make one)."""
    if user.role != Role.admin or not user.active or (role == Role.admin and active):
        return
    repository.lock_admins(session)  # two administrators demoting each other at once: one of them waits
    if repository.count_active_admins(session, other_than=user.id or 0) == 0:
        raise LastAdmin(LAST_ADMIN)


def _check_role_state(session: Session, role: str, state: str | None) -> None:
    if role == Role.donor:
        if state is None:
            raise ValidationFailed.field(
                ("body", "state"), Said("a donor account must name the State it speaks for")
            )
        states_service.require_states(session, [state], ("body", "state"), participating_only=False)
    elif state is not None:
        raise ValidationFailed(
            "only donor accounts speak for a State",
            errors=[
                FieldError(
                    ("body", "state"),
                    Said("only donor accounts speak for a State, not %(role)s accounts", role=Role(role)),
                )
            ],
        )


def _check_email_free(session: Session, email: str, own_id: int | None = None) -> None:
    other = repository.get_by_email(session, email)
    if other is not None and other.id != own_id:
        raise DuplicateEmail(Said("%(email)s already has an account.", email=email))


class WeakPassword(ValidationFailed):
    pass


def _check_password(password: str, email: str, full_name: str) -> None:
    """Refuse a common, breached or guessable password, or one made of the account's e-mail (NIST SP
    800-63B): a 422 naming the password field."""
    if passwords.too_easy(password, email, full_name):
        raise WeakPassword.field(("body", "password"), Said(passwords.TOO_EASY_MESSAGE))


def create_user(session: Session, actor: Actor, data: UserCreate, hasher: PasswordHash) -> User:
    email = data.email.lower()
    _check_password(data.password, email, data.full_name)
    _check_email_free(session, email)
    _check_role_state(session, data.role, data.state)
    user = User(
        email=email,
        full_name=data.full_name,
        role=data.role,
        state=data.state,
        active=data.active,
        language=data.language,
        password_hash=hasher.hash(data.password),
    )
    session.add(user)
    session.flush()
    audit.created(session, actor, "user", user)
    return user


def set_own_language(session: Session, actor: Actor, language: str) -> User:
    """The language of one's own e-mails and calendar feed: any account may choose it for itself."""
    if language not in LOCALES:
        raise ValidationFailed.field(
            ("language",), Said("%(language)s is not a language of the tracker.", language=repr(language))
        )
    user = repository.get_user(session, actor.user_id or 0, for_update=True)
    if user is None:
        raise UserNotFound(f"User {actor.user_id} does not exist.")
    if user.language != language:
        audit.record(session, actor, "update", "user", user.id, {"language": [user.language, language]})
        user.language = language
        user.updated_at = utcnow()
        session.flush()
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
    _keep_an_admin(session, user, role, values.get("active", user.active))

    changes: Changes = {}
    password = values.pop("password", None)
    if password is not None:
        _check_password(password, values.get("email", user.email), values.get("full_name", user.full_name))
    for name, value in values.items():
        if getattr(user, name) != value:
            changes[name] = [getattr(user, name), value]
            setattr(user, name, value)
    if password is not None:
        user.password_hash = hasher.hash(password)
        changes["password"] = ["(hidden)", "(hidden)"]
        repository.clear_attempts(session, email=user.email)  # a reset lifts the login throttle
    if password is not None or changes.get("active") == [True, False]:
        changes["token_version"] = [user.token_version, user.token_version + 1]
        user.token_version += 1  # every token issued before stops working at once
    if changes.get("active") == [True, False] or (password is not None and actor.user_id != user.id):
        # Deactivation and an administrator's reset end the calendar feeds too (not one's own new password).
        now = utcnow()
        changes["feeds_valid_from"] = [user.feeds_valid_from, now]
        user.feeds_valid_from = now
    if changes:
        user.updated_at = utcnow()
        audit.record(session, actor, "update", "user", user.id, changes)
        session.flush()
    return user, changes


# -- logging in ---------------------------------------------------------------------------------
#
# The rule. Every login attempt is counted in the database before its password is checked, in one atomic
# statement per counter, so that no burst, on any worker or host, gets more checks than the limits:
#
# - per (e-mail as typed, client address): ``login_max_failures`` attempts within ``login_lock_minutes``
#   from the first of them; beyond, 429 until that window is over. A right password takes back itself
#   and the attempts counted before it (not those of a burst counted after it).
# - per e-mail as typed, from every address together: ``login_account_max_attempts`` within
#   ``login_account_window_s`` seconds; beyond, 429 until that short window is over. An attempt refused
#   this way is not counted against its address, and one refused by its address's counter is not counted
#   here, so strangers cannot keep the account's holder out for longer than that short window.
#
# The counters are keyed by the e-mail as typed, whether or not an account has it: an unknown e-mail is
# answered exactly as a known one (the same statuses, bodies and password check). The password is checked
# outside any transaction, at most ``login_concurrent_checks`` at once per worker process.

PRUNE_ONE_IN = 64  # about one attempt in so many drops the expired counters and the old failed sign-ins
KEEP_FAILURES = timedelta(days=90)


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    expires_in: int = 0
    locked_for: timedelta | None = None


@dataclass(frozen=True)
class _Claim:
    refused_for: timedelta | None
    pair_key: str
    account_key: str
    pair_count: int = 0
    user_id: int | None = None
    password_hash: str | None = None
    active: bool = False
    token_version: int = 0


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHash) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def typed_email(email: str) -> str:
    """What a login keeps of the e-mail typed: lower-case, at most 254 characters."""
    return email.lower()[:TYPED_EMAIL_MAX]


def _counter_key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _claim(db: Database, settings: Settings, email: str, address: str, now: datetime) -> _Claim:
    """Count this attempt on its address's counter and the e-mail's, atomically; read the account."""
    pair_key = _counter_key("pair", email, address)
    account_key = _counter_key("account", email)
    with db.session(write=True) as session:
        pair_window = now + timedelta(minutes=settings.login_lock_minutes)
        pair_count, ends = repository.claim_attempt(session, pair_key, email, now, pair_window)
        if pair_count > settings.login_max_failures:
            return _Claim(ends - now, pair_key, account_key)
        account_window = now + timedelta(seconds=settings.login_account_window_s)
        attempts, ends = repository.claim_attempt(session, account_key, email, now, account_window)
        if attempts > settings.login_account_max_attempts:
            repository.release_attempt(session, pair_key)  # not held against the address
            repository.release_attempt(session, account_key)
            return _Claim(ends - now, pair_key, account_key)
        user = repository.get_by_email(session, email)
        if user is None:
            return _Claim(None, pair_key, account_key, pair_count)
        return _Claim(
            None,
            pair_key,
            account_key,
            pair_count,
            user.id,
            user.password_hash,
            user.active,
            user.token_version,
        )


def _settle(db: Database, claim: _Claim, email: str, address: str, now: datetime, *, success: bool) -> None:
    """After the check: a right password takes back its address's count up to itself (and is not held
    against the e-mail); a wrong one is recorded, in one statement, for the administrators' security view."""
    with db.session(write=True) as session:
        if success:
            # The slate is wiped up to this attempt; attempts counted after it (a burst) still count.
            repository.release_attempt(session, claim.pair_key, claim.pair_count)
            repository.release_attempt(session, claim.account_key)
        else:
            reason = (
                "unknown-email"
                if claim.user_id is None
                else "inactive"
                if not claim.active
                else "wrong-password"
            )
            repository.add_sign_in_failure(
                session,
                SignInFailure(
                    at=now, email=email, user_id=claim.user_id, address=address[:ADDRESS_MAX], reason=reason
                ),
            )
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            repository.prune_sign_in_records(session, now - timedelta(days=1), now - KEEP_FAILURES)


_check_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, CapacityLimiter]] = (
    WeakKeyDictionary()
)


def _checks_limiter(size: int) -> CapacityLimiter:
    """This worker process's bound on password checks at once (one per event loop, i.e. per process)."""
    loop = asyncio.get_running_loop()
    found = _check_limiters.get(loop)
    if found is None or found[0] != size:
        found = _check_limiters[loop] = (size, CapacityLimiter(size))
    return found[1]


async def authenticate(
    db: Database,
    settings: Settings,
    hasher: PasswordHash,
    key: str,
    email: str,
    password: str,
    address: str,
) -> LoginResult:
    """A token for the right password of an active account; otherwise a refusal, counted as the rule above
    says. No transaction is open while the password is checked."""
    now = utcnow()
    email = typed_email(email)
    claim = await anyio.to_thread.run_sync(_claim, db, settings, email, address, now)
    if claim.refused_for is not None:
        return LoginResult(locked_for=claim.refused_for)
    known = claim.password_hash if claim.user_id is not None else None
    right = await anyio.to_thread.run_sync(
        hasher.verify,
        password,
        known or _dummy_hash(hasher),
        limiter=_checks_limiter(settings.login_concurrent_checks),
    )
    success = bool(right and known is not None and claim.active)
    await anyio.to_thread.run_sync(
        functools.partial(_settle, db, claim, email, address, now, success=success)
    )
    if not success:
        return LoginResult()
    assert claim.user_id is not None
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    return LoginResult(
        token=create_token(key, claim.user_id, claim.token_version, ttl), expires_in=int(ttl.total_seconds())
    )


def sign_in_failures(session: Session, page: PageParams) -> tuple[list[SignInFailure], int]:
    """The failed sign-ins, newest first: the administrators' security view."""
    return repository.list_sign_in_failures(session, page.limit, page.offset)


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
        raise WrongPassword.field(
            ("body", "current_password"), Said("This is not the account's current password.")
        )
    data = UserUpdate.model_validate({"password": new})  # the API's rule for a password
    updated, _ = update_user(session, actor, user.id or 0, data, hasher)
    return updated

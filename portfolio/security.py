"""Who acts (:class:`Actor`), passwords (Argon2id, via pwdlib), signed access tokens (JWT, via PyJWT) and the
signing key."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import make_url

from portfolio.config import Settings

ALGORITHM = "HS256"
MIN_KEY_LENGTH = 32
# How far the clocks of two app hosts may disagree: a token one host issues is accepted by the others though
# its issue time lies this far in their future, and for as long past its expiry (PORTFOLIO_TOKEN_LEEWAY_S).
DEFAULT_LEEWAY_S = 30.0


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account, or the system itself (user_id None) for commands such as demo-data."""

    user_id: int | None
    role: str
    state: str | None = None

    @property
    def is_donor(self) -> bool:
        return self.role == "donor"

    def sees_donor(self, state: str | None) -> bool:
        """Whether this account may see money given by ``state``: a donor State's account its own State's
        only; every other role every State's."""
        return not self.is_donor or (state is not None and state == self.state)

    def donor_filter(self, requested: str | None) -> str | None:
        """A filter on *who funds* a record (``?donor=``), as this account may apply it. The one rule behind
        every list, export, page and file: a donor naming another State gets :data:`NO_STATE`, which no
        record matches, so the answer is the one a State that funds nothing would get — it learns nothing
        of what another State funds. No filter stays no filter (a donor sees every project's totals)."""
        if requested is None or self.sees_donor(requested):
            return requested
        return NO_STATE

    def own_donor_filter(self, requested: str | None) -> str | None:
        """A filter on the donor of money listed *line by line* (pledges, receipts, agreements,
        obligations): a donor's account always gets its own State's lines, or none when it names another."""
        if not self.is_donor:
            return requested
        return self.donor_filter(requested) or self.state or NO_STATE


# The State filter that matches no record: what a donor's filter naming another State becomes.
NO_STATE = "-"


SYSTEM = Actor(user_id=None, role="admin")


class SecretKeyError(RuntimeError):
    """The signing key is missing or unusable; the message says what to do."""


def key_file_for(database_url: str) -> Path | None:
    """Where a generated key lives: beside the SQLite database file (None for other databases)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(url.database)
    return database.with_name(database.name + ".secret-key")


def resolve_secret_key(settings: Settings) -> str:
    """PORTFOLIO_SECRET_KEY, or the key kept beside the SQLite database (made on first start)."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < MIN_KEY_LENGTH:
            raise SecretKeyError(f"PORTFOLIO_SECRET_KEY must be at least {MIN_KEY_LENGTH} characters long.")
        return key
    path = key_file_for(settings.database_url)
    if path is None:
        raise SecretKeyError("Set PORTFOLIO_SECRET_KEY (the same on every host) to run with this database.")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic: if another worker got there first, its key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def password_hasher(settings: Settings) -> PasswordHash:
    return PasswordHash(
        (Argon2Hasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib),)
    )


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int


class InvalidToken(Exception):
    pass


def create_token(key: str, user_id: int, token_version: int, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "tv": token_version, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_token(key: str, token: str, leeway_s: float = DEFAULT_LEEWAY_S) -> TokenClaims:
    """The claims of a token this server signed and that has not expired; InvalidToken otherwise. Its times
    (iat, nbf, exp) are checked with ``leeway_s`` seconds to spare, for hosts whose clocks disagree."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "tv"]},
            leeway=leeway_s,
        )
        return TokenClaims(user_id=int(claims["sub"]), token_version=int(claims["tv"]))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc

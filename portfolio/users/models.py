from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from portfolio.db import NEVER_REUSE_IDS, UTCDateTime, utcnow
from portfolio.versioning import versioned

TYPED_EMAIL_MAX = 254  # what a failed sign-in keeps of the e-mail typed (RFC 5321's longest address)
# The roles that may be responsible for a report owed or a follow-up check (and so receive its reminders):
# those that may write agreements and national processes in the role table (portfolio.auth).
RESPONSIBLE_ROLES = ("staff", "admin")
ADDRESS_MAX = 64  # what it keeps of the client's address (an IPv6 address with its zone fits)


@versioned()
class User(SQLModel, table=True):
    """An account: FSC support staff, a manager, an administrator, or a donor State's representative."""

    __tablename__ = "app_user"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, description="Stored lower-case.")
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=10)
    state: str | None = Field(
        default=None, sa_column=Column(String(3), ForeignKey("state.code"), nullable=True)
    )
    active: bool = Field(default=True)
    password_hash: str = Field(max_length=255)
    language: str = Field(
        default="en",
        max_length=8,
        sa_column_kwargs={"server_default": "en"},
        description="The language of the account's e-mails and calendar feed (a code of the registry).",
    )
    token_version: int = Field(default=1, description="Bumped to revoke every token issued before.")
    feeds_valid_from: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="Calendar feeds made before this no longer work (set by deactivation and by an "
        "administrator's password reset).",
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """One counter of login attempts: of an e-mail from one client address, or of an e-mail from every
    address. Keyed by the SHA-256 of what it counts, so that its key has a fixed size; ``email`` (as typed,
    lower-case, cut to 254 characters) lets an administrator's password reset clear the account's counters.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    email: str = Field(max_length=TYPED_EMAIL_MAX, index=True)
    attempts: int
    window_ends: datetime = Field(sa_type=UTCDateTime, index=True)


class SignInFailure(SQLModel, table=True):
    """A refused login whose password was checked: for the administrators' security view, never for the
    audit trail. Bounded: the typed e-mail is cut to 254 characters, the address to 64."""

    __tablename__ = "sign_in_failure"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    email: str = Field(max_length=TYPED_EMAIL_MAX, description="As typed, lower-case, cut to 254 characters.")
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    address: str = Field(max_length=ADDRESS_MAX, description="The client's address.")
    reason: str = Field(max_length=20, description="wrong-password, unknown-email or inactive.")

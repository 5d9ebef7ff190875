from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from portfolio.choices import Choice
from portfolio.languages import DEFAULT, LANGUAGES, LOCALES
from portfolio.marking import mark as _
from portfolio.pagination import Page
from portfolio.schemas import Input, Name, Output, Patch, StateCode, example


class Role(Choice):
    admin = "admin", _("Administrator")
    staff = "staff", _("FSC support staff")
    manager = "manager", _("Manager (reads)")
    donor = "donor", _("Donor (its State's pledges)")


Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=12, max_length=200),
    Field(
        description="At least 12 characters, kept exactly as typed; not a common or breached password, a "
        "pattern such as aaaa or 1234, nor the account's e-mail (422 naming this field)."
    ),
]


LanguageCode = Annotated[
    str,
    StringConstraints(pattern=f"^({'|'.join(LOCALES)})$"),
    Field(
        description="The language of the account's e-mails and calendar feed: "
        + ", ".join(f"{code} ({language.name})" for code, language in LANGUAGES.items())
        + ".",
        examples=[DEFAULT],
    ),
]


class UserCreate(Input):
    model_config = example(
        email="analyst@example.org",
        full_name="Ana Analyst",
        role="staff",
        password="a long passphrase of four words",  # noqa: S106 - an example in the docs
    )

    email: EmailStr
    full_name: Name
    role: Role
    state: StateCode | None = Field(
        default=None, description="Required for a donor: the State it speaks for."
    )
    password: Password
    active: bool = True
    language: LanguageCode = DEFAULT


class UserUpdate(Patch):
    model_config = example(full_name="Ana Analyst-Petrova")
    not_null = frozenset({"email", "full_name", "role", "password", "active", "language"})

    email: EmailStr | None = None
    full_name: Name | None = None
    role: Role | None = None
    state: StateCode | None = None
    password: Password | None = Field(default=None, description="A new password; revokes the user's tokens.")
    active: bool | None = Field(default=None, description="false revokes the user's tokens at once.")
    language: LanguageCode | None = None


class UserRead(Output):
    id: int
    email: str
    full_name: str
    role: Role
    state: str | None
    active: bool
    language: str = Field(description="The language of the account's e-mails and calendar feed.")
    version: int
    created_at: datetime
    updated_at: datetime


UserPage = Page[UserRead]


class Token(Output):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class SignInFailureRead(Output):
    """A refused login whose password was checked (attempts refused by the throttle are counted, not kept)."""

    id: int
    at: datetime
    email: str = Field(description="The e-mail as typed, lower-case, cut to 254 characters.")
    user_id: int | None = Field(description="The account with that e-mail, if any.")
    address: str = Field(description="The client's address.")
    reason: str = Field(description="wrong-password, unknown-email or inactive.")


SignInFailurePage = Page[SignInFailureRead]

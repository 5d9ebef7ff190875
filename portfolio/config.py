"""Settings, read from the environment (prefix ``PORTFOLIO_``) or a ``.env`` file."""

import ipaddress
import re
import types
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./portfolio.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default ./portfolio.db) or postgresql+psycopg://…",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Apply pending Alembic migrations when the app starts. portfolio serve migrates once "
        "before its workers start, whatever this says; set false where another ASGI server runs the app and "
        "migrations are run apart (portfolio db upgrade).",
    )
    sqlite_busy_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a SQLite writer waits for the lock before giving up (503)."
    )
    db_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections each worker process keeps (as many again may overflow under "
        "load).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs access tokens (at least 32 characters). Unset with SQLite: generated on "
        "first start and kept beside the database file as portfolio.db.secret-key (mode 0600). Required "
        "with PostgreSQL, and the same on every host.",
    )
    token_ttl_minutes: int = Field(default=480, ge=1, description="How long an access token stays valid.")
    token_leeway_s: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="How far the app hosts' clocks may disagree: a token's issue and expiry times are "
        "checked with this many seconds to spare.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Login attempts one client address may make for one e-mail …"
    )
    login_lock_minutes: int = Field(
        default=15, ge=1, description="… within this many minutes (429 beyond, until they are over)."
    )
    login_account_max_attempts: int = Field(
        default=20, ge=1, description="Login attempts for one e-mail from all addresses together …"
    )
    login_account_window_s: int = Field(
        default=60, ge=1, le=3600, description="… within this many seconds (429 beyond, until they are over)."
    )
    login_concurrent_checks: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Password checks (Argon2id, argon2_memory_kib each) one worker process runs at once; "
        "further logins wait their turn.",
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="Argon2id passes per password hash.")
    argon2_memory_kib: int = Field(default=65536, ge=1024, description="Argon2id memory per password hash.")
    import_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest spreadsheet upload accepted (413 beyond)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body (JSON, forms) any other route accepts, signed in or not: 413 "
        "beyond, before the body is read. Imports and document uploads have their own limits.",
    )
    iati_org_ref: str = Field(
        default="XM-DAC-47131",
        description="IATI organisation identifier of the reporting organisation in the IATI export "
        "(default: the OSCE's code in the OECD DAC channel codelist, CRSChannelCode 47131).",
    )
    iati_org_name: str = Field(
        default="Organization for Security and Co-operation in Europe",
        description="Name of the reporting organisation in the IATI export.",
    )
    document_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Largest document upload accepted (413 beyond)."
    )
    public_document_base_url: str | None = Field(
        default=None,
        description="Where the documents shared with donors and marked public are published (e.g. "
        "https://example.org/documents): the IATI export links each as BASE/ID/FILENAME. Unset: the export "
        "links no document.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server that sends the reminders.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server's port (587 with STARTTLS).")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_user: str | None = Field(default=None, description="SMTP login; unset: no authentication.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, with smtp_user.")
    smtp_from: str = Field(
        default="portfolio@localhost", description="The reminders' From address, e.g. portfolio@example.org."
    )
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="How long to wait on the SMTP server.")
    reminder_days: Annotated[list[int], NoDecode] = Field(
        default=[14, 3],
        description="How many days before a report's (or a sustainability follow-up check's) due date its "
        "reminders go, comma-separated (default 14,3); one more goes on the first day overdue.",
    )

    follow_up_months: Annotated[list[int], NoDecode] = Field(
        default=[12, 24],
        description="How many months after a national process becomes operational its sustainability "
        "follow-up checks fall due, comma-separated (default 12,24), each from 1 to 240.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=["127.0.0.1", "::1"],
        description="The balancers or reverse proxies in front of the app, comma-separated addresses or "
        "networks (e.g. 10.0.0.0/8); * trusts any. Their X-Forwarded-Proto and X-Forwarded-For are believed "
        "(HTTPS cookies are then Secure and links https://); anyone else's are ignored.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Where the staff pages are reached (e.g. https://tracker.example.org): each reminder "
        "links to its obligation page (/obligations/ID, where the submission is recorded) and project page, "
        "or to its process page, under it, and each calendar-feed event carries the address of its page. "
        "Unset: the reminders and the events carry no link.",
    )

    @field_validator("follow_up_months", mode="before")
    @classmethod
    def _comma_separated_months(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError(
                    "follow_up_months must be whole numbers of months separated by commas, e.g. 12,24"
                )
            value = [int(part) for part in parts]
        if isinstance(value, list) and any(isinstance(m, int) and not 1 <= m <= 240 for m in value):
            raise ValueError("follow_up_months must be between 1 and 240")
        return sorted(set(value)) if isinstance(value, list) else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            return value
        proxies = [str(part).strip() for part in value if str(part).strip()]
        for proxy in proxies:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(
                        f"trusted_proxies: {proxy!r} is not an IP address nor a network such as 10.0.0.0/8"
                    ) from None
        return proxies

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        value = (value or "").strip().rstrip("/")
        return value or None

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _comma_separated_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError("reminder_days must be whole numbers of days separated by commas, e.g. 14,3")
            value = [int(part) for part in parts]
        if isinstance(value, list) and any(isinstance(day, int) and day < 0 for day in value):
            raise ValueError("reminder_days must not be negative")
        return sorted(set(value), reverse=True) if isinstance(value, list) else value


@lru_cache
def get_settings() -> Settings:
    return Settings()


# -- docs/configuration.md -------------------------------------------------------------------------------

REGENERATE = ".venv/bin/python -m portfolio.config > docs/configuration.md"
# The sections of the reference, in order; a setting named in none of them is listed under "Other settings".
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Database", ("database_url", "migrate_on_start", "sqlite_busy_timeout_s", "db_pool_size")),
    (
        "Sign-in and tokens",
        (
            "secret_key",
            "token_ttl_minutes",
            "token_leeway_s",
            "login_max_failures",
            "login_lock_minutes",
            "login_account_max_attempts",
            "login_account_window_s",
            "login_concurrent_checks",
            "argon2_time_cost",
            "argon2_memory_kib",
        ),
    ),
    ("Request and upload limits", ("max_body_bytes", "import_max_bytes", "document_max_bytes")),
    ("IATI export", ("iati_org_ref", "iati_org_name", "public_document_base_url")),
    (
        "E-mail reminders",
        (
            "smtp_host",
            "smtp_port",
            "smtp_starttls",
            "smtp_user",
            "smtp_password",
            "smtp_from",
            "smtp_timeout_s",
            "reminder_days",
        ),
    ),
    ("Sustainability follow-ups", ("follow_up_months",)),
    ("Proxies and links", ("trusted_proxies", "public_base_url")),
)
INTRO = """
# Configuration

<!-- Generated by portfolio.config.settings_markdown() from the Settings class in portfolio/config.py.
     Do not edit by hand: change the code, then run `{regenerate}`. -->

Every setting of the tracker, generated from the `Settings` class in `portfolio/config.py` (its fields'
types, bounds, defaults and descriptions), so that this page cannot drift from the code.
"""
READING = """
## How settings are read

Each setting is an environment variable, `{prefix}` followed by the setting's name (in any case), or a
`NAME=value` line of a `.env` file in the working directory; the environment wins over the file. A value
outside its type or bounds is refused when the settings are first read, and the server or command stops,
naming the setting; a variable that names no setting is ignored, so check its spelling against this page.
Lists are comma-separated (`14,3`); true/false also accept `1`/`0`, `yes`/`no` and `on`/`off`. The server
reads its settings once, when it starts.

How they fit together in a deployment (PostgreSQL, several workers and hosts, a balancer, the reminders'
schedule): [operations.md](operations.md). The variables the test suite reads
(`PORTFOLIO_TEST_DATABASE_URL`, `PORTFOLIO_FUZZ_EXAMPLES`) are no settings of the app: see
[developer.md](developer.md#tests).

To regenerate this page after changing a setting:

```sh
{regenerate}
```
"""
_TYPES = {bool: "true/false", int: "integer", float: "number", str: "text", SecretStr: "secret text"}
_LISTS = {int: "whole numbers", str: "values"}


def _type(annotation: Any) -> tuple[str, bool]:
    """A setting's type in words, and whether it may be left unset."""
    if get_origin(annotation) is Annotated:
        return _type(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _type(kinds[0])[0], len(kinds) < len(get_args(annotation))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return f"{_LISTS.get(item, item.__name__)}, comma-separated", False
    return _TYPES.get(annotation, getattr(annotation, "__name__", str(annotation))), False


def _bounds(field: FieldInfo) -> str:
    """The bounds the field declares (``gt``, ``ge``, ``lt``, ``le``), e.g. "≥ 0, ≤ 300"."""
    found = []
    for rule in field.metadata:
        if isinstance(rule, Gt):
            found.append(f"> {_number(rule.gt)}")
        elif isinstance(rule, Ge):
            found.append(f"≥ {_number(rule.ge)}")
        elif isinstance(rule, Lt):
            found.append(f"< {_number(rule.lt)}")
        elif isinstance(rule, Le):
            found.append(f"≤ {_number(rule.le)}")
    return ", ".join(found)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _default(name: str, value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{','.join(str(v) for v in value)}`"
    if isinstance(value, int | float):
        text = f"`{_number(value)}`"
        for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
            scale = size // 1024 if name.endswith("_kib") else size
            if name.endswith(("_bytes", "_kib")) and value >= scale and value % scale == 0:
                return f"{text} ({value // scale} {unit})"
        return text
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def settings_markdown(settings: type[Settings] = Settings) -> str:
    """``docs/configuration.md``: every setting of ``settings`` — its environment variable, type and bounds,
    default and description, as the class declares them — so that the reference cannot drift from the code.
    ``tests/platform/test_docs.py`` fails while the file differs; regenerate it with :data:`REGENERATE`."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    fields = settings.model_fields
    sections: list[tuple[str, Sequence[str]]] = [
        (title, [name for name in names if name in fields]) for title, names in SECTIONS
    ]
    listed = {name for _, names in sections for name in names}
    sections.append(("Other settings", [name for name in fields if name not in listed]))
    sections = [(title, names) for title, names in sections if names]
    contents = ["How settings are read"] + [title for title, _ in sections]
    lines = [
        INTRO.format(prefix=prefix, regenerate=REGENERATE).strip(),
        "",
        "Contents: " + " · ".join(f"[{title}](#{_anchor(title)})" for title in contents),
        "",
        READING.format(prefix=prefix, regenerate=REGENERATE).strip(),
    ]
    for title, names in sections:
        lines += ["", f"## {title}", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        for name in names:
            field = fields[name]
            kind, optional = _type(field.annotation)
            bounds = _bounds(field)
            kind += f" ({bounds})" if bounds else ""
            kind += ", optional" if optional else ""
            lines.append(
                f"| `{prefix}{name.upper()}` | {kind} | {_default(name, field.default)} "
                f"| {_cell(field.description or '')} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")

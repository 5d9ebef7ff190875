"""Settings, read from the environment (prefix ``PORTFOLIO_``) or a ``.env`` file."""

import ipaddress
from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./portfolio.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default ./portfolio.db) or postgresql+psycopg://…",
    )
    migrate_on_start: bool = Field(
        default=True, description="Apply pending Alembic migrations when the server starts."
    )
    sqlite_busy_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a SQLite writer waits for the lock before giving up (503)."
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size per worker.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs access tokens (at least 32 characters). Unset with SQLite: generated on "
        "first start and kept beside the database file (mode 0600). Required with PostgreSQL.",
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
        description="How many days before a report's due date its reminders go, comma-separated (default "
        "14,3); one more goes on the first day overdue.",
    )

    follow_up_months: Annotated[list[int], NoDecode] = Field(
        default=[12, 24],
        description="How many months after a national process becomes operational its sustainability "
        "follow-up checks fall due, comma-separated (default 12,24).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=["127.0.0.1", "::1"],
        description="The balancers or reverse proxies in front of the app, comma-separated addresses or "
        "networks (e.g. 10.0.0.0/8); * trusts any. Their X-Forwarded-Proto and X-Forwarded-For are believed "
        "(HTTPS cookies are then Secure and links https://); anyone else's are ignored.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Where the staff pages are reached (e.g. https://tracker.example.org): the reminders "
        "link to the project or process page under it. Unset: the reminders carry no link.",
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

"""Settings, read from the environment (prefix ``PORTFOLIO_``) or a ``.env`` file."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins that lock an account …")
    login_lock_minutes: int = Field(
        default=15, ge=1, description="… within this many minutes, and for as long."
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="Argon2id passes per password hash.")
    argon2_memory_kib: int = Field(default=65536, ge=1024, description="Argon2id memory per password hash.")
    import_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest spreadsheet upload accepted (413 beyond)."
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


@lru_cache
def get_settings() -> Settings:
    return Settings()

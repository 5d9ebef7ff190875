"""Settings, read from the environment (prefix ``PORTFOLIO_``) or a ``.env`` file."""

from functools import lru_cache

from pydantic import Field
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


@lru_cache
def get_settings() -> Settings:
    return Settings()

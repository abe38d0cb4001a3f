"""One typed settings object, read from ``REN_*`` environment variables and ``.env``.

Nothing is read at import time: call :func:`load_settings` where a command starts, and pass the
object down. Defaults follow DESIGN.md's settings table.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ren_index.errors import ConfigError


class Settings(BaseSettings):
    """Everything ren-index can be configured with. See ``.env.example`` for each variable."""

    model_config = SettingsConfigDict(
        env_prefix="REN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("./var"))
    database_url: str | None = None
    opensearch_url: str = "http://localhost:9200"
    opensearch_user: str | None = None
    opensearch_password: str | None = None
    opensearch_verify_certs: bool = True
    opensearch_timeout: float = 30.0
    index_prefix: str = "ren"
    config_dir: Path = Field(default=Path("./config"))

    harvest_timeout: float = 60.0
    """Seconds before one OAI-PMH request is abandoned (and retried)."""
    harvest_max_retries: int = 5
    harvest_max_retry_after: float = 300.0
    """Cap on how long a ``Retry-After`` header may make us wait, in seconds."""

    webhook_url: str | None = None
    """Receives a JSON message when a run fails or is held (chat, ticketing); none = no message."""
    webhook_timeout: float = 5.0
    """Seconds before a webhook call is given up: a slow receiver must not stall a harvest."""

    @field_validator("index_prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if not value or not all(c.islower() or c.isdigit() or c in "-_" for c in value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("harvest_timeout", "harvest_max_retry_after", "opensearch_timeout", "webhook_timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ren-index.db'}"
        return self

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the ledger (never ``None`` after validation)."""
        assert self.database_url is not None
        return self.database_url

    @property
    def opensearch_is_local(self) -> bool:
        """True when the URL names this machine, so ``opensearch start`` may run a node for it."""
        return any(h in self.opensearch_url for h in ("://localhost", "://127.0.0.1", "://[::1]"))


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; a bad value becomes a :class:`ConfigError` with one line per field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"REN_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("invalid settings: " + "; ".join(lines)) from exc

"""One typed settings object, read from ``REN_*`` environment variables and ``.env``.

Nothing is read at import time: call :func:`load_settings` where a command starts, and pass the
object down. Defaults follow DESIGN.md's settings table. This is the only module that reads a
``REN_*`` variable (``tests/test_settings.py`` checks it), so every knob is typed, validated once
and listed in ``.env.example``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ren_index.errors import ConfigError

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"
"""Name of the generated key file in the data directory (used when ``REN_SECRET_KEY`` is unset)."""
MIN_SECRET_LENGTH = 32
MAX_OAI_PAGE_SIZE = 1000
MAX_OPENSEARCH_NODES = 16
"""Most addresses ``REN_OPENSEARCH_URL`` may list: a client tries each in turn when one fails."""
MAX_INDEX_SHARDS = 64
MAX_INDEX_REPLICAS = 8
"""Upper bound of ``REN_OAI_PAGE_SIZE``: one page is built in memory and sent in one response."""

_OAI_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
"""``repositoryIdentifier`` of the oai-identifier guidelines: a domain name, no trailing dot."""
_EMAIL = re.compile(r"\S+@(\S+\.)+\S+")
"""``emailType`` of OAI-PMH.xsd: what ``adminEmail`` must match for the response to be valid."""
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Settings(BaseSettings):
    """Everything ren-index can be configured with. See ``.env.example`` for each variable."""

    model_config = SettingsConfigDict(
        env_prefix="REN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("./var"))
    database_url: str | None = None
    opensearch_url: str = "http://localhost:9200"
    """One node, or several nodes of one cluster separated by commas
    (``http://10.0.0.1:9200,http://10.0.0.2:9200``): the client spreads requests over them and
    retries a failed one on the others (:attr:`opensearch_urls`)."""
    opensearch_user: str | None = None
    opensearch_password: str | None = None
    opensearch_verify_certs: bool = True
    opensearch_timeout: float = 30.0
    opensearch_home: Path | None = None
    """Directory holding the local node runner's ``pom.xml`` (``REN_OPENSEARCH_HOME``), for an
    installed package that is not run from the repository; unset = the repository's ``opensearch/``."""
    index_prefix: str = "ren"
    index_shards: int = Field(default=1, ge=1, le=MAX_INDEX_SHARDS)
    """Primary shards of an index ren-index creates (``REN_INDEX_SHARDS``); fixed for the life of
    the index, so a change takes effect with ``ren-index index --rebuild``."""
    index_replicas: int = Field(default=0, ge=0, le=MAX_INDEX_REPLICAS)
    """Copies of each shard on other nodes (``REN_INDEX_REPLICAS``): 0 on one node (a replica could
    never be placed and the index would stay yellow), 1 or more on a cluster so that losing a node
    loses no document and no search."""
    config_dir: Path = Field(default=Path("./config"))

    harvest_timeout: float = 60.0
    """Seconds before one OAI-PMH request is abandoned (and retried)."""
    harvest_max_retries: int = 5
    harvest_max_retry_after: float = 300.0
    """Cap on how long a ``Retry-After`` header may make us wait, in seconds."""
    harvest_request_deadline: float = 300.0
    """Seconds one request may take in all — connection, headers, body, redirects — however its
    bytes trickle in (``harvest_timeout`` bounds each read only). Past it the run fails, unretried."""
    harvest_max_empty_pages: int = Field(default=50, ge=1)
    """A run fails after this many pages in a row with no record but a next page (an endless list)."""
    harvest_max_pages: int = Field(default=10_000, ge=1)
    """A run fails after fetching this many pages; its checkpoint stays, so a rerun goes on from there."""

    process_workers: int | None = Field(default=None, ge=1, le=256)
    """Processes ``ren-index process`` uses (``REN_PROCESS_WORKERS``; ``--workers`` overrides it).
    Unset = every core (``os.cpu_count()``); 1 = no pool, everything in one process."""

    public_url: str | None = None
    """Where people reach the review UI (``REN_PUBLIC_URL``, ``https://ren.example.org``): links
    written outside the web app — the run report in the Prefect UI — point there. Unset: the run
    page is named by its path only (the Prefect UI sits at another address)."""

    webhook_url: str | None = None
    """Receives a JSON message when a run fails or is held (chat, ticketing); none = no message."""
    webhook_timeout: float = 5.0
    """Seconds before a webhook call is given up: a slow receiver must not stall a harvest."""

    callback_timeout: float = 5.0
    """Seconds one callback to a contributions platform may take in all (connection, answer): a slow
    receiver must not hold the review action that triggered it."""
    callback_max_attempts: int = Field(default=8, ge=1, le=50)
    """Failed deliveries of one callback before it is given up (``callback_abandoned`` in the audit)."""
    callback_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Hosts a platform's callback URL may name besides public ones (``REN_CALLBACK_ALLOW_HOSTS``,
    comma-separated, ``host`` or ``host:port``): the harvester's address policy otherwise refuses
    loopback and private addresses. For a platform on the internal network, and for tests."""

    links_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Hosts or address ranges a record's landing URL may lead the link checker to besides public
    addresses (``REN_LINKS_ALLOW_HOSTS``, comma-separated: ``host``, ``host:port`` or a CIDR range
    such as ``10.1.0.0/16``). Unset, a link to a loopback, private or link-local address is skipped
    unasked, so a harvested ``url`` cannot make the checker probe the internal network."""
    links_contact: str | None = None
    """Whom site owners write to about the link checker (``REN_LINKS_CONTACT``: an e-mail address
    or an http(s) page), named in its User-Agent. Unset: ``REN_OAI_ADMIN_EMAIL``."""

    secret_key: SecretStr | None = None
    """Signs the web session cookies and the OAI-PMH resumption tokens (``REN_SECRET_KEY``).
    Unset = a key generated once in ``<data_dir>/secret_key`` (see :func:`load_secret_key`);
    set it when processes on several machines must accept each other's cookies and tokens."""
    cookie_secure: bool = False
    """Send cookies over HTTPS only (``REN_COOKIE_SECURE=1``): on in production, behind TLS."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to call ``/api`` from a browser, comma-separated in ``REN_CORS_ORIGINS``
    (not JSON, so it reads like the origins themselves); ``*`` = any. Empty = no cross-origin access."""
    login_failure_delay: float = Field(default=0.5, ge=0)
    """Seconds a failed login waits before answering, to slow password guessing (0 in tests)."""

    oai_repository_id: str = "ren-index.example"
    """The OAI-PMH ``repositoryIdentifier``: identifiers are ``oai:<this>:<resource id>``. A domain
    name the operator controls; changing it changes every identifier harvesters hold."""
    oai_repository_name: str = "ren-index — Ressources éducatives numériques du Québec"
    """``repositoryName`` in the Identify response."""
    oai_admin_email: str = "admin@example.org"
    """``adminEmail`` in the Identify response: whom harvesters write to."""
    oai_page_size: int = Field(default=100, ge=1, le=MAX_OAI_PAGE_SIZE)
    """Records or headers per ListRecords / ListIdentifiers page before a resumption token."""

    contributions_rate_limit: int = Field(default=120, ge=1)
    """Requests a minute one platform key may send to ``/api/contributions`` (per web process);
    past it the answer is 429 with ``Retry-After``."""
    contributions_max_bytes: int = Field(default=262_144, ge=1024)
    """Largest body ``POST /api/contributions`` reads (256 KiB): one description is a few KiB."""

    @field_validator(
        "opensearch_home",
        "secret_key",
        "cookie_secure",
        "login_failure_delay",
        "oai_repository_id",
        "oai_repository_name",
        "oai_admin_email",
        "oai_page_size",
        "public_url",
        "links_contact",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """``REN_X=`` (as a copied ``.env`` line leaves it) means the default, and spaces around a
        value do not count: what these variables' readers did before ``Settings`` owned them."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            assert info.field_name is not None
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return value.strip()

    @field_validator("cors_origins", "callback_allow_hosts", "links_allow_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("opensearch_url")
    @classmethod
    def _node_addresses(cls, value: str) -> str:
        """Each comma-separated part an http(s) address with a host; spaces and a trailing ``/``
        dropped; kept as one string (its readers print it), split by :attr:`opensearch_urls`."""
        urls = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        if not urls:
            raise ValueError("must name at least one node, such as http://localhost:9200")
        if len(urls) > MAX_OPENSEARCH_NODES:
            raise ValueError(f"lists {len(urls)} nodes; at most {MAX_OPENSEARCH_NODES}")
        for url in urls:
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 — raises on a port that is not a number
            except ValueError as exc:
                raise ValueError(f"{url!r}: {exc}") from exc
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an http(s) address such as http://localhost:9200")
        return ",".join(urls)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            log.warning(
                "REN_SECRET_KEY is shorter than %d characters: sessions and tokens are easier to forge",
                MIN_SECRET_LENGTH,
            )
        return value

    @field_validator("oai_repository_id")
    @classmethod
    def _domain_name(cls, value: str) -> str:
        if not _OAI_REPOSITORY_ID.fullmatch(value):
            raise ValueError("must be a domain name, such as oai.example.org")
        return value

    @field_validator("oai_admin_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value):
            raise ValueError("must be an e-mail address")
        return value

    @field_validator("links_contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is None:
            return value
        shaped = _EMAIL.fullmatch(value) or value.startswith(("http://", "https://"))
        if not shaped or not value.isascii() or any(c.isspace() or c in "();" for c in value):  # a header
            raise ValueError("must be an e-mail address or an http(s) page, such as liens@example.org")
        return value

    @property
    def links_user_agent_contact(self) -> str:
        """The contact the link checker names in its User-Agent (``REN_LINKS_CONTACT`` or the OAI one)."""
        return self.links_contact or self.oai_admin_email

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) address, such as https://ren.example.org")
        return value.rstrip("/") if value else value

    @field_validator("index_prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if not value or not all(c.islower() or c.isdigit() or c in "-_" for c in value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator(
        "harvest_timeout",
        "harvest_max_retry_after",
        "harvest_request_deadline",
        "opensearch_timeout",
        "webhook_timeout",
        "callback_timeout",
    )
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
    def process_worker_count(self) -> int:
        """How many processes a ``process`` step uses: ``REN_PROCESS_WORKERS``, else every core.

        One place for the rule, read by ``ren-index process`` (``--workers`` overrides it), the
        Prefect flow and so ``ren-index run``."""
        return self.process_workers or os.cpu_count() or 1

    @property
    def opensearch_urls(self) -> list[str]:
        """The nodes of ``REN_OPENSEARCH_URL``, in the order given (the first one is the local
        node's or the local cluster's first port)."""
        return self.opensearch_url.split(",")

    @property
    def opensearch_is_local(self) -> bool:
        """True when every node named is on this machine, so ``opensearch start`` may run them."""
        return all(urlsplit(url).hostname in _LOCAL_HOSTS for url in self.opensearch_urls)

    @property
    def opensearch_url_is_explicit(self) -> bool:
        """True when the URL was given (environment, ``.env`` or argument), not left to the default.

        The demo starts a local node when nothing answers at the default URL, but must not do so
        behind the back of an operator who named a cluster.
        """
        return "opensearch_url" in self.model_fields_set


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; a bad value becomes a :class:`ConfigError` with one line per field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"REN_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("invalid settings: " + "; ".join(lines)) from exc


def load_secret_key(settings: Settings) -> str:
    """The key that signs session cookies and OAI-PMH resumption tokens: one key for both.

    ``REN_SECRET_KEY`` when set; else a key generated once and kept as ``<data_dir>/secret_key``
    (mode 0600), so sessions and tokens survive a restart without anyone having to invent a
    secret, and every process sharing the data directory (web workers, ``serve`` restarted) signs
    and verifies with the same key. Processes on several machines need ``REN_SECRET_KEY``.

    The file is written whole under a temporary name and then linked into place, so a process
    racing this one reads either no file or a complete key, never a half-written one.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().strip()
    path = settings.data_dir / SECRET_KEY_FILE
    existing = _read_key(path)
    if existing is not None:
        return existing
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=f".{SECRET_KEY_FILE}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process won the race: use its key
            winner = _read_key(path)
            assert winner is not None
            return winner
    finally:
        os.unlink(temporary)
    return key


def _read_key(path: Path) -> str | None:
    """The key kept in ``path``, ``None`` when there is no file; an empty file is an error."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not key:
        raise ConfigError(f"{path} is empty: delete it (a new key is made) or set REN_SECRET_KEY")
    return key

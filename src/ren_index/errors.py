"""One exception hierarchy for run-level problems.

Record-level problems are never exceptions: they are :class:`ren_index.model.Issue` values.
These exceptions are for what stops a run (bad configuration, an unreachable or broken source),
and they carry enough context for an operator to understand where it stopped and how to resume.
"""

from __future__ import annotations


class RenIndexError(Exception):
    """Root of every error ren-index raises on purpose."""


class ConfigError(RenIndexError):
    """The configuration (settings, sources.yaml, ...) is invalid."""


class UnknownFormatError(RenIndexError):
    """No mapper is registered for a metadata format."""


class HarvestError(RenIndexError):
    """A harvest could not go on. Carries the request context so a person can resume by hand."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        verb: str | None = None,
        set_spec: str | None = None,
        metadata_prefix: str | None = None,
        resumption_token: str | None = None,
        snippet: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.message = message
        self.endpoint = endpoint
        self.verb = verb
        self.set_spec = set_spec
        self.metadata_prefix = metadata_prefix
        self.resumption_token = resumption_token
        self.snippet = snippet[:500] if snippet else snippet
        self.http_status = http_status
        super().__init__(self.__str__())

    def context(self) -> dict[str, str | int | None]:
        """The request context as a plain dict (for run reports and JSON output)."""
        return {
            "endpoint": self.endpoint,
            "verb": self.verb,
            "set": self.set_spec,
            "metadata_prefix": self.metadata_prefix,
            "resumption_token": self.resumption_token,
            "http_status": self.http_status,
            "snippet": self.snippet,
        }

    def __str__(self) -> str:
        parts = [self.message]
        ctx = [f"{k}={v!r}" for k, v in self.context().items() if v is not None and k != "snippet"]
        if ctx:
            parts.append("(" + ", ".join(ctx) + ")")
        if self.snippet:
            parts.append(f"response begins: {self.snippet[:200]!r}")
        return " ".join(parts)


class OaiProtocolError(HarvestError):
    """The repository answered with an OAI-PMH ``<error code=...>``."""

    def __init__(self, code: str, message: str, **context: str | int | None) -> None:
        self.code = code
        super().__init__(f"OAI-PMH error {code}: {message}", **context)  # type: ignore[arg-type]


class NotOaiResponseError(HarvestError):
    """The body is not an OAI-PMH response (HTML, truncated XML, junk, wrong namespace)."""


class AddressRefusedError(HarvestError):
    """A URL taken from a response (redirect, ``next`` link, saved token) breaks the address policy.

    Never fetched and never retried: asking again would not make the address acceptable, and a
    retry loop is exactly what an attacker probing internal hosts wants. ``rule`` is a stable code
    (``scheme``, ``non_public``, ``unresolvable``, ``malformed``) for tests and tooling.
    """

    def __init__(self, message: str, *, url: str, rule: str, **context: str | int | None) -> None:
        self.url = url
        self.rule = rule
        super().__init__(message, **context)  # type: ignore[arg-type]


class RequestDeadlineError(HarvestError):
    """One request took longer than ``REN_HARVEST_REQUEST_DEADLINE`` (e.g. a body sent byte by byte).

    Not retried: a server that drips its answer would only make every retry as long again.
    """


class UnexpectedHarvestError(HarvestError):
    """Anything a harvest raised that is not a :class:`HarvestError` (a bug, a hostile structure).

    It exists so that such a crash is handled like any failed harvest — run ``failed`` with its
    error, lock released, webhook told — and reaches a person as one line, not a traceback.
    """

    @classmethod
    def wrapping(cls, exc: BaseException, *, endpoint: str | None = None) -> UnexpectedHarvestError:
        detail = str(exc)
        if len(detail) > 300:
            detail = detail[:300] + "…"
        name = type(exc).__name__
        return cls(
            f"erreur inattendue pendant la moisson / unexpected error during the harvest: {name}: {detail}",
            endpoint=endpoint,
        )


class IndexingError(RenIndexError):
    """OpenSearch refused or could not be reached."""


class OpenSearchNodeError(RenIndexError):
    """The local OpenSearch node could not be started, stopped or reached."""


class LedgerError(RenIndexError):
    """The ledger cannot be used: its file is corrupt, truncated, not SQLite, locked, or its server
    does not answer. The message names the file (or the server) and says what to do, in one line."""

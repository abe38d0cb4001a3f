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


class IndexingError(RenIndexError):
    """OpenSearch refused or could not be reached."""


class OpenSearchNodeError(RenIndexError):
    """The local OpenSearch node could not be started, stopped or reached."""

"""Stateless, signed resumption tokens for the OAI-PMH provider.

A token is the whole state of a list request: its verb, metadata prefix, set, datestamp window,
how many records were sent already (``cursor``) and the sort key of the last one sent. Nothing is
kept on the server, so tokens survive a restart and work behind several web workers.

Why keyset and a snapshot, not an offset: the list is ordered by (datestamp, id). The upper end
of the window is fixed at the first request (``upper``, the moment the harvest began), so a record
that changes during the harvest gets a datestamp past that end and leaves the list instead of
shifting every later page: none of the unchanged records is lost or sent twice. The changed record
is caught by the harvester's next incremental harvest (``from`` = the first response's
``responseDate``), as the protocol intends.

Tokens are signed (HMAC-SHA256) so a tampered or forged token is refused with
``badResumptionToken`` instead of running a query the provider never offered. The key is the one
that signs the web sessions (:func:`ren_index.settings.load_secret_key`): ``REN_SECRET_KEY``, or
the key file of the data directory, so a token issued by one web worker verifies in any other and
after a restart. There is no built-in fallback key: a key written in the source would let anyone
forge tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime


class TokenError(ValueError):
    """A token that is malformed, tampered with or issued for another list."""


@dataclass(frozen=True)
class ListState:
    """Where a ListIdentifiers / ListRecords harvest stands."""

    verb: str
    prefix: str
    set_spec: str | None
    lower: datetime | None
    """Inclusive lower bound of the datestamp (the ``from`` argument)."""
    upper: datetime
    """Exclusive upper bound: ``until`` + its granularity, or the first request's moment."""
    cursor: int = 0
    """Records sent before the page this state asks for."""
    after: tuple[datetime, str] | None = None
    """Sort key (datestamp, resource id) of the last record sent."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()[:18])


def encode_token(state: ListState, secret: bytes) -> str:
    """The token for ``state``: base64url JSON, a dot, and its truncated HMAC."""
    fields = [
        state.verb,
        state.prefix,
        state.set_spec,
        state.lower.isoformat() if state.lower else None,
        state.upper.isoformat(),
        state.cursor,
        [state.after[0].isoformat(), state.after[1]] if state.after else None,
    ]
    body = _b64(json.dumps(fields, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_sign(body, secret)}"


def decode_token(token: str, verb: str, secret: bytes) -> ListState:
    """The state in ``token``; :class:`TokenError` when it is not one of ours for ``verb``."""
    body, dot, signature = token.partition(".")
    if not dot or not body or not hmac.compare_digest(signature, _sign(body, secret)):
        raise TokenError("signature does not match")
    try:
        tverb, prefix, set_spec, lower, upper, cursor, after = json.loads(_unb64(body))
        if tverb != verb:
            raise TokenError(f"token belongs to {tverb}, not {verb}")
        if not isinstance(prefix, str) or not isinstance(cursor, int) or not isinstance(upper, str):
            raise TokenError("malformed token")
        if set_spec is not None and not isinstance(set_spec, str):
            raise TokenError("malformed token")
        last = (datetime.fromisoformat(after[0]), str(after[1])) if after else None
        return ListState(
            verb=verb,
            prefix=prefix,
            set_spec=set_spec,
            lower=datetime.fromisoformat(lower) if lower else None,
            upper=datetime.fromisoformat(upper),
            cursor=cursor,
            after=last,
        )
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        if isinstance(exc, TokenError):
            raise
        raise TokenError("malformed token") from exc

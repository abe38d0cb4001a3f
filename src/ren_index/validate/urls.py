"""The resource's address: is there one, is it a real http(s) URL, and its normalized form.

A portal can only link to a record whose URL works, and two sources often describe the same
resource with URLs that differ only in spelling (``HTTP://Example.org:80/a/?utm_source=x#top``).
:func:`check_url` reports a missing or malformed address (with a repaired form when one can be
derived without guessing) and stores the *normalized* URL in ``controlled.url``, the key
:mod:`.duplicates` looks other records up by.

Normalization (RFC 3986 section 6, plus what harvested data needs): lower-case scheme and host,
IDNA host, no default port, no trailing dot on the host, dot segments resolved, no trailing slash
(except the root), percent-encoding made canonical (unreserved characters decoded, hex digits
upper-case, other characters encoded as UTF-8), tracking parameters (``utm_*``, ``fbclid``...)
removed, the fragment dropped, except ``#!`` and ``#/`` fragments, which route single-page
applications: dropping them would make distinct resources look like duplicates.

The scheme is kept (a site may not answer on https); :func:`scheme_variants` gives both spellings
so the duplicate check treats ``http`` and ``https`` as the same address.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext

FIELD = "technical.location"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = re.compile(r"utm_[a-z0-9_]*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi", re.I)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=%-._~"
_QUERY_SAFE = "/?:@!$&'()*+,;=%-._~"
_FORBIDDEN = re.compile(r"[\s<>\"\\\x00-\x1f\x7f]")
"""Characters that break a link (spaces, quotes, angle brackets) or betray a file path (``\\``).
``{}|^`` and backquotes are not allowed either, but browsers send them encoded: they are encoded
by the normalization rather than reported."""
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_SCHEME_TYPO = re.compile(r"(?P<scheme>[a-z]{2,7})\s*(?:[:;]\s*[/\\]{0,3}|[/\\]{2,3})\s*(?P<rest>\S+)", re.I)
_HTTP_TYPOS = frozenset({"htp", "htpp", "hhtp", "httpp", "htttp", "ttp", "hptt", "htto", "http", "hpp"})
_HTTPS_TYPOS = frozenset({"htps", "htpps", "hhtps", "httpss", "htttps", "ttps", "httsp", "httos", "https"})
_SCHEMELESS = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?", re.I)
_FILE_EXTENSIONS = frozenset(
    {
        "pdf", "doc", "docx", "odt", "rtf", "txt", "ppt", "pptx", "odp", "xls", "xlsx", "ods", "csv",
        "htm", "html", "xml", "jpg", "jpeg", "png", "gif", "svg", "mp3", "mp4", "avi", "mov", "wav",
        "zip", "epub",
    }
)  # fmt: skip
"""A dotted name ending in one of these is a file name, not a host (``guide.final.pdf``)."""


class InvalidUrl(ValueError):
    """Why a candidate is not a usable http(s) URL (the reason goes nowhere but tests and logs)."""


# Candidates ------------------------------------------------------------------------------------


def _scheme_typo(value: str) -> re.Match[str] | None:
    """``htp://``, ``http//``, ``https:`` ... : an http(s) scheme misspelled or mis-punctuated."""
    match = _SCHEME_TYPO.fullmatch(value)
    return match if match and match["scheme"].lower() in _HTTP_TYPOS | _HTTPS_TYPOS else None


def _schemeless(value: str) -> bool:
    """``www.example.org/x``, ``cegep.qc.ca``: a host name without its scheme (not ``notes.pdf``)."""
    match = _SCHEMELESS.fullmatch(value)
    if match is None:
        return False
    host = re.split(r"[:/?#]", value, maxsplit=1)[0].lower()
    if host.startswith("www.") or len(host) < len(value):
        return True
    return host.count(".") >= 2 and host.rsplit(".", 1)[1] not in _FILE_EXTENSIONS


def _url_shaped(value: str) -> bool:
    """Looks like someone meant an address: a scheme separator, or a host name with a dot."""
    text = value.strip()
    return "://" in text or _scheme_typo(text) is not None or _schemeless(text)


def candidates(resource: Resource) -> list[str]:
    """Every value that may be the resource's address, in the order :attr:`Resource.url` reads them:
    all technical locations (a location is an address attempt, whatever it looks like), then
    the identifiers that look like URLs (an ``oai:`` id or an ISBN is not an address attempt)."""
    found = [loc.strip() for loc in resource.technical.locations if loc.strip()]
    found += [i.entry.strip() for i in resource.general.identifiers if _url_shaped(i.entry)]
    return list(dict.fromkeys(found))


# Validation ------------------------------------------------------------------------------------


def _authority(parts: SplitResult) -> tuple[str, int | None]:
    """The host (IDNA-encoded, lower-cased) and port of ``parts``; raises :class:`InvalidUrl` for
    a host no DNS knows or a bad port (:func:`_host_and_port`, remembered per ``netloc``)."""
    verdict = _netloc_verdict(parts.netloc)
    if isinstance(verdict, InvalidUrl):
        raise InvalidUrl(*verdict.args)
    return verdict


@lru_cache(maxsize=4096)
def _netloc_verdict(netloc: str) -> tuple[str, int | None] | InvalidUrl:
    """Host and port depend on the ``netloc`` alone, and a harvest links to the same few hosts
    over and over: the verdict is remembered per netloc (asked twice a record, once to validate
    the address and once to normalize it — the dearest part of :func:`check_url` when it was
    recomputed). The reason is returned rather than raised, so the cache holds no traceback."""
    try:
        return _host_and_port(SplitResult("", netloc, "", "", ""))
    except InvalidUrl as error:
        return InvalidUrl(*error.args)


def _host_and_port(parts: SplitResult) -> tuple[str, int | None]:
    """Host then port checked, in that order (the first problem found is the one reported)."""
    return _checked_host(parts), _checked_port(parts)


def _checked_host(parts: SplitResult) -> str:
    raw = parts.hostname
    if not raw:
        raise InvalidUrl("no host")
    if parts.netloc.rsplit("@", 1)[-1].startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(raw)}]"
        except ValueError as exc:
            raise InvalidUrl("bad IPv6 address") from exc
    ascii_host = _ascii_host(raw.rstrip("."))
    if ascii_host is None:
        raise InvalidUrl("host not encodable as IDNA")
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidUrl("not a public host name")
    if labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(ascii_host)
        except ValueError as exc:
            raise InvalidUrl("bad IPv4 address") from exc
    return ascii_host


@lru_cache(maxsize=4096)
def _ascii_host(host: str) -> str | None:
    """The IDNA form of a host name, lower-cased (None when it has none). Cached: Python's IDNA
    codec is slow and a harvest links to the same few hosts over and over."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _checked_port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl("bad port") from exc
    if port == 0:
        raise InvalidUrl("bad port")
    return port


def _split(url: str) -> SplitResult:
    """Parse ``url`` as an absolute http(s) URL, or raise :class:`InvalidUrl`."""
    parsed = _checked(url)
    if isinstance(parsed, InvalidUrl):
        raise InvalidUrl(*parsed.args)
    return parsed


@lru_cache(maxsize=1024)
def _checked(url: str) -> SplitResult | InvalidUrl:
    """:func:`_split`'s verdict, memoized: :func:`check_url` asks about the same address two or
    three times (is it valid, which candidate is, normalize it), and the IDNA host check is the
    dear part. The reason is returned rather than raised, so the cache holds no traceback."""
    try:
        return _parse(url)
    except InvalidUrl as error:
        return InvalidUrl(*error.args)


def _parse(url: str) -> SplitResult:
    if _FORBIDDEN.search(url):
        raise InvalidUrl("space or forbidden character")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidUrl(str(exc)) from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS or not url.lower().startswith(parts.scheme.lower() + "://"):
        raise InvalidUrl("not an http(s) URL")
    _authority(parts)
    return parts


def is_valid_url(url: str) -> bool:
    """True when ``url`` is an absolute http or https URL with a real host and port."""
    try:
        _split(url)
    except InvalidUrl:
        return False
    return True


# Normalization ---------------------------------------------------------------------------------


def _percent(text: str, safe: str) -> str:
    """Canonical percent-encoding: unreserved escapes decoded, others upper-case, the rest encoded."""

    def unescape(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    text = _LONE_PCT.sub("%25", text)
    return quote(_PCT.sub(unescape, text), safe=safe)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4: ``/a/./b/../c`` -> ``/a/c``."""
    out: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/".join(out) or "/"


def _query(query: str) -> str:
    """Tracking parameters out, the others kept in their order (order can matter to a server)."""
    kept = [p for p in query.split("&") if p and not _TRACKING.fullmatch(p.split("=", 1)[0])]
    return "&".join(_percent(p, _QUERY_SAFE) for p in kept)


def normalize_url(url: str) -> str:
    """The canonical spelling of a valid http(s) URL (raises :class:`InvalidUrl` otherwise)."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    host, port = _authority(parts)
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = _percent(_remove_dot_segments(parts.path or "/"), _PATH_SAFE)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    return urlunsplit((scheme, netloc, path, _query(parts.query), _percent(fragment, _QUERY_SAFE)))


def scheme_variants(url: str) -> list[str]:
    """``url`` and the same address with the other scheme (``http`` <-> ``https``), in that order."""
    if url.startswith("https://"):
        return [url, "http://" + url[len("https://") :]]
    if url.startswith("http://"):
        return [url, "https://" + url[len("http://") :]]
    return [url]


# Repair ----------------------------------------------------------------------------------------


def suggest_url(raw: str) -> str | None:
    """A valid URL a documentalist would accept for ``raw``, when one follows without guessing.

    ``www.example.org/x`` -> ``https://www.example.org/x``; ``htp://``, ``http//``, ``http:\\\\``
    -> ``http://``; a doubled scheme loses one; spaces in the path are encoded. ``None`` when the
    host itself is broken: no suggestion is better than a wrong one.
    """
    text = raw.strip()
    match = _scheme_typo(text)
    if match:
        scheme = "https" if match["scheme"].lower() in _HTTPS_TYPOS else "http"
        text = f"{scheme}://{match['rest'].replace(chr(92), '/').lstrip('/')}"
    elif _schemeless(text):
        text = "https://" + text
    inner = re.match(r"https?://(?=https?://)", text, re.I)
    if inner:
        text = text[inner.end() :]
    scheme_end = text.find("://") + 3
    slash = text.find("/", scheme_end)
    if slash > 0:
        text = text[:slash] + text[slash:].replace(" ", "%20")
    if text != raw and is_valid_url(text):
        return text
    return None


# The check -------------------------------------------------------------------------------------


def _invalid(raw: str) -> Issue:
    return Issue(
        code="URL_INVALID",
        severity="error",
        field=FIELD,
        message_fr="L'adresse de la ressource n'est pas une URL http(s) valide.",
        message_en="The resource's address is not a valid http(s) URL.",
        value=raw,
        suggestion=suggest_url(raw),
    )


URL_MISSING = Issue(
    code="URL_MISSING",
    severity="error",
    field=FIELD,
    message_fr="La ressource n'a pas d'adresse (URL).",
    message_en="The resource has no address (URL).",
)


def check_url(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """URL_MISSING, URL_INVALID (on the address the portals would link to), ``controlled.url``.

    The address is :attr:`Resource.url`; when it is malformed, or when there is none but a
    location or identifier was clearly meant as one (``htp://...``, ``www.example.org``), that
    raw value is reported. ``controlled.url`` is the first *valid* candidate, normalized, so a
    record with one broken and one good location is still found as a duplicate.
    """
    found = candidates(resource)
    if not found:
        return {}, [URL_MISSING]
    primary = resource.url or next((c for c in found if _url_shaped(c)), found[0])
    issues = [] if is_valid_url(primary) else [_invalid(primary)]
    valid = next(
        (c for c in found if c.lower().startswith(("http://", "https://")) and is_valid_url(c)), None
    )
    return ({"url": normalize_url(valid)} if valid else {}), issues

"""One comparable spelling of a landing URL, and the same URL with its language marker removed.

Sources that describe the same resource rarely spell its address the same way: the publisher's
repository links ``https://www.eduq.info/xmlui/handle/11515/12345``, a college library's feed
``http://eduq.info/xmlui/handle/11515/12345/?utm_source=rss``, an aggregator the DOI resolver.
:func:`canonical_url` folds every spelling that surely leads to the same page into one string, so
an identical canonical URL is a strong ``same`` signal. It goes further than
:func:`ren_index.validate.urls.normalize_url` (the address kept in ``controlled.url``, which must
still open): ``http`` becomes ``https``, ``www.`` goes, so do index pages, every tracking
parameter of :data:`TRACKING_PARAMETERS` and the order of the others — a form to compare, never a
link to follow.

:func:`language_neutral` removes what marks a page's language (``/fr/``, ``?lang=en``,
``en.example.org``, ``guide-fr.pdf``): a French and an English record whose URLs agree once it is
gone are a ``translation`` candidate.

Pure and bounded: no I/O, inputs over :data:`MAX_URL_LENGTH` characters are refused, every
malformed value gives ``None`` (never an exception), and every step is a linear pass over the
value (no regular expression, no loop over anything the input can multiply).
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ren_index.validate.urls import InvalidUrl, normalize_url

MAX_URL_LENGTH = 4096
"""Longer values are not URLs anyone typed: refused rather than parsed (browsers stop near 2,000)."""

MAX_HOST_LENGTH = 253
"""The longest name DNS can resolve (RFC 1035): a longer host is no web site."""

TRACKING_PARAMETERS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "rb_clickid", "s_cid", "ref", "ref_src", "referrer", "source",
        "share", "sharesource", "spm", "cmpid", "xtor", "at_medium", "at_campaign",
    }
)  # fmt: skip
"""Query parameters that say how a visitor came, not what the page shows (compared lower-cased)."""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "at_")
"""Families of tracking parameters (Google Analytics ``utm_*``, Matomo ``pk_*``/``mtm_*``, AT Internet)."""

INDEX_PAGES: frozenset[str] = frozenset(
    {
        "index.html", "index.htm", "index.shtml", "index.php", "index.asp", "index.aspx", "index.jsp",
        "default.aspx", "default.asp", "default.htm", "default.html",
    }
)  # fmt: skip
"""A final path segment the server serves for the folder itself (compared lower-cased)."""

DOI_HOSTS: frozenset[str] = frozenset({"doi.org", "dx.doi.org"})
HANDLE_HOSTS: frozenset[str] = frozenset({"hdl.handle.net"})
"""Resolvers: the path is an identifier (``10.1000/abc``, ``20.500.11794/123``), not a page."""

LANGUAGE_SEGMENTS: dict[str, str] = {
    "fr": "fr", "fr-ca": "fr", "fr_ca": "fr", "fr-fr": "fr",
    "en": "en", "en-ca": "en", "en_ca": "en", "en-us": "en", "en-gb": "en",
}  # fmt: skip
"""A path segment, anywhere in the path, that names a language (compared lower-cased)."""

LANGUAGE_TOP_SEGMENTS: dict[str, str] = {"francais": "fr", "fran%c3%a7ais": "fr", "english": "en"}
"""Words that name a language only as a site's *first* folder (``/english/index.html``): deeper,
``/programmes/francais/`` is a subject (Français, langue d'enseignement), not a language version.
``français`` is percent-encoded in a canonical URL."""

LANGUAGE_VALUES: dict[str, str] = {
    "fr": "fr", "fra": "fr", "fre": "fr", "french": "fr", "francais": "fr", "français": "fr",
    "en": "en", "eng": "en", "english": "en", "anglais": "en",
}  # fmt: skip
"""A language parameter's value (``?lang=fr``, ``?locale=fr_CA``: a region after ``-``/``_`` is ignored)."""

LANGUAGE_PARAMETERS: frozenset[str] = frozenset({"lang", "langue", "language", "hl", "locale", "lng"})
"""Query parameters whose value picks the page's language."""

LANGUAGE_SUBDOMAINS: dict[str, str] = {"fr": "fr", "en": "en"}
"""First host label naming a language (``fr.example.org``), only on hosts of three labels or more."""

LANGUAGE_SUFFIXES: dict[str, str] = {
    "-fr": "fr", "_fr": "fr", ".fr": "fr", "-en": "en", "_en": "en", ".en": "en",
}  # fmt: skip
"""End of a file name, before its extension, naming a language (``guide-fr.pdf``, ``index.en.html``)."""

_DOI_PREFIX_DIGITS = (4, 9)


def _is_tracking(parameter: str) -> bool:
    key = unquote(parameter.split("=", 1)[0]).lower()
    return key in TRACKING_PARAMETERS or key.startswith(TRACKING_PREFIXES)


def doi_of_path(path: str) -> str | None:
    """``/10.1000/ABC`` (percent-encoded or not) -> ``10.1000/abc``; None when it is no DOI."""
    text = unquote(path).lstrip("/")
    prefix, slash, suffix = text.partition("/")
    registrant = prefix[3:] if prefix.startswith("10.") else ""
    low, high = _DOI_PREFIX_DIGITS
    if not (slash and suffix and registrant.isascii() and registrant.isdigit()):
        return None
    if not low <= len(registrant) <= high or any(c.isspace() or c in '"<>' for c in suffix):
        return None
    return f"{prefix}/{suffix}".lower()


def handle_of_path(path: str) -> str | None:
    """``/20.500.11794/123`` -> ``20.500.11794/123`` (lower-cased: handles ignore ASCII case)."""
    text = unquote(path).lstrip("/")
    prefix, slash, suffix = text.partition("/")
    if not (slash and suffix) or any(c.isspace() or c in '"<>' for c in suffix):
        return None
    if not all(part.isascii() and part.isdigit() for part in prefix.split(".")):
        return None
    return f"{prefix}/{suffix}".lower()


def _quote_identifier(value: str) -> str:
    return quote(value, safe="/:;()!$&'*+,=@")


def _resolver_url(host: str, path: str) -> str | None:
    """The one spelling of a DOI or Handle resolver link (a DOI behind the Handle proxy too)."""
    if host in DOI_HOSTS or host in HANDLE_HOSTS:
        doi = doi_of_path(path)
        if doi is not None:
            return "https://doi.org/" + _quote_identifier(doi)
    if host in HANDLE_HOSTS:
        handle = handle_of_path(path)
        if handle is not None:
            return "https://hdl.handle.net/" + _quote_identifier(handle)
    return None


def _strip_index_page(path: str) -> str:
    head, _, last = path.rpartition("/")
    if last.lower() in INDEX_PAGES:
        path = head
    return path.rstrip("/") or "/"


def _query(query: str) -> str:
    """Tracking parameters out, the others sorted by name (a stable sort keeps repeated names'
    order): ``?b=2&a=1`` and ``?a=1&b=2`` are the same page on every server worth comparing."""
    kept = [p for p in query.split("&") if p and not _is_tracking(p)]
    kept.sort(key=lambda p: p.split("=", 1)[0])
    return "&".join(kept)


def canonical_url(url: str) -> str | None:
    """The landing URL in one comparable form, or None when it is not an http(s) URL.

    ``HTTP://WWW.Example.org:80/a/index.html?utm_source=x&b=2&a=1#top`` ->
    ``https://example.org/a?a=1&b=2``; ``http://dx.doi.org/10.1000/ABC`` ->
    ``https://doi.org/10.1000/abc``. Single-page-application routes (``#!/x``, ``#/x``) are kept:
    dropping them would fold distinct resources into one.
    """
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        return None
    text = url.strip()
    if not text[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(normalize_url(text))
        port = parts.port
    except (InvalidUrl, ValueError, UnicodeError):
        return None
    host = parts.hostname or ""
    if len(host) > MAX_HOST_LENGTH:
        return None
    if host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    resolved = _resolver_url(host, parts.path)
    if resolved is not None:
        return resolved
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    if parts.netloc.startswith("["):  # IPv6 literal: hostname lost its brackets
        netloc = f"[{host}]" if port in (None, 80, 443) else f"[{host}]:{port}"
    path = _strip_index_page(parts.path or "/")
    return urlunsplit(("https", netloc, path, _query(parts.query), parts.fragment))


# Language ----------------------------------------------------------------------------------------


def _language_value(value: str) -> str | None:
    key = unquote(value).strip().lower().replace("_", "-")
    return LANGUAGE_VALUES.get(key) or LANGUAGE_VALUES.get(key.split("-", 1)[0])


def _segment_language(path: str) -> tuple[str, str | None]:
    """The path without its language folder (``/fr/``, ``/en-ca/``, a first ``/english/``)."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        key = segment.lower()
        language = LANGUAGE_SEGMENTS.get(key) or (LANGUAGE_TOP_SEGMENTS.get(key) if i == 1 else None)
        if language is not None:
            return "/".join(segments[:i] + segments[i + 1 :]) or "/", language
    return path, None


def _suffix_language(path: str) -> tuple[str, str | None]:
    """The path without a language suffix on its file name (``guide-fr.pdf`` -> ``guide.pdf``)."""
    head, _, last = path.rpartition("/")
    stem, dot, extension = last.rpartition(".")
    if dot and stem and extension:
        for suffix, language in LANGUAGE_SUFFIXES.items():
            if stem.lower().endswith(suffix) and len(stem) > len(suffix):
                return f"{head}/{stem[: -len(suffix)]}.{extension}", language
    return path, None


def _query_language(query: str) -> tuple[str, str | None]:
    kept: list[str] = []
    found: str | None = None
    for parameter in query.split("&"):
        key, _, value = parameter.partition("=")
        language = _language_value(value) if unquote(key).lower() in LANGUAGE_PARAMETERS else None
        if language is not None and found in (None, language):
            found = language
        else:
            kept.append(parameter)
    return "&".join(p for p in kept if p), found


def _host_language(netloc: str) -> tuple[str, str | None]:
    label, dot, rest = netloc.partition(".")
    language = LANGUAGE_SUBDOMAINS.get(label)
    if language is not None and dot and "." in rest.split(":", 1)[0]:
        return rest, language
    return netloc, None


def language_neutral(url: str) -> tuple[str, str | None]:
    """(the canonical URL with its language segment or parameter removed, the language found:
    ``"fr"``, ``"en"`` or None).

    Every marker found is removed (a query parameter, a path folder, a file-name suffix, a
    language subdomain); when they disagree (``fr.example.org/en/``) nothing is removed and the
    language is None, since such a URL says nothing reliable. ``("", None)`` when ``url`` has no
    canonical form: callers must not compare empty strings. Resolver links (DOI, Handle) name an
    identifier, not a page: returned as they are.
    """
    canonical = canonical_url(url)
    if canonical is None:
        return "", None
    parts = urlsplit(canonical)
    if parts.hostname in DOI_HOSTS or parts.hostname in HANDLE_HOSTS:
        return canonical, None
    query, by_query = _query_language(parts.query)
    path, by_segment = _segment_language(parts.path)
    path, by_suffix = _suffix_language(path)
    netloc, by_host = _host_language(parts.netloc)
    markers = (by_query, by_segment, by_suffix, by_host)
    found = {language for language in markers if language is not None}
    if len(found) != 1:
        return canonical, None
    path = _strip_index_page(path)
    return urlunsplit(("https", netloc, path, query, parts.fragment)), found.pop()

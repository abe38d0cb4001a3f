"""Harvested HTML made safe to display: an allow-list sanitizer (nh3, the Rust ``ammonia``).

Descriptions arrive with markup a documentalist would like to keep (paragraphs, lists, emphasis,
links) next to markup nobody should ever run (scripts, event handlers, ``javascript:`` links,
frames). The canonical record keeps plain text (see ``normalize.mappers.text``); this module
gives the portals and the review UI a *display* form. It is an allow-list, never a deny-list:
whatever is not named below disappears, so a new browser feature cannot slip through.

Relative links are dropped (``url_relative="deny"``): they would resolve against the portal's own
site, not the source's, and point nowhere useful or somewhere misleading.
"""

from __future__ import annotations

from functools import lru_cache

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a"})
ALLOWED_ATTRIBUTES = {"a": frozenset({"href"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
"""Links open without handing the portal's window to the target, and pass no ranking to it."""
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object",
        "embed", "applet", "svg", "math", "head", "title", "textarea", "select", "xmp",
        "noembed", "noframes", "plaintext",
    }
)  # fmt: skip
"""Elements whose text is code or chrome, not description: removed with everything inside."""


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    """Built once on first use (not at import time), then reused: building it parses the rules."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",
    )


def sanitize_html(raw: str) -> str:
    """The allowed subset of ``raw`` as an HTML fragment, every other tag and attribute removed.

    Text stays (with its entities kept escaped), so ``&lt;script&gt;`` shows as words and never
    becomes a tag. The result is stripped of surrounding whitespace; ``""`` when nothing is left.
    """
    if not raw:
        return ""
    return _cleaner().clean(raw).strip()

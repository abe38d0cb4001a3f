"""What a final answer means for a link: the status rules, soft 404s and permanent moves, as values.

Why apart from the checker: these are the rules documentalists ask about (« why is this link called
broken? »); here they read as a table, with no network, and are tested with tables of answers.

- 2xx → ``ok``; or ``soft_404`` when a deep link ended on the site's home page, or when the page's
  title or first heading says it is not found; or ``redirected`` when the chain *began* with a
  permanent redirect (301, 308): the correction offered is where the leading permanent hops led
  (``extra["moved_to"]``), not a temporary hop after them.
- 401, 403 → ``ok`` (« accès restreint »): the page exists and asks for a login or refuses robots;
  a resource behind an institution's login is not rot, and evicting it would be wrong.
- 404, 410 → ``broken``; 408, 425, 429 and 5xx → ``unreachable`` (passing trouble); any other 4xx
  → ``broken``; anything else (1xx, 304…) → ``unreachable`` (an answer we cannot judge).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ren_index.errors import AddressRefusedError
from ren_index.links.http import Answer, FetchFailed
from ren_index.links.outcomes import Outcome
from ren_index.links.soft404 import Matcher, sent_home, title_and_heading

PERMANENT = frozenset({301, 308})
TEMPORARY = frozenset({302, 303, 307})
REDIRECTS = PERMANENT | TEMPORARY
RESTRICTED = frozenset({401, 403})
GONE = frozenset({404, 410})
PASSING = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Verdict:
    """An outcome with its failure kind, its one-line reason and the details worth keeping."""

    outcome: Outcome
    reason: str
    failure: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def moved_to(redirects: tuple[tuple[int, str], ...]) -> str | None:
    """Where the leading permanent redirects led, ``None`` when the first hop is not permanent."""
    target = None
    for status, location in redirects:
        if status not in PERMANENT:
            break
        target = location
    return target


def judge_answer(
    url: str,
    final_url: str,
    redirects: tuple[tuple[int, str], ...],
    answer: Answer,
    matcher: Matcher,
) -> Verdict:
    """The verdict on the last answer of a link's chain (never a redirect: the checker followed it)."""
    status = answer.status
    if 200 <= status < 300:
        return _answered(url, final_url, redirects, answer, matcher)
    if status in RESTRICTED:
        return Verdict(
            Outcome.OK,
            f"accès restreint ({status}) : la page existe / restricted access ({status}): the page exists",
            extra={"restricted": str(status)},
        )
    if status in GONE:
        word_fr, word_en = ("disparue", "gone") if status == 410 else ("introuvable", "not found")
        return Verdict(Outcome.BROKEN, f"{word_fr} ({status}) / {word_en} ({status})", f"http_{status}")
    if status >= 500 or status in PASSING:
        kind = "http_5xx" if status >= 500 else f"http_{status}"
        return Verdict(
            Outcome.UNREACHABLE,
            f"le serveur répond {status} / the server answers {status}",
            kind,
        )
    if 400 <= status < 500:
        return Verdict(Outcome.BROKEN, f"refusée ({status}) / refused ({status})", f"http_{status}")
    return Verdict(
        Outcome.UNREACHABLE,
        f"réponse inattendue ({status}) / unexpected answer ({status})",
        f"http_{status}",
    )


def _answered(
    url: str,
    final_url: str,
    redirects: tuple[tuple[int, str], ...],
    answer: Answer,
    matcher: Matcher,
) -> Verdict:
    status = answer.status
    if redirects and sent_home(url, final_url):
        return Verdict(
            Outcome.SOFT_404,
            "lien profond renvoyé à la page d'accueil / deep link sent to the home page",
            "soft_404",
            {"soft_404": "home"},
        )
    if answer.body is not None:
        title, heading = title_and_heading(answer.body, answer.headers.get("content-type"))
        for part, text in (("title", title), ("h1", heading)):
            phrase = matcher.match(text)
            if phrase is not None:
                return Verdict(
                    Outcome.SOFT_404,
                    f"la page dit « {text.strip()[:120]} » / the page says “{text.strip()[:120]}”",
                    "soft_404",
                    {"soft_404": part, "phrase": phrase},
                )
    moved = moved_to(redirects)
    if moved is not None:
        return Verdict(
            Outcome.REDIRECTED,
            f"déplacée définitivement vers {moved} / moved permanently to {moved}",
            extra={"moved_to": moved},
        )
    return Verdict(Outcome.OK, f"{status}")


def refused_verdict(refused: AddressRefusedError) -> Verdict:
    """A URL the address policy refused: skipped (not public, not http), or broken (no such name)."""
    if refused.rule == "unresolvable":
        return Verdict(
            Outcome.BROKEN, "le nom d'hôte ne se résout pas / the host name does not resolve", "dns"
        )
    if refused.rule == "malformed":
        return Verdict(Outcome.BROKEN, "adresse illisible / unreadable URL", "malformed")
    if refused.rule == "scheme":
        return Verdict(
            Outcome.SKIPPED,
            "ni http ni https : non vérifiable / neither http nor https: not checkable",
            extra={"skip": "scheme"},
        )
    return Verdict(
        Outcome.SKIPPED,
        "adresse non publique, jamais demandée (REN_LINKS_ALLOW_HOSTS) / non-public address, never"
        " asked (REN_LINKS_ALLOW_HOSTS)",
        extra={"skip": "non_public"},
    )


def failed_verdict(failed: FetchFailed) -> Verdict:
    """No answer at all: a name that does not resolve is broken, anything else unreachable."""
    outcome = Outcome.BROKEN if failed.kind in ("dns", "malformed") else Outcome.UNREACHABLE
    return Verdict(outcome, f"pas de réponse ({failed.detail[:200]}) / no answer", failed.kind)

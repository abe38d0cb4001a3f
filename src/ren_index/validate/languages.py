"""Language of a record: the declared value normalized to BCP 47, checked against the text.

Sources write the language every way there is: ``fr``, ``fr-CA``, ``FR_ca``, ISO 639-2 ``fre`` /
``fra`` / ``FRE``, ``fra-CA``, names (``français``, ``French``, ``anglais``), ScoLOMFR's id.loc.gov
URIs, LOM's ``none``. :func:`normalize_language` turns each into the *shortest* BCP 47 tag
(``fr``, ``fr-CA``, ``en``, ``atj``) with ``langcodes`` (IANA registry: B/T codes, deprecated
codes, case, script suppression), because portals filter on one spelling only.

Choices worth knowing:

* **Shortest tag wins**: ``iku`` → ``iu``, ``cre`` → ``cr``, ``oji`` → ``oj`` (BCP 47 requires the
  ISO 639-1 code when there is one). The ISO 639-3 individual languages stay as given
  (``ike`` Eastern Canadian Inuktitut, ``crj``/``crl`` East Cree, ``moe`` Innu, ``atj``
  Atikamekw, ``nsk`` Naskapi, ``alq`` Algonquin): they say more than the macrolanguage.
* **No linguistic content** (``none``, ``zxx``, ``aucune``) → ``zxx``: LOM's ``none`` token means
  that, and BCP 47 spells it ``zxx``.
* **Unknown** (``und``, ``inconnue``) → ``None``, and the check treats it as *absent*, not invalid:
  the source said it does not know, which is not a typing mistake.
* **Malformed or unregistered** (``x``, ``??``, ``12``, ``fr-FR-blah-blah``, private use ``x-...``,
  ``qaa``-``qtz``) → ``None``: a half-understood tag in the index is worse than a warning.
* **Names** are looked up in French, then English only (``langcodes.find`` without a language
  also matches names in any language: ``wendat`` would become Venda). The names of Quebec's
  Indigenous languages that the CLDR data lacks (``ojibwé``, ``cri``, ``wolastoqey``,
  ``huron-wendat``, ``kanien'kéha``...) are in :data:`ren_index.config.languages.NAMES_TO_TAGS`.

Results are cached (``lru_cache``): a harvest repeats a handful of spellings thousands of times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from langcodes import Language, standardize_tag
from langcodes.tag_parser import LanguageTagError
from language_data.names import code_to_names  # type: ignore[import-untyped]

from ren_index.config.languages import MULTIPLE, NAMES_TO_TAGS, NO_LINGUISTIC_CONTENT
from ren_index.config.vocabularies import fold
from ren_index.model import Issue, LangString, Resource, Severity
from ren_index.validate.context import CheckResult, ValidationContext
from ren_index.validate.language_detection import detect, supported

_ZXX = frozenset(
    {
        "none",
        "zxx",
        "x none",
        "aucune",
        "aucun",
        "aucune langue",
        "no language",
        "no linguistic content",
        "not applicable",
        "sans objet",
        "sans contenu linguistique",
        "pas de contenu linguistique",
        "non linguistique",
    }
)
"""Folded values meaning "no linguistic content" (images, music, data)."""

UNKNOWN = frozenset(
    {"und", "undetermined", "unknown", "inconnu", "inconnue", "indetermine", "indeterminee", "n a"}
)
"""Folded values meaning "the source does not know": treated as no language given, not as an error."""


_NOT_NAMES = frozenset({"toto", "test", "texte", "text", "document", "langue", "language"})
"""Placeholder words that happen to be the name of some language (``toto`` is the Toto language)."""

_NAME_WITH_REGION = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<region>[^()]+)\)$")
_TAG_SHAPE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8})*$")
_SEPARATORS = re.compile(r"\s*[,;|]\s*|\s+(?:et|and)\s+")
_REGION_NAMES = {"quebec": "CA", "qc": "CA", "usa": "US", "uk": "GB"}


def _from_uri(raw: str) -> str:
    """``http://id.loc.gov/vocabulary/iso639-2/fre`` (ScoLOMFR, MARC), lexvo URIs → ``fre``."""
    return raw.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _standard(tag: str) -> str | None:
    """The shortest registered BCP 47 form of a tag, or None when it is malformed or unregistered."""
    try:
        standard = standardize_tag(tag.replace("_", "-"))
        language = Language.get(standard)
    except (LanguageTagError, ValueError):
        return None
    code = language.language
    if not code or code == "und" or not language.is_valid():
        return None
    if language.private or (len(code) == 3 and "qaa" <= code <= "qtz"):
        return None
    return standard


def _region(name: str) -> str | None:
    key = fold(name)
    if key in _REGION_NAMES:
        return _REGION_NAMES[key]
    if len(key) == 2 and key.isalpha() and key != "zz" and Language.get(f"und-{key}").is_valid():
        return key.upper()
    for lang in ("fr", "en"):
        try:
            territory = Language.find_name("territory", name, lang).territory
        except LookupError:
            continue
        if territory:
            return str(territory)
    return None


def _from_name(name: str) -> str | None:
    """A language name in French or English (``français``, ``Inuktitut``, ``French (Canada)``)."""
    key = fold(name)
    if not key or key in _NOT_NAMES:
        return None
    if key in NAMES_TO_TAGS:
        return NAMES_TO_TAGS[key]
    match = _NAME_WITH_REGION.match(name.strip())
    if match:
        base = _from_name(match["name"])
        region = _region(match["region"])
        if base and region and "-" not in base:
            return _standard(f"{base}-{region}")
        return base
    for lang in ("fr", "en"):
        try:
            found = Language.find_name("language", name.strip(), lang)
        except LookupError:
            continue
        # find_name also accepts a known name as a *prefix* ("bilingue" → Bilin): exact names only.
        names = {**code_to_names(found.language or ""), **code_to_names(str(found))}
        if key in {fold(n) for n in names.values()}:
            return _standard(str(found))
    return None


@lru_cache(maxsize=4096)
def normalize_language(raw: str) -> str | None:
    """One declared language → its shortest BCP 47 tag; ``zxx`` for "none"; None when unusable.

    ``"fre"`` → ``"fr"``, ``"fra-CA"`` → ``"fr-CA"``, ``"FR_ca"`` → ``"fr-CA"``, ``"iku"`` →
    ``"iu"``, ``"atikamekw"`` → ``"atj"``, ``"none"`` → ``"zxx"``, ``"??"`` → None.
    """
    text = raw.strip()
    if not text:
        return None
    if text.startswith(("http://", "https://")):
        text = _from_uri(text)
    key = fold(text)
    if key in _ZXX:
        return NO_LINGUISTIC_CONTENT
    if key in UNKNOWN:
        return None
    if key in NAMES_TO_TAGS:
        return NAMES_TO_TAGS[key]
    if _TAG_SHAPE.match(text):
        tag = _standard(text)
        if tag is not None:
            return tag
    return _from_name(text)


def split_languages(raw: str) -> list[str]:
    """Split one field that holds several languages (``fre; eng``, ``français et anglais``)."""
    if raw.strip().startswith(("http://", "https://")):
        return [raw.strip()]
    return [part for part in _SEPARATORS.split(raw.strip()) if part]


def primary(tag: str) -> str:
    """The primary language subtag: ``fr-CA`` → ``fr``."""
    return tag.split("-", 1)[0].lower()


# The check ---------------------------------------------------------------------------------


def _first(text: LangString) -> str:
    """The first value as the source gave it (a bilingual record is judged on its first language)."""
    for value in text.values():  # a loop, not next(generator): twice a record (issue 17)
        if value and value.strip():
            return value
    return ""


def _text_for_detection(resource: Resource) -> str:
    title = _first(resource.general.title)
    description = _first(resource.general.description)
    if title and description:
        return f"{title} {description}"
    return title or description


def _issue(
    code: str, severity: Severity, fr: str, en: str, value: str | None, suggestion: str | None
) -> Issue:
    return Issue(
        code=code,
        severity=severity,
        field="general.language",
        message_fr=fr,
        message_en=en,
        value=value,
        suggestion=suggestion,
    )


def _declared(resource: Resource) -> tuple[list[str], list[str]]:
    """(normalized tags in the source's order, raw values that map to nothing)."""
    tags: list[str] = []
    invalid: list[str] = []
    for raw in resource.general.languages:
        for part in split_languages(raw):
            if fold(part) in UNKNOWN:
                continue
            tag = normalize_language(part)
            if tag is None:
                invalid.append(part)
            elif tag not in tags:
                tags.append(tag)
    return tags, invalid


def _mismatch(declared: list[str], detected: str, languages: tuple[str, ...]) -> bool:
    """Declared and detected disagree, and the detector could have recognised the declared language.

    No mismatch for ``zxx`` or ``mul``, for a language the detector does not know (Atikamekw,
    Inuktitut... its confidence only ranks the languages it knows), or when the record is
    declared multilingual and the detected language is one of them.
    """
    primaries = {primary(t) for t in declared}
    if primaries & {NO_LINGUISTIC_CONTENT, MULTIPLE} or primary(detected) in primaries:
        return False
    known = set(supported(languages))
    return bool(primaries & known)


def check_languages(resource: Resource, ctx: ValidationContext) -> CheckResult:
    """Normalize the declared languages, detect the text's language, and compare the two.

    Updates ``languages`` (BCP 47), ``detected_language`` and ``detected_confidence``. Issues:
    ``LANGUAGE_INVALID`` (warning) for a declared value that is no language, ``LANGUAGE_MISMATCH``
    (warning) when the text is confidently in another language, and for a record that states no
    usable language ``LANGUAGE_DETECTED`` (info: filled from the text), else
    ``LANGUAGE_FROM_SOURCE_DEFAULT`` (info: the source's ``defaults.language``), else
    ``LANGUAGE_MISSING`` (error).
    """
    rules = ctx.rules.language
    languages = tuple(rules.detect)
    tags, invalid = _declared(resource)
    text = _text_for_detection(resource)
    if text in ctx.detections:
        found = ctx.detections[text]
    else:
        found = detect(text, languages, rules.max_chars, rules.min_chars)
    detected, confidence = found if found else (None, None)
    issues = [
        _issue(
            "LANGUAGE_INVALID",
            "warning",
            f"Langue déclarée non reconnue : « {raw} ».",
            f"Declared language not recognized: “{raw}”.",
            raw,
            detected,
        )
        for raw in invalid
    ]
    if tags:
        if (
            detected is not None
            and confidence is not None
            and confidence >= rules.mismatch_confidence
            and _mismatch(tags, detected, languages)
        ):
            declared_text = ", ".join(tags)
            issues.append(
                _issue(
                    "LANGUAGE_MISMATCH",
                    "warning",
                    f"Langue déclarée ({declared_text}) différente de celle du texte "
                    f"({detected}, confiance {confidence:.2f}).",
                    f"Declared language ({declared_text}) differs from the text's "
                    f"({detected}, confidence {confidence:.2f}).",
                    declared_text,
                    detected,
                )
            )
    else:
        tags, filled = _fill(detected, confidence, ctx)
        issues.append(filled)
    updates: dict[str, Any] = {
        "languages": tags,
        "detected_language": detected,
        "detected_confidence": confidence,
    }
    return updates, issues


def with_detections(ctx: ValidationContext, resources: Iterable[Resource]) -> ValidationContext:
    """``ctx`` with the detected language of every text of ``resources``, detected in one go.

    For a caller that validates records in chunks (``ren-index process``, the benchmark): run it
    on the chunk after ``normalize`` and before ``validate``. Lingua's n-gram models take some
    170 MB; detecting one text between two records' worth of Python work finds them evicted from
    the CPU caches each time, and measured on the benchmark corpus a detection then costs about
    twice what it costs in a run of detections (issue 17). The answers are the very same calls
    of :func:`detect` with ``ctx.rules``, made earlier; how many texts is the caller's chunk.
    """
    rules = ctx.rules.language
    languages = tuple(rules.detect)
    detections = dict(ctx.detections)
    for resource in resources:
        text = _text_for_detection(resource)
        if text not in detections:
            detections[text] = detect(text, languages, rules.max_chars, rules.min_chars)
    return replace(ctx, detections=detections)


def _fill(detected: str | None, confidence: float | None, ctx: ValidationContext) -> tuple[list[str], Issue]:
    """A record without a usable language: the text's language if sure enough, else the source's default.

    The text comes first because it is evidence about this very record, the default only a
    librarian's assumption about the whole source; when both agree the default's tag is kept,
    since it may carry a region (``fr-CA``) that detection cannot know.
    """
    default = normalize_language(ctx.defaults.get("language", "") or "")
    if detected is not None and confidence is not None and confidence >= ctx.rules.language.fill_confidence:
        tag = default if default and primary(default) == detected else detected
        return [tag], _issue(
            "LANGUAGE_DETECTED",
            "info",
            f"Langue absente : déduite du texte ({detected}, confiance {confidence:.2f}).",
            f"Language missing: detected from the text ({detected}, confidence {confidence:.2f}).",
            None,
            detected,
        )
    if default:
        return [default], _issue(
            "LANGUAGE_FROM_SOURCE_DEFAULT",
            "info",
            f"Langue absente : valeur par défaut de la source ({default}).",
            f"Language missing: the source's default was used ({default}).",
            default,
            detected,
        )
    return [], _issue(
        "LANGUAGE_MISSING",
        "error",
        "La langue de la ressource n'est pas indiquée.",
        "The resource's language is not given.",
        None,
        detected,
    )


__all__ = [
    "MULTIPLE",
    "NO_LINGUISTIC_CONTENT",
    "UNKNOWN",
    "check_languages",
    "normalize_language",
    "primary",
    "split_languages",
    "with_detections",
]

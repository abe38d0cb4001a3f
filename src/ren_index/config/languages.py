"""Languages in people's words: the one table of language names, both ways.

* :data:`NAMES_TO_TAGS` — names as sources write them (folded: lower case, no accents) → BCP 47
  tags; read by normalization (a ``<string language="Français">``) and by the language check,
  before ``langcodes`` (which lacks Quebec's Indigenous languages or mistakes them).
* :data:`LANGUAGE_NAMES` and :func:`language_name` — tags → names in French and English, for
  the review pages and the history.
* :data:`ISO639_2_TO_1` — the three-letter codes LOMFR/ScoLOMFR records use → BCP 47's two letters.
"""

from __future__ import annotations

from functools import lru_cache

import langcodes

NO_LINGUISTIC_CONTENT = "zxx"
MULTIPLE = "mul"

NAMES_TO_TAGS: dict[str, str] = {
    # Quebec's Indigenous languages, by the names used in Quebec (French, English, endonyms).
    "abenakis": "abe",
    "abenaquis": "abe",
    "abenaki": "abe",
    "w8banaki": "abe",
    "algonquin": "alq",
    "anicinape": "alq",
    "anishinabe": "alq",
    "atikamekw": "atj",
    "attikamek": "atj",
    "atikamekw nehiromowin": "atj",
    "nehiromowin": "atj",
    "cri": "cr",
    "cris": "cr",
    "cree": "cr",
    "eeyou": "cr",
    "cri de l est": "cr",
    "east cree": "cr",
    "innu": "moe",
    "innu aimun": "moe",
    "montagnais": "moe",
    "inuktitut": "iu",
    "inuttitut": "iu",
    "inuit": "iu",
    "malecite": "pqm",
    "maliseet": "pqm",
    "wolastoqey": "pqm",
    "mi kmaq": "mic",
    "mi gmaq": "mic",
    "micmac": "mic",
    "mohawk": "moh",
    "kanien keha": "moh",
    "naskapi": "nsk",
    "huron wendat": "wya",
    "wendat": "wya",
    "wyandot": "wya",
    "ojibwe": "oj",
    "ojibwa": "oj",
    "ojibway": "oj",
    # French typed without its cedilla, Quebec French, and the several-languages markers.
    "francais": "fr",
    "french": "fr",
    "anglais": "en",
    "english": "en",
    "espagnol": "es",
    "spanish": "es",
    "francais quebecois": "fr-CA",
    "francais canadien": "fr-CA",
    "quebecois": "fr-CA",
    "multilingue": MULTIPLE,
    "multilingual": MULTIPLE,
    "plusieurs langues": MULTIPLE,
    "multiple languages": MULTIPLE,
    "bilingue": MULTIPLE,
    "bilingual": MULTIPLE,
}
"""Folded names → tags, consulted before ``langcodes`` (which lacks or mistakes these)."""

ISO639_2_TO_1 = {
    "fre": "fr", "fra": "fr", "eng": "en", "spa": "es", "ger": "de", "deu": "de",
    "ita": "it", "por": "pt", "dut": "nl", "nld": "nl", "ara": "ar", "chi": "zh",
    "zho": "zh", "jpn": "ja", "rus": "ru", "lat": "la", "gre": "el", "ell": "el",
    "iku": "iu", "cre": "cr", "oji": "oj", "hat": "ht", "vie": "vi", "kor": "ko",
}  # fmt: skip
"""ISO 639-2 codes seen in LOMFR/ScoLOMFR records; BCP 47 wants the two-letter one if any."""

LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "fr": ("français", "French"),
    "fr-CA": ("français (Canada)", "French (Canada)"),
    "en": ("anglais", "English"),
    "en-CA": ("anglais (Canada)", "English (Canada)"),
    "iu": ("inuktitut", "Inuktitut"),
    "cr": ("cri", "Cree"),
    "moe": ("innu-aimun", "Innu-aimun"),
    "atj": ("atikamekw", "Atikamekw"),
    "nsk": ("naskapi", "Naskapi"),
    "mic": ("mi'kmaq", "Mi'kmaq"),
    "moh": ("mohawk", "Mohawk"),
    "alq": ("algonquin", "Algonquin"),
    "abe": ("abénakis", "Abenaki"),
    "oj": ("ojibwé", "Ojibwe"),
    "es": ("espagnol", "Spanish"),
    "und": ("langue non précisée", "unspecified language"),
    "zxx": ("sans contenu linguistique", "no linguistic content"),
    "mul": ("plusieurs langues", "several languages"),
}
"""Language names for the tags Quebec sources use (and the special ones); langcodes names the rest."""


@lru_cache(maxsize=4096)
def language_name(tag: str, lang: str = "fr") -> str:
    """A BCP 47 tag as a person reads it (``fr-CA`` → "français (Canada)", ``und`` → "langue non
    précisée"), in ``lang``; the tag itself when it is not a valid tag.

    Cached (4,096 tags and languages): langcodes is slow on the tags the table above does not
    name, and every search page, facet and review page names the same few dozen again.
    """
    names = LANGUAGE_NAMES.get(tag) or LANGUAGE_NAMES.get(tag.lower())
    if names:
        return names[1] if lang == "en" else names[0]
    try:
        parsed = langcodes.Language.get(tag)
        if not langcodes.tag_is_valid(tag) or parsed.language in (None, "und"):
            return tag
        base = LANGUAGE_NAMES.get(parsed.language)
        if base is None:
            shown = str(parsed.display_name(lang))
            return tag if "[" in shown else shown  # langcodes' "Unknown language [xyz]"
        name = base[1] if lang == "en" else base[0]
        detail = ", ".join(
            str(part)
            for part in (
                parsed.script_name(lang) if parsed.script else None,
                parsed.territory_name(lang) if parsed.territory else None,
            )
            if part
        )
        return f"{name} ({detail})" if detail else name
    except (ValueError, LookupError):
        return tag


def language_label(tag: str, lang: str = "fr") -> str | None:
    """A facet label for a tag ("Français", "Cree"), or ``None`` when the tag names no language."""
    name = language_name(tag, lang)
    if name == tag:
        return None
    return name[:1].upper() + name[1:]

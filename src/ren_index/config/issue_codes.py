"""Every issue code the project can emit, in one table: its severity and its words for people.

An issue is raised where its check runs (``validate/*``, ``normalize/mappers/issues.py``,
``decide.py``, ``overlays.py``, ``steps/process.py``), with a message about *that* record. What
is missing without this table is the code's own name in people's words: a queue column, a filter
menu or a refusal that says « Titre manquant » rather than ``TITLE_MISSING`` — the project shows
labels, not codes — and what a documentalist does about it, which until now lived only in
``docs/validation.md``. It sits in ``config/`` because every stage and every face (CLI, web) may
read it, and it holds data only: raising an issue does not go through it, so a code can never be
refused or renamed here.

``tests/config/test_issue_codes.py`` keeps it whole: it reads the syntax tree of every module of
the package and fails on a code emitted but not listed here, on a code listed here that nothing
emits, on a severity that differs from the one emitted, and on a code or an action that
``docs/validation.md``'s table does not carry (the English action is that table's text).
"""

from __future__ import annotations

from dataclasses import dataclass

from ren_index.model import Severity


@dataclass(frozen=True)
class IssueCode:
    """One issue code: its default severity, a short label and what a documentalist does.

    ``severity`` is the one the code is raised with (its *effect* on a record is set per code and
    per portal in ``validation.yaml``). Labels are short enough for a table column or a filter;
    actions are ``docs/validation.md``'s "what a documentalist does", French first.
    """

    code: str
    severity: Severity
    label_fr: str
    label_en: str
    action_fr: str
    action_en: str


ISSUE_CODES: tuple[IssueCode, ...] = (
    IssueCode(
        "TITLE_MISSING",
        "error",
        "Titre manquant",
        "Missing title",
        "Rédiger le titre d'après la ressource elle-même.",
        "Write the title from the resource itself.",
    ),
    IssueCode(
        "TITLE_PLACEHOLDER",
        "error",
        "Titre générique",
        "Placeholder title",
        "Le remplacer par le vrai titre.",
        "Replace it with the real title.",
    ),
    IssueCode(
        "TITLE_TOO_LONG",
        "warning",
        "Titre trop long",
        "Title too long",
        "Le raccourcir au vrai titre (souvent, la description a été collée dans le titre). D'ici là,"
        " partout où la notice est publiée (une source avec review: never, ou une notice approuvée"
        " malgré tout), l'API et la file de validation l'affichent coupé à la limite, terminé par « … ».",
        "Shorten it to the real title (often the description was pasted in the title). Until then,"
        " wherever the record is published (a source with review: never, or approved anyway) the API"
        ' and the review queue show it cut to the limit, ending in "…".',
    ),
    IssueCode(
        "TITLE_ALL_CAPS",
        "info",
        "Titre en majuscules",
        "Title in capitals",
        "Au besoin, l'écrire en minuscules avec une majuscule initiale (suggestion fournie).",
        "Optionally put it in sentence case (suggestion given).",
    ),
    IssueCode(
        "TITLE_MARKUP",
        "info",
        "Balises dans le titre",
        "Markup in the title",
        "Rien pour la notice ; demander à la source d'envoyer du texte brut.",
        "Nothing for the record; ask the source to send plain text.",
    ),
    IssueCode(
        "DESCRIPTION_MISSING",
        "warning",
        "Description manquante",
        "Missing description",
        "Rédiger une courte description si la ressource le mérite.",
        "Write a short description if the resource deserves it.",
    ),
    IssueCode(
        "DESCRIPTION_TOO_SHORT",
        "warning",
        "Description trop courte",
        "Description too short",
        "La compléter.",
        "Complete it.",
    ),
    IssueCode(
        "DESCRIPTION_NOT_MEANINGFUL",
        "warning",
        "Description vide de sens",
        "Meaningless description",
        "Rédiger une vraie description.",
        "Write a real description.",
    ),
    IssueCode(
        "DESCRIPTION_TOO_LONG",
        "warning",
        "Description trop longue",
        "Description too long",
        "La raccourcir à ce qui aide un enseignant à choisir. D'ici là, l'API la renvoie coupée à la"
        " limite, terminée par « … ».",
        "Shorten it to what helps a teacher choose. Until then the API returns it cut to the limit,"
        ' ending in "…".',
    ),
    IssueCode(
        "DESCRIPTION_SAME_AS_TITLE",
        "info",
        "Description identique au titre",
        "Description repeats the title",
        "La compléter.",
        "Complete it.",
    ),
    IssueCode(
        "TITLE_REPEATED_IN_SOURCE",
        "warning",
        "Titre répété dans la source",
        "Title repeated in the source",
        "Donner à chaque notice un titre qui lui est propre ; prévenir le partenaire (une habitude de"
        " nommage de la source).",
        "Give each record a title of its own; tell the partner (a naming habit of the source).",
    ),
    IssueCode(
        "KEYWORDS_REPEAT_TITLE",
        "info",
        "Mots-clés répétant le titre",
        "Keywords repeat the title",
        "Les remplacer par les sujets de la ressource.",
        "Replace them with the resource's subjects.",
    ),
    IssueCode(
        "HTML_IN_DESCRIPTION",
        "info",
        "HTML dans la description",
        "HTML in the description",
        "Rien (vérifier l'affichage).",
        "Nothing (check the display).",
    ),
    IssueCode(
        "URL_MISSING",
        "error",
        "URL manquante",
        "Missing URL",
        "Trouver l'adresse de la ressource.",
        "Find the resource's address.",
    ),
    IssueCode(
        "URL_INVALID",
        "error",
        "URL invalide",
        "Invalid URL",
        "La corriger ; la suggestion est l'URL réparée quand elle se déduit sans deviner.",
        "Correct it; the suggestion is the repaired URL when it follows without guessing.",
    ),
    IssueCode(
        "DUPLICATE_URL",
        "warning",
        "URL en double",
        "Duplicate URL",
        "En garder une : rejeter le doublon ou fusionner les corrections.",
        "Keep one: reject the duplicate or merge corrections.",
    ),
    IssueCode(
        "LINK_BROKEN",
        "error",
        "Lien brisé",
        "Broken link",
        "Trouver la nouvelle adresse de la ressource et corriger l'URL, ou retirer la notice ; la garder"
        " publiée si le lien marche pour une personne (ce choix tient jusqu'au prochain changement"
        " d'état du lien).",
        "Find the resource's new address and correct the URL, or withdraw the record; keep it"
        " published if the link works for a person (the choice holds until the link changes state"
        " again).",
    ),
    IssueCode(
        "URL_MOVED",
        "info",
        "Adresse déplacée",
        "Address moved",
        "Remplacer l'URL par la nouvelle adresse (la suggestion), ou garder l'ancienne.",
        "Replace the URL with the new address (the suggestion), or keep the old one.",
    ),
    IssueCode(
        "DATE_INVALID",
        "warning",
        "Date invalide",
        "Invalid date",
        "La corriger ; suggestion quand elle est sans ambiguïté (« 2011/09/15 » → « 2011-09-15 »).",
        'Correct it; suggestion when unambiguous ("2011/09/15" → "2011-09-15").',
    ),
    IssueCode(
        "LANGUAGE_MISSING",
        "error",
        "Langue manquante",
        "Missing language",
        "Indiquer la langue.",
        "Give the language.",
    ),
    IssueCode(
        "LANGUAGE_INVALID",
        "warning",
        "Langue non reconnue",
        "Unrecognized language",
        "La remplacer ; suggestion = langue détectée.",
        "Replace it; suggestion = detected language.",
    ),
    IssueCode(
        "LANGUAGE_MISMATCH",
        "warning",
        "Langue différente du texte",
        "Language differs from the text",
        "Vérifier laquelle est juste ; suggestion = langue détectée.",
        "Check which is right; suggestion = detected.",
    ),
    IssueCode(
        "LANGUAGE_DETECTED",
        "info",
        "Langue déduite du texte",
        "Language detected from the text",
        "Rien, ou confirmer.",
        "Nothing, or confirm.",
    ),
    IssueCode(
        "LANGUAGE_FROM_SOURCE_DEFAULT",
        "info",
        "Langue par défaut de la source",
        "Source's default language",
        "Rien, ou confirmer.",
        "Nothing, or confirm.",
    ),
    IssueCode(
        "LEVEL_FROM_SOURCE_DEFAULT",
        "info",
        "Niveau par défaut de la source",
        "Source's default level",
        "Rien, ou confirmer.",
        "Nothing, or confirm.",
    ),
    IssueCode(
        "LICENCE_FROM_SOURCE_DEFAULT",
        "info",
        "Licence par défaut de la source",
        "Source's default licence",
        "Rien, ou confirmer.",
        "Nothing, or confirm.",
    ),
    IssueCode(
        "RESOURCE_TYPE_FROM_SOURCE_DEFAULT",
        "info",
        "Type par défaut de la source",
        "Source's default type",
        "Rien.",
        "Nothing.",
    ),
    IssueCode(
        "SOURCE_DEFAULT_UNMAPPED",
        "warning",
        "Valeur par défaut non reconnue",
        "Unrecognized source default",
        "Prévenir le bibliothécaire : corriger defaults: dans sources.yaml.",
        "Tell the librarian: fix defaults: in sources.yaml.",
    ),
    IssueCode(
        "LEVEL_MISSING",
        "warning",
        "Niveau manquant",
        "Missing level",
        "Indiquer le niveau.",
        "Give the level.",
    ),
    IssueCode(
        "LEVEL_UNMAPPED",
        "warning",
        "Niveau non reconnu",
        "Unrecognized level",
        "Choisir le niveau ; prévenir l'équipe si la formulation est courante (elle devient un altLabel).",
        "Choose the level; tell the team if the wording is common (it becomes an altLabel).",
    ),
    IssueCode(
        "LEVEL_AMBIGUOUS",
        "warning",
        "Niveau ambigu",
        "Ambiguous level",
        "Garder le bon niveau (modifier levels).",
        "Keep the right level (edit levels).",
    ),
    IssueCode(
        "LICENCE_MISSING",
        "warning",
        "Licence manquante",
        "Missing licence",
        "Trouver la licence sur la ressource.",
        "Find the licence on the resource.",
    ),
    IssueCode(
        "LICENCE_UNKNOWN",
        "warning",
        "Licence non reconnue",
        "Unrecognized licence",
        "Choisir la licence.",
        "Choose the licence.",
    ),
    IssueCode(
        "LICENCE_AMBIGUOUS",
        "warning",
        "Licence ambiguë",
        "Ambiguous licence",
        "Confirmer la licence exacte.",
        "Confirm the exact licence.",
    ),
    IssueCode(
        "LICENCE_NOT_OPEN",
        "warning",
        "Licence non ouverte",
        "Licence not open",
        "Obtenir une licence ouverte, ou ne publier que dans l'autre portail.",
        "Obtain an open licence, or publish in the other portal only.",
    ),
    IssueCode(
        "LANGUAGE_NOT_ACCEPTED",
        "warning",
        "Langue refusée par le portail",
        "Language not accepted by the portal",
        "Publier ailleurs.",
        "Publish elsewhere.",
    ),
    IssueCode(
        "NO_PORTAL",
        "error",
        "Aucun portail",
        "No portal",
        "Indiquer un niveau scolaire ou d'enseignement supérieur.",
        "Give a school or higher-education level.",
    ),
    IssueCode(
        "RESOURCE_TYPE_UNMAPPED",
        "info",
        "Type de ressource non reconnu",
        "Unrecognized resource type",
        "Au besoin, choisir le type.",
        "Optionally choose the type.",
    ),
    IssueCode(
        "PAYLOAD_MISSING",
        "error",
        "Métadonnées absentes",
        "Missing metadata",
        "Vérifier la notice à la source.",
        "Check the record at the source.",
    ),
    IssueCode(
        "PAYLOAD_INVALID",
        "error",
        "Métadonnées illisibles",
        "Unreadable metadata",
        "Vérifier la notice à la source.",
        "Check the record at the source.",
    ),
    IssueCode(
        "MAPPING_FAILED",
        "error",
        "Conversion échouée",
        "Mapping failed",
        "Le signaler à l'équipe.",
        "Report it to the team.",
    ),
    IssueCode(
        "JSONLD_REMOTE_CONTEXT",
        "error",
        "Contexte JSON-LD externe",
        "Remote JSON-LD context",
        "Vérifier les champs d'après la source ; demander au partenaire d'utiliser le contexte schema.org.",
        "Check the fields against the source; ask the partner to use the schema.org context.",
    ),
    IssueCode(
        "DATE_UNPARSEABLE",
        "warning",
        "Date illisible",
        "Unreadable date",
        "La corriger à la source.",
        "Correct it at the source.",
    ),
    IssueCode(
        "VCARD_UNPARSEABLE",
        "info",
        "vCard illisible",
        "Unreadable vCard",
        "Rien.",
        "Nothing.",
    ),
    IssueCode(
        "SIZE_UNPARSEABLE",
        "info",
        "Taille illisible",
        "Unreadable size",
        "Rien.",
        "Nothing.",
    ),
    IssueCode(
        "SOURCE_CHANGED_AFTER_EDIT",
        "warning",
        "Source modifiée après correction",
        "Source changed after an edit",
        "Garder la correction, ou prendre la valeur de la source (la correction est retirée).",
        "Keep the correction, or take the source's value (the correction is removed).",
    ),
)
"""In ``docs/validation.md``'s order: titles, descriptions, addresses, languages, levels, licences."""

_BY_CODE: dict[str, IssueCode] = {entry.code: entry for entry in ISSUE_CODES}


def known_codes() -> tuple[str, ...]:
    """Every catalogued code, in the table's order (what a filter or a refusal lists)."""
    return tuple(_BY_CODE)


def label(code: str, lang: str = "fr") -> str:
    """The code's short label in ``lang`` (``en``, else French); an unknown code is its own label.

    Unknown stays printable rather than raising: a ledger can hold issues written by another
    version, and a queue must still show them.
    """
    entry = _BY_CODE.get(code)
    if entry is None:
        return code
    return entry.label_en if lang == "en" else entry.label_fr


def canonical(code: str) -> str | None:
    """The catalogued code a person typed, whatever its case and spaces (``title_missing``)."""
    wanted = code.strip().upper()
    return wanted if wanted in _BY_CODE else None

"""The words of decisions taken together: banners naming the record, undo, refusals of stale pages.

Merged into :data:`ren_index.web.i18n.MESSAGES` like the other catalogues. A banner's text is
composed when the action is taken, in both languages (:mod:`ren_index.web.review.banner`), and
shown through ``banner.text`` in the language of the page that displays it.
"""

from __future__ import annotations

DECISION_MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "banner.text": "{fr}",
        "banner.undo": "Annuler",
        "banner.undo_hint": "Annuler cette décision (possible jusqu'à {until})",
        "conflict.title": "Cette notice a changé depuis que vous l'avez ouverte",
        "conflict.again": "La notice ci-dessous est à jour : relisez-la et décidez de nouveau.",
        "conflict.kept": (
            "Ce que vous aviez saisi (motif, corrections en texte) est conservé dans les formulaires."
        ),
        "action.undo": "Annulation d'une décision",
        "issue.other_language": "English",
    },
    "en": {
        "banner.text": "{en}",
        "banner.undo": "Undo",
        "banner.undo_hint": "Undo this decision (possible until {until})",
        "conflict.title": "This record changed since you opened it",
        "conflict.again": "The record below is current: read it again and decide again.",
        "conflict.kept": "What you had typed (reason, text corrections) is kept in the forms.",
        "action.undo": "Decision undone",
        "issue.other_language": "Français",
    },
}

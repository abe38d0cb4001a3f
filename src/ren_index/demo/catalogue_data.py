"""Hand-written building blocks of the demo catalogue: resource types, texts, people, rights.

Everything here was written for ren-index: the publishers, schools and people are invented (any
likeness to a real institution is accidental and implies no partnership), the URLs live under the
reserved ``example.qc.ca`` domain. The values imitate how Quebec sources actually write things —
Normetic and LOM vocabulary terms, "Sec. 3", "cégep", licences typed by hand — because the pipeline
is only tested for real when its inputs are as untidy as the ones it will meet.
"""

from __future__ import annotations

from ren_index.demo.levels import LOM, NORMETIC_TYPE, Vocab

# (key, French title prefix, English title prefix, LOM types, dc:type French, MIME, URL folder)
ResourceType = tuple[str, str, str, tuple[Vocab, ...], str, str, str]
RESOURCE_TYPES: list[ResourceType] = [
    (
        "exercice",
        "Exercices interactifs",
        "Interactive exercises",
        ((LOM, "exercise"), (NORMETIC_TYPE, "exercice")),
        "Exercice",
        "text/html",
        "exercices",
    ),
    (
        "video",
        "Vidéo",
        "Video",
        ((NORMETIC_TYPE, "lecture/présentation"),),
        "Vidéo",
        "video/mp4",
        "videos",
    ),
    (
        "guide",
        "Guide pédagogique",
        "Teacher's guide",
        ((NORMETIC_TYPE, "guide"),),
        "Guide pédagogique",
        "application/pdf",
        "guides",
    ),
    (
        "simulation",
        "Simulation",
        "Simulation",
        ((LOM, "simulation"), (NORMETIC_TYPE, "simulation")),
        "Simulation",
        "text/html",
        "simulations",
    ),
    (
        "cours",
        "Cours en ligne",
        "Online course",
        ((LOM, "lecture"), (NORMETIC_TYPE, "tutoriel")),
        "Cours",
        "application/zip",
        "cours",
    ),
    (
        "sae",
        "Situation d'apprentissage et d'évaluation",
        "Learning and evaluation situation",
        ((NORMETIC_TYPE, "situation d'apprentissage et d'évaluation"),),
        "Situation d'apprentissage",
        "application/pdf",
        "sae",
    ),
    (
        "questionnaire",
        "Quiz",
        "Quiz",
        ((LOM, "questionnaire"), (NORMETIC_TYPE, "questionnaire")),
        "Questionnaire",
        "text/html",
        "quiz",
    ),
    (
        "aide-memoire",
        "Aide-mémoire",
        "Cheat sheet",
        ((NORMETIC_TYPE, "matériel de référence"),),
        "Texte",
        "application/pdf",
        "aide-memoire",
    ),
    (
        "scenario",
        "Scénario pédagogique",
        "Lesson plan",
        ((NORMETIC_TYPE, "scénario pédagogique"),),
        "Scénario pédagogique",
        "application/pdf",
        "scenarios",
    ),
    (
        "jeu",
        "Jeu éducatif",
        "Educational game",
        ((NORMETIC_TYPE, "activité"),),
        "InteractiveResource",
        "text/html",
        "jeux",
    ),
    (
        "balado",
        "Balado",
        "Podcast",
        ((NORMETIC_TYPE, "lecture/présentation"),),
        "Son",
        "audio/mpeg",
        "balados",
    ),
    (
        "manuel",
        "Manuel numérique",
        "Open textbook",
        ((LOM, "narrative text"), (NORMETIC_TYPE, "texte-document informatif")),
        "Text",
        "application/epub+zip",
        "manuels",
    ),
]

DESCRIPTIONS_FR: dict[str, str] = {
    "exercice": "Série d'exercices autocorrectifs sur le thème « {topic} », conçue pour "
    "{audience}. Chaque réponse reçoit une rétroaction immédiate.",
    "video": "Capsule vidéo de quelques minutes qui présente « {topic} » de façon concrète, "
    "pour {audience}. Sous-titres et transcription inclus.",
    "guide": "Guide d'accompagnement pour le personnel enseignant : « {topic} ». Il propose des "
    "pistes d'animation et de différenciation pour {audience}.",
    "simulation": "Simulation interactive permettant d'explorer « {topic} » en modifiant les "
    "paramètres, pour {audience}.",
    "cours": "Cours en ligne structuré en modules sur « {topic} », pour {audience}. "
    "Compatible avec les environnements numériques d'apprentissage.",
    "sae": "Situation d'apprentissage et d'évaluation portant sur « {topic} », prévue pour "
    "{audience}, avec grille d'évaluation et cahier de l'élève.",
    "questionnaire": "Questionnaire à choix multiples pour vérifier la compréhension de "
    "« {topic} » chez {audience}.",
    "aide-memoire": "Aide-mémoire imprimable qui résume l'essentiel de « {topic} » pour {audience}.",
    "scenario": "Scénario pédagogique clé en main sur « {topic} » : intentions, déroulement et "
    "traces attendues, pour {audience}.",
    "jeu": "Jeu éducatif en ligne pour apprendre « {topic} » en s'amusant, pensé pour {audience}.",
    "balado": "Épisode de balado consacré à « {topic} », avec des invités du milieu, pour {audience}.",
    "manuel": "Manuel numérique libre couvrant « {topic} », rédigé pour {audience}. Figures et "
    "exercices de fin de chapitre inclus.",
}

DESCRIPTIONS_EN: dict[str, str] = {
    "exercice": "Self-correcting exercises on {topic}, designed for {audience}, with instant feedback.",
    "video": "A short video introducing {topic} with concrete examples, for {audience}. Captions "
    "and transcript included.",
    "guide": "A teacher's guide on {topic}, with activity ideas and differentiation tips for {audience}.",
    "simulation": "An interactive simulation to explore {topic} by changing parameters, for {audience}.",
    "cours": "A modular online course on {topic} for {audience}, ready for any learning management system.",
    "sae": "A learning and evaluation situation on {topic} for {audience}, with rubric and student booklet.",
    "questionnaire": "A multiple-choice quiz to check understanding of {topic} among {audience}.",
    "aide-memoire": "A printable cheat sheet summarizing {topic} for {audience}.",
    "scenario": "A ready-to-use lesson plan on {topic} for {audience}.",
    "jeu": "An online educational game about {topic} for {audience}.",
    "balado": "A podcast episode about {topic} with guests from the field, for {audience}.",
    "manuel": "An open textbook covering {topic} for {audience}, with end-of-chapter exercises.",
}

EXTRA_SENTENCES_FR: tuple[str, ...] = (
    "La ressource peut être utilisée en classe ou à distance.",
    "Elle s'appuie sur la Progression des apprentissages.",
    "Accessible sur ordinateur, tablette et téléphone.",
    "Les contenus ont été validés par des conseillères et conseillers pédagogiques.",
    "Offerte dans un format accessible (WCAG 2.1).",
    "Peut être intégrée à Moodle ou à tout autre environnement numérique d'apprentissage.",
)

EXTRA_SENTENCES_EN: tuple[str, ...] = (
    "It can be used in class or for distance learning.",
    "Works on computers, tablets and phones.",
    "Available in an accessible format (WCAG 2.1).",
    "Reviewed by pedagogical consultants.",
)

SCHOOL_PUBLISHERS: tuple[str, ...] = (
    "Centre de services scolaire des Trois-Ruisseaux",
    "Centre de services scolaire du Lac-aux-Hérons",
    "Centre de services scolaire de la Haute-Boréale",
    "Coup de pouce scolaire",
    "Fondation Savoirs ouverts",
    "Réseau des conseillers pédagogiques de l'Estuaire",
)
SCHOOL_PUBLISHERS_EN: tuple[str, ...] = (
    "Laurentian Valley School Service Centre",
    "Open Classroom Collective",
)
HIGHER_ED_PUBLISHERS: tuple[str, ...] = (
    "Cégep de Val-Boréal",
    "Cégep des Deux-Rivières",
    "Cégep de la Baie-des-Loutres",
    "Centre collégial de matériel didactique (CCMD)",
    "Université de Val-Boréal",
    "Université des Hautes-Terres",
    "Fondation Savoirs ouverts",
)
HIGHER_ED_PUBLISHERS_EN: tuple[str, ...] = (
    "McAllister College",
    "Laurentian Highlands University",
)
AUTHORS: tuple[str, ...] = (
    "Geneviève Tremblay",
    "Marc-André Gagnon",
    "Sophie Bélanger",
    "Karim Haddad",
    "Isabelle Côté",
    "Nguyen Thi Lan",
    "Jean-François Roy",
    "Émilie Lavoie",
    "Olivier Bouchard",
    "Fatou Diallo",
    "Catherine Morin",
    "Samuel Pelletier",
)
AUTHORS_EN: tuple[str, ...] = ("Emily Walsh", "David Chen", "Sarah O'Connor", "Michael Singh")

# (style, raw licence text as written, True when the licence is an open one)
LICENCES: list[tuple[str, str | None]] = [
    ("code", "CC BY 4.0"),
    ("code", "CC BY-SA 4.0"),
    ("code", "CC-BY-NC-SA"),
    ("code", "CC BY-NC-ND 4.0"),
    ("uri", "http://creativecommons.org/licenses/by-sa/4.0/"),
    ("uri", "https://creativecommons.org/licenses/by/4.0/"),
    ("uri", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("deed", "https://creativecommons.org/licenses/by-nc/4.0/deed.fr"),
    ("deed", "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.fr"),
    ("label-fr", "Creative Commons Attribution - Pas d'utilisation commerciale 4.0 International"),
    (
        "label-fr",
        "Creative Commons Attribution - Partage dans les mêmes conditions 4.0 International",
    ),
    ("label-en", "Creative Commons Attribution 4.0 International"),
    ("all-rights-reserved", "Tous droits réservés"),
    ("all-rights-reserved", "All rights reserved"),
    ("copyright-notice", "© Éditions Grand-Héron 2019"),
    ("copyright-notice", "© Centre de services scolaire des Trois-Ruisseaux, 2022"),
    ("none", None),
]
"""Licence statements as people write them; ``style`` says which kind (reported, not served)."""

DC_LANGUAGES_FR: tuple[str, ...] = ("fr", "fr", "fr-CA", "fre", "français")
LOM_LANGUAGES_FR: tuple[str, ...] = ("fr", "fr", "fr-CA", "fr-CA", "fra")
LANGUAGES_EN: tuple[str, ...] = ("en", "en", "en-CA", "eng")

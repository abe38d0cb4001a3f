"""How Quebec sources state an order of education, and the orders the demo covers.

Written for ren-index. LOM records state levels with LOM 5.6 / Normetic / LOMFR context terms and
a ``typicalAgeRange``; Dublin Core records with whatever people type ("Sec. 3", "cégep", "FGA").
The variety is the point: the level normalizer is tested on it.
"""

from __future__ import annotations

LOM = "LOMv1.0"
NORMETIC_CONTEXT = "http://eureka.ntic.org/vdex/NORMETICv1.0_element_5_6_contexte_voc.xml"
NORMETIC_TYPE = "http://www.normetic.org/vdex/typeressourcev1_2.xml"
LOMFR = "LOMFRv1.0"

Vocab = tuple[str | None, str]
"""A vocabulary value as a source states it: (vocabulary source or None, value)."""

ORDERS: tuple[str, ...] = (
    "prescolaire",
    "primaire-1",
    "primaire-2",
    "primaire-3",
    "secondaire-1",
    "secondaire-2",
    "secondaire-3",
    "secondaire-4",
    "secondaire-5",
    "fp",
    "fga",
    "collegial-preuniversitaire",
    "collegial-technique",
    "universitaire-1",
    "universitaire-2",
    "universitaire-3",
)
"""Every order of education the catalogue covers (ground truth, in the project's own keys)."""

RECORDS_PER_ORDER: dict[str, int] = {
    "prescolaire": 8,
    "primaire-1": 12,
    "primaire-2": 12,
    "primaire-3": 14,
    "secondaire-1": 12,
    "secondaire-2": 12,
    "secondaire-3": 14,
    "secondaire-4": 14,
    "secondaire-5": 12,
    "fp": 12,
    "fga": 12,
    "collegial-preuniversitaire": 20,
    "collegial-technique": 20,
    "universitaire-1": 20,
    "universitaire-2": 10,
    "universitaire-3": 6,
}

PAVILLON_ORDERS = frozenset(
    {
        "collegial-preuniversitaire",
        "collegial-technique",
        "universitaire-1",
        "universitaire-2",
        "universitaire-3",
    }
)


def band_of(order: str) -> str:
    """The topic band of an order: the cycles of one order share their subjects."""
    return order.split("-")[0] if order.startswith(("primaire", "secondaire")) else order


# How sources state an order: for LOM, (contexts, typicalAgeRange) alternatives; for oai_dc, the
# free-text subjects people type. English variants are used by English records.
LOM_LEVELS: dict[str, list[tuple[tuple[Vocab, ...], str | None]]] = {
    "prescolaire": [
        (((NORMETIC_CONTEXT, "education prescolaire"),), "5-6"),
        (((LOM, "school"),), "4-5"),
        (((LOMFR, "école maternelle"),), None),
    ],
    "primaire-1": [
        (((NORMETIC_CONTEXT, "education primaire"),), "6-8"),
        (((LOM, "school"), (NORMETIC_CONTEXT, "primaire 1er cycle")), "6-7"),
        (((LOMFR, "école primaire"),), "6-8"),
    ],
    "primaire-2": [
        (((NORMETIC_CONTEXT, "education primaire"),), "8-10"),
        (((LOM, "school"),), "8-9"),
        (((LOMFR, "école primaire"), (NORMETIC_CONTEXT, "primaire 2e cycle")), None),
    ],
    "primaire-3": [
        (((NORMETIC_CONTEXT, "education primaire"),), "10-12"),
        (((LOM, "school"),), "11-12"),
        (((NORMETIC_CONTEXT, "primaire 3e cycle"),), None),
    ],
    "secondaire-1": [
        (((NORMETIC_CONTEXT, "education secondaire"),), "12-13"),
        (((LOM, "school"), (NORMETIC_CONTEXT, "Sec. 1")), None),
    ],
    "secondaire-2": [
        (((NORMETIC_CONTEXT, "education secondaire"),), "13-14"),
        (((LOMFR, "secondaire"),), "13-14"),
    ],
    "secondaire-3": [
        (((NORMETIC_CONTEXT, "education secondaire"),), "14-15"),
        (((LOM, "school"), (NORMETIC_CONTEXT, "Sec. 3")), None),
    ],
    "secondaire-4": [
        (((NORMETIC_CONTEXT, "education secondaire"),), "15-16"),
        (((LOMFR, "enseignement secondaire"),), "15-16"),
    ],
    "secondaire-5": [
        (((NORMETIC_CONTEXT, "education secondaire"),), "16-17"),
        (((LOM, "school"), (NORMETIC_CONTEXT, "5e secondaire")), None),
    ],
    "fp": [
        (((NORMETIC_CONTEXT, "formation professionnelle"),), "16-"),
        (((LOM, "training"),), None),
    ],
    "fga": [
        (((NORMETIC_CONTEXT, "formation generale des adultes"),), "16-"),
        (((LOM, "other"), (NORMETIC_CONTEXT, "formation continue")), "18-"),
    ],
    "collegial-preuniversitaire": [
        (((NORMETIC_CONTEXT, "cegep"),), "17-19"),
        (((LOM, "higher education"), (NORMETIC_CONTEXT, "cegep")), None),
    ],
    "collegial-technique": [
        (((NORMETIC_CONTEXT, "formation technique"), (NORMETIC_CONTEXT, "cegep")), "17-20"),
        (((LOM, "higher education"), (NORMETIC_CONTEXT, "formation technique")), None),
    ],
    "universitaire-1": [
        (((NORMETIC_CONTEXT, "universite premier cycle"),), None),
        (((LOMFR, "enseignement supérieur"), (LOMFR, "licence")), "18-"),
        (((LOM, "higher education"),), "19-23"),
    ],
    "universitaire-2": [
        (((NORMETIC_CONTEXT, "universite second cycle"),), None),
        (((LOMFR, "enseignement supérieur"), (LOMFR, "master")), None),
    ],
    "universitaire-3": [
        (((NORMETIC_CONTEXT, "universite troisieme cycle"),), None),
        (((LOMFR, "enseignement supérieur"), (LOMFR, "doctorat")), None),
    ],
}

DC_LEVELS_FR: dict[str, list[tuple[str, ...]]] = {
    "prescolaire": [
        ("Préscolaire",),
        ("Éducation préscolaire", "Maternelle 5 ans"),
        ("maternelle",),
    ],
    "primaire-1": [
        ("Primaire 1er cycle",),
        ("1re année", "2e année"),
        ("école primaire", "1er cycle"),
    ],
    "primaire-2": [("Primaire 2e cycle",), ("3e année du primaire",), ("Primaire - 2e cycle",)],
    "primaire-3": [("Primaire 3e cycle",), ("5e année", "6e année"), ("Primaire, 3e cycle",)],
    "secondaire-1": [("Sec. 1",), ("Secondaire 1",), ("1re secondaire", "1er cycle du secondaire")],
    "secondaire-2": [("Sec. 2",), ("2e secondaire",), ("Secondaire 2",)],
    "secondaire-3": [("Sec. 3",), ("3e secondaire",), ("Secondaire 3", "2e cycle du secondaire")],
    "secondaire-4": [("Sec. 4",), ("4e secondaire",), ("Secondaire IV",)],
    "secondaire-5": [("Sec. 5",), ("5e secondaire",), ("Secondaire 5",)],
    "fp": [("Formation professionnelle",), ("FP",), ("DEP",)],
    "fga": [("Formation générale des adultes",), ("FGA",), ("Éducation des adultes",)],
    "collegial-preuniversitaire": [
        ("Collégial",),
        ("cégep", "formation préuniversitaire"),
        ("Ordre collégial",),
        ("DEC préuniversitaire",),
    ],
    "collegial-technique": [
        ("Collégial - technique",),
        ("cégep", "formation technique"),
        ("DEC technique",),
        ("Techniques (collégial)",),
    ],
    "universitaire-1": [
        ("Universitaire 1er cycle",),
        ("Baccalauréat",),
        ("enseignement supérieur",),
    ],
    "universitaire-2": [("Universitaire 2e cycle",), ("Maîtrise",), ("cycles supérieurs",)],
    "universitaire-3": [("Universitaire 3e cycle",), ("Doctorat",)],
}

DC_LEVELS_EN: dict[str, tuple[str, ...]] = {
    "prescolaire": ("Kindergarten",),
    "primaire-1": ("Elementary Cycle One",),
    "primaire-2": ("Grade 4",),
    "primaire-3": ("Elementary Cycle Three",),
    "secondaire-1": ("Secondary 1",),
    "secondaire-2": ("Secondary II",),
    "secondaire-3": ("Secondary 3",),
    "secondaire-4": ("Sec. IV",),
    "secondaire-5": ("Secondary 5",),
    "fp": ("Vocational training",),
    "fga": ("Adult education",),
    "collegial-preuniversitaire": ("college", "pre-university program"),
    "collegial-technique": ("CEGEP", "technical program"),
    "universitaire-1": ("higher education", "undergraduate"),
    "universitaire-2": ("graduate studies",),
    "universitaire-3": ("doctoral studies",),
}

AUDIENCE: dict[str, tuple[str, str]] = {
    "prescolaire": ("les enfants de la maternelle", "kindergarten children"),
    "primaire-1": ("les élèves du 1er cycle du primaire", "Elementary Cycle One students"),
    "primaire-2": ("les élèves du 2e cycle du primaire", "Elementary Cycle Two students"),
    "primaire-3": ("les élèves du 3e cycle du primaire", "Elementary Cycle Three students"),
    "secondaire-1": ("les élèves de 1re secondaire", "Secondary 1 students"),
    "secondaire-2": ("les élèves de 2e secondaire", "Secondary 2 students"),
    "secondaire-3": ("les élèves de 3e secondaire", "Secondary 3 students"),
    "secondaire-4": ("les élèves de 4e secondaire", "Secondary 4 students"),
    "secondaire-5": ("les élèves de 5e secondaire", "Secondary 5 students"),
    "fp": ("les élèves de la formation professionnelle", "vocational training students"),
    "fga": ("les adultes en formation générale", "adult learners"),
    "collegial-preuniversitaire": (
        "la population étudiante du collégial préuniversitaire",
        "pre-university college students",
    ),
    "collegial-technique": (
        "les étudiantes et étudiants des programmes techniques",
        "students in technical college programs",
    ),
    "universitaire-1": ("les étudiants de baccalauréat", "undergraduate students"),
    "universitaire-2": ("les étudiants à la maîtrise", "master's students"),
    "universitaire-3": ("les doctorantes et doctorants", "doctoral candidates"),
}

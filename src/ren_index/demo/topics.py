"""Subjects (topics per band) and OAI sets of the demo catalogue, written for ren-index.

The topic table is kept as text, one topic on two lines (French, then English), so that sixty-odd
topics stay readable at a glance and easy to extend: ``subject-set | titre | mots-clés`` then
``| title | keywords``, grouped under ``[band]`` headers (see ``levels.band_of``).
"""

from __future__ import annotations

_TOPIC_TABLE = """
[prescolaire]
francais | Éveil à la lecture : sons et rimes | conscience phonologique; rimes
    | Early reading: sounds and rhymes | phonological awareness; rhymes
mathematiques | Compter jusqu'à 10 avec des comptines | dénombrement; comptines
    | Counting to 10 with rhymes | counting; nursery rhymes
developpement-personnel | Reconnaître ses émotions | émotions; habiletés sociales
    | Recognizing emotions | emotions; social skills
arts | Formes et couleurs | arts plastiques; couleurs
    | Shapes and colours | visual arts; colours
education-physique | Parcours moteur en gymnase | motricité globale; jeu actif
    | Gym obstacle course | gross motor skills; active play
sciences | Découvrir les saisons | saisons; météo
    | Discovering the seasons | seasons; weather
[primaire]
mathematiques | Fractions au quotidien | fractions; partage
    | Fractions in everyday life | fractions; sharing
mathematiques | Tables de multiplication | multiplication; calcul mental
    | Multiplication tables | multiplication; mental math
mathematiques | Figures planes et solides | géométrie; solides
    | Plane figures and solids | geometry; solids
mathematiques | Périmètre et aire | mesure; aire
    | Perimeter and area | measurement; area
francais | Accord du nom et de l'adjectif | grammaire; accords
    | Noun and adjective agreement | grammar; agreement
francais | Contes et légendes du Québec | lecture; contes; légendes
    | Quebec tales and legends | reading; folk tales
francais | Homophones a/à et son/sont | orthographe; homophones
    | French homophones | spelling; homophones
sciences | Cycle de l'eau | eau; évaporation; environnement
    | The water cycle | water; evaporation
sciences | Besoins des plantes | botanique; germination
    | What plants need | botany; germination
sciences | Système solaire | astronomie; planètes
    | The solar system | astronomy; planets
univers-social | Société iroquoienne vers 1500 | Premières Nations; histoire
    | Iroquoian society around 1500 | First Nations; history
univers-social | Nouvelle-France vers 1645 | Nouvelle-France; colonisation
    | New France around 1645 | New France; history
ethique-culture | Vivre ensemble dans la classe | culture et citoyenneté québécoise; coopération
    | Living together in class | citizenship; cooperation
arts | Initiation à la flûte à bec | musique; flûte à bec
    | Introduction to the recorder | music; recorder
[secondaire]
mathematiques | Fonctions affines et taux de variation | fonction affine; pente
    | Linear functions and rate of change | linear function; slope
mathematiques | Théorème de Pythagore | géométrie; triangle rectangle
    | The Pythagorean theorem | geometry; right triangle
mathematiques | Statistiques et mesures de tendance centrale | statistiques; moyenne; médiane
    | Statistics and averages | statistics; median
mathematiques | Trigonométrie du triangle rectangle | trigonométrie; sinus
    | Right-triangle trigonometry | trigonometry; sine
mathematiques | Fonction quadratique | parabole; algèbre
    | Quadratic functions | parabola; algebra
francais | Texte argumentatif | argumentation; écriture
    | Writing an argumentative text | argumentation; writing
francais | Analyse d'un poème lyrique | poésie; figures de style
    | Analysing a lyric poem | poetry; figures of speech
francais | Accord du participe passé | grammaire; participe passé
    | Past participle agreement | grammar; past participle
sciences | Cellule animale et végétale | biologie; cellule
    | Animal and plant cells | biology; cell
sciences | Circuits électriques | électricité; loi d'Ohm
    | Electric circuits | electricity; Ohm's law
sciences | Système digestif | corps humain; digestion
    | The digestive system | human body; digestion
sciences | Tectonique des plaques | géologie; séismes
    | Plate tectonics | geology; earthquakes
univers-social | La Conquête et le régime britannique | histoire du Québec; 1760
    | The Conquest and British rule | Quebec history; 1760
univers-social | Révolution tranquille | histoire du Québec; années 1960
    | The Quiet Revolution | Quebec history; 1960s
univers-social | Territoire urbain : Montréal | géographie; urbanisation
    | Urban territory: Montreal | geography; urbanization
ethique-culture | Enjeux éthiques de l'intelligence artificielle | éthique; IA
    | AI ethics | ethics; artificial intelligence
univers-social | Éducation financière : budget et crédit | éducation financière; budget
    | Financial literacy: budgets and credit | financial literacy; budget
anglais | Reading strategies | anglais langue seconde; lecture
    | Reading strategies | ESL; reading
[fp]
metiers | Soudage à l'arc avec électrode enrobée | soudage; santé et sécurité
    | Shielded metal arc welding | welding; safety
sante | Prise des signes vitaux | SASI; signes vitaux
    | Taking vital signs | vital signs; nursing assistant
metiers | Système de freinage | mécanique automobile; freins
    | Brake systems | automotive mechanics; brakes
administration | Rédaction de lettres d'affaires | secrétariat; rédaction
    | Writing business letters | office work; writing
metiers | Fonds et sauces de base | cuisine; techniques culinaires
    | Basic stocks and sauces | cooking; culinary techniques
metiers | Lecture de plans en électricité | électricité; plans
    | Reading electrical drawings | electricity; blueprints
[fga]
francais | Écrire un courriel formel | rédaction; courriel
    | Writing a formal email | writing; email
mathematiques | Préalables mathématiques à la formation professionnelle | préalables; calcul
    | Math prerequisites for vocational training | prerequisites; arithmetic
developpement-personnel | Préparer une entrevue d'embauche | insertion socioprofessionnelle; emploi
    | Preparing a job interview | employment; interview
francais | Francisation : vocabulaire du quotidien | francisation; vocabulaire
    | French for newcomers: daily vocabulary | French as a second language; vocabulary
sciences | Préparation aux tests d'équivalence en sciences | TENS; sciences
    | Science equivalency test prep | equivalency; science
[collegial-preuniversitaire]
philosophie | Philosophie et rationalité : l'argumentation | philosophie; logique
    | Philosophy and rationality | philosophy; logic
mathematiques | Calcul différentiel : limites et dérivées | calcul différentiel; dérivée
    | Differential calculus | calculus; derivative
mathematiques | Algèbre linéaire et géométrie vectorielle | matrices; vecteurs
    | Linear algebra and vectors | matrices; vectors
sciences | Mécanique newtonienne | physique; forces
    | Newtonian mechanics | physics; forces
sciences | Chimie des solutions | chimie; concentration
    | Solution chemistry | chemistry; concentration
sciences | Biologie cellulaire : la mitose | biologie; mitose
    | Cell biology: mitosis | biology; mitosis
francais | Littérature et imaginaire | littérature; analyse littéraire
    | Literature and imagination | literature; literary analysis
sciences-humaines | Introduction à la psychologie | psychologie; neurosciences
    | Introduction to psychology | psychology; neuroscience
sciences-humaines | Économie : l'offre et la demande | économie; marché
    | Economics: supply and demand | economics; markets
[collegial-technique]
sante | Administration des médicaments | soins infirmiers; pharmacologie
    | Medication administration | nursing; pharmacology
informatique | Programmation orientée objet | programmation; Java
    | Object-oriented programming | programming; Java
genie | Résistance des matériaux | génie civil; béton
    | Strength of materials | civil engineering; concrete
education | Observation de l'enfant en service de garde | éducation à l'enfance; observation
    | Observing children in daycare | early childhood; observation
administration | États financiers | comptabilité; bilan
    | Financial statements | accounting; balance sheet
sciences | Techniques de microbiologie | laboratoire; microbiologie
    | Microbiology lab techniques | laboratory; microbiology
genie | Dessin assisté par ordinateur | DAO; génie mécanique
    | Computer-aided design | CAD; mechanical engineering
informatique | Bases de données relationnelles | SQL; bases de données
    | Relational databases | SQL; databases
[universitaire-1]
mathematiques | Statistique inférentielle | statistique; tests d'hypothèses
    | Inferential statistics | statistics; hypothesis testing
education | Didactique des mathématiques au primaire | didactique; formation des maîtres
    | Teaching elementary mathematics | mathematics education; teacher training
droit | Droit constitutionnel canadien | droit; Constitution
    | Canadian constitutional law | law; Constitution
genie | Thermodynamique appliquée | thermodynamique; énergie
    | Applied thermodynamics | thermodynamics; energy
sante | Pharmacologie de base | pharmacologie; médicaments
    | Basic pharmacology | pharmacology; drugs
administration | Gestion de projet | gestion; planification
    | Project management | management; planning
informatique | Programmation Python pour les sciences | Python; calcul scientifique
    | Python programming for science | Python; scientific computing
sciences-humaines | Sociologie de l'éducation | sociologie; inégalités scolaires
    | Sociology of education | sociology; educational inequality
[universitaire-2]
sciences-humaines | Méthodologie de la recherche qualitative | recherche qualitative; entretiens
    | Qualitative research methods | qualitative research; interviews
informatique | Apprentissage automatique | apprentissage automatique; réseaux de neurones
    | Machine learning | machine learning; neural networks
education | Évaluation des apprentissages | évaluation; rétroaction
    | Assessment of learning | assessment; feedback
sante | Épidémiologie et santé publique | épidémiologie; santé publique
    | Epidemiology and public health | epidemiology; public health
[universitaire-3]
sciences-humaines | Revue systématique de la littérature | revue systématique; thèse
    | Systematic literature reviews | systematic review; thesis
ethique-culture | Éthique de la recherche avec des êtres humains | éthique; consentement
    | Research ethics | research ethics; consent
mathematiques | Analyse de données longitudinales | statistique; modèles mixtes
    | Longitudinal data analysis | statistics; mixed models
informatique | Science ouverte et gestion des données | science ouverte; données de recherche
    | Open science and data management | open science; research data
"""

Topic = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]
"""(subject set, French topic, English topic, French keywords, English keywords)."""


def _parse_topics(table: str) -> dict[str, list[Topic]]:
    topics: dict[str, list[Topic]] = {}
    band = ""
    french: list[str] = []
    for line in table.strip().splitlines():
        if line.startswith("["):
            band = line.strip("[]")
            topics[band] = []
        elif line.lstrip().startswith("|"):
            _, title_en, keywords_en = (part.strip() for part in line.split("|"))
            subject, title_fr, keywords_fr = french
            topics[band].append((subject, title_fr, title_en, _words(keywords_fr), _words(keywords_en)))
        else:
            french = [part.strip() for part in line.split("|")]
    return topics


def _words(cell: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in cell.split(";") if word.strip())


TOPICS: dict[str, list[Topic]] = _parse_topics(_TOPIC_TABLE)
"""Topics per band (parsed once at import: pure string work, no I/O)."""

SUBJECT_SETS: dict[str, tuple[str, str]] = {
    "mathematiques": ("Mathématiques", "Mathematics"),
    "francais": ("Français", "French"),
    "anglais": ("Anglais, langue seconde", "English as a second language"),
    "sciences": ("Sciences et technologies", "Science and technology"),
    "univers-social": ("Univers social", "Social sciences (school)"),
    "arts": ("Arts", "Arts"),
    "ethique-culture": ("Éthique et culture", "Ethics and culture"),
    "education-physique": ("Éducation physique et à la santé", "Physical education and health"),
    "developpement-personnel": ("Développement personnel", "Personal development"),
    "metiers": ("Métiers et techniques", "Trades"),
    "sante": ("Santé", "Health"),
    "administration": ("Administration et gestion", "Administration and management"),
    "philosophie": ("Philosophie", "Philosophy"),
    "sciences-humaines": ("Sciences humaines", "Social sciences"),
    "informatique": ("Informatique", "Computer science"),
    "genie": ("Génie", "Engineering"),
    "education": ("Sciences de l'éducation", "Education"),
    "droit": ("Droit", "Law"),
}
"""Subject sets served over OAI-PMH, French name first."""

PORTAL_SETS: dict[str, tuple[str, str]] = {
    "ecole-ouverte": ("École ouverte — réseau scolaire", "École ouverte — school network"),
    "pavillon": ("Pavillon — enseignement supérieur", "Pavillon — higher education"),
}

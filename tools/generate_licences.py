"""Generate ``config/vocabularies/licences.ttl``, the SKOS vocabulary of licences and rights statements.

Why generated: Creative Commons alone has ~600 licence URIs (six element combinations × versions ×
jurisdiction ports, plus the retired 1.0 ones). Typing them by hand is how a vocabulary ends up
with a wrong French title or a port that never existed, so the CC part is built from CC's own RDF
(summarised in ``../shared/standards/derived/cc-licenserdf-licences.csv``), SPDX ids come from
``jslicense/spdx-license-ids`` and the rights statements' labels from ``rightsstatements/data-model``.
What no source says (the families, Etalab, our own ``ren:`` properties, the wordings seen in
Quebec records) is written in this file. The output is committed, sorted and byte-stable, so the
project never needs ``../shared`` at run time and a re-run with the same inputs changes nothing
(``--check`` says whether the committed file is up to date).

Decisions (also written at the top of the generated file):

* **Concept URI = canonical licence URI** (``http://creativecommons.org/licenses/<code>/<version>/
  [<port>/]``: http, no ``www``, trailing slash, no ``deed``/``legalcode``), the form DPLA and
  Europeana require, so ``Controlled.licence`` *is* the licence's identifier.
* **Kept from the CSV**: every licence of class ``license/`` (the six BY combinations in every
  version and port, the 1.0-only ``by-nd-nc``, ``nc``, ``nd``, ``sa``, ``nc-sa``, ``nd-nc``), CC0, the
  Public Domain Mark and the deprecated ``licenses/publicdomain/``. **Left out**: the software
  wrappers (GPL, LGPL, BSD, MIT: not CC licences, CC only re-published them), the sampling
  licences and Developing Nations (retired, never used for teaching material).
* ``ren:open`` = the licence itself lets anyone reuse **and redistribute** the resource: every CC
  licence (NC and ND restrict commercial use or adaptation, not reuse), CC0, PDM, Etalab → true;
  rights statements → false (permission still has to be asked, or the status is unknown).
  ``ren:freeAccess`` = anyone may use it (read, show in class) without asking: true for the
  above and for the statements that grant use (InC-EDU, InC-NC, NoC-*, NKC). ``ren:family`` is the
  facet value (see ``FAMILIES``). Whether a portal requires "open" is the portal's policy.
* **Families** (``lic:cc-by-nc-sa``...): "CC BY-NC-SA, version not specified". A record that names the
  elements but no version gets the family: its openness and facet are known, its version is not,
  and the record is flagged ``LICENCE_AMBIGUOUS`` rather than silently given 4.0.
* **French labels**: CC's ``fr`` title, except the Canadian ports, which use CC Canada's own French
  (``fr-CA``: "Paternité … Partage des Conditions Initiales à l'Identique 2.5 Canada"); the other
  wording is an altLabel. CC's French 4.0 titles end with a stray sentence instead of
  "International" (bug in cc.licenserdf): it is replaced.
* **Etalab** has no stable per-version URI: the concepts get project URIs (``lic:etalab-2.0``),
  with the official documents as ``rdfs:seeAlso``.

Usage::

    .venv/bin/python tools/generate_licences.py            # write config/vocabularies/licences.ttl
    .venv/bin/python tools/generate_licences.py --check    # exit 1 when the committed file is stale
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT.parent / "shared" / "standards"
DEFAULT_CSV = STANDARDS / "derived" / "cc-licenserdf-licences.csv"
DEFAULT_SPDX = STANDARDS / "jslicense__spdx-license-ids" / "index.json"
DEFAULT_RIGHTS = STANDARDS / "rightsstatements__data-model"
DEFAULT_OUTPUT = ROOT / "config" / "vocabularies" / "licences.ttl"

SCHEME = "https://w3id.org/ren-index/vocab/licences/"
REN = "https://w3id.org/ren-index/vocab/ns#"
KIM = "https://w3id.org/kim/license/"
CC = "http://creativecommons.org/"
RIGHTS = "http://rightsstatements.org/vocab/"

MAIN_CODES = ("by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd")
"""The six combinations of every version from 2.0 on (ordered as CC lists them)."""
OLD_CODES = ("by-nd-nc", "nc", "nd", "sa", "nc-sa", "nd-nc")
"""Early codes: ``by-nd-nc`` is the first spelling of BY-NC-ND (1.0, and 2.0 Japan); ``nc``, ``nd``, ``sa``,
``nc-sa`` and ``nd-nc`` are the 1.0 licences without BY."""
CODE_ORDER = {code: i for i, code in enumerate(MAIN_CODES + OLD_CODES)}

FAMILIES: dict[str, str] = {
    "by": "open",
    "by-sa": "open",
    "sa": "open",
    "by-nc": "non-commercial",
    "by-nc-sa": "non-commercial",
    "nc": "non-commercial",
    "nc-sa": "non-commercial",
    "by-nd": "no-derivatives",
    "nd": "no-derivatives",
    "by-nc-nd": "non-commercial-no-derivatives",
    "by-nd-nc": "non-commercial-no-derivatives",
    "nd-nc": "non-commercial-no-derivatives",
}
"""CC code → ``ren:family`` facet value. Other families: ``public-domain``, ``educational-use``,
``all-rights-reserved``, ``undetermined``."""

FAMILY_OF_CODE = {"by-nd-nc": "by-nc-nd"}
"""Codes whose family concept has another code (the 1.0 spelling of BY-NC-ND)."""

KIM_TYPE: dict[str, str] = {
    "open": "attribution",
    "non-commercial": "nonCommercial",
    "no-derivatives": "noDerivatives",
    "non-commercial-no-derivatives": "nonCommercial-noDerivatives",
    "public-domain": "publicDomain",
}
KIM_SHARE_ALIKE = {"by-sa", "sa"}

SHORT_ELEMENTS = {"by": "BY", "nc": "NC", "nd": "ND", "sa": "SA"}

BOGUS_TITLE = re.compile(r"\s*Ceci peut être votre site web.*$")
VERSION_SUFFIX = re.compile(r"\s+\d\.\d\b.*$")


@dataclass
class Concept:
    """What the writer needs of one concept; sets keep the output sorted and free of repeats."""

    uri: str
    pref: dict[str, str] = field(default_factory=dict)
    alt: set[tuple[str, str]] = field(default_factory=set)
    notations: set[tuple[str, str | None]] = field(default_factory=set)
    """(value, datatype local name in ``ren:`` or None)."""
    literals: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    """``ren:`` property local name → (lexical value, XSD datatype or None)."""
    links: dict[str, set[str]] = field(default_factory=dict)
    """Prefixed property (``skos:broader``, ``ren:legalcode``...) → target URIs."""
    notes: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    """Prefixed note property (``skos:scopeNote``...) → (language, text)."""
    top: bool = False

    def literal(self, name: str, value: str, datatype: str | None = None) -> None:
        self.literals.setdefault(name, set()).add((value, datatype))

    def link(self, prop: str, target: str) -> None:
        self.links.setdefault(prop, set()).add(target)

    def note(self, prop: str, lang: str, text: str) -> None:
        self.notes.setdefault(prop, set()).add((lang, text))

    def flags(self, *, open_: bool, free_access: bool, family: str, kind: str) -> None:
        self.literal("open", "true" if open_ else "false", "boolean")
        self.literal("freeAccess", "true" if free_access else "false", "boolean")
        self.literal("family", family)
        self.literal("kind", kind)


# ---------------------------------------------------------------------------------------------
# Creative Commons, from the CSV


def _clean(title: str, version: str) -> str:
    """CC's title with the 4.0 French bug fixed and spaces collapsed."""
    if BOGUS_TITLE.search(title):
        title = BOGUS_TITLE.sub("", title) + (" International" if version == "4.0" else "")
    return " ".join(title.replace("’", "'").split())


TITLE_PARTS = re.compile(r"^(?P<words>.*?)\s+(?P<version>\d\.\d)\s*(?P<place>.*)$")
TITLE_COLUMNS = ("title_en", "title_fr", "title_fr_ca")


def repaired_titles(rows: Sequence[dict[str, str]]) -> dict[str, dict[str, str]]:
    """URI → cleaned title per column, with two defects of the CC data repaired.

    Some rows name the wrong jurisdiction (the 3.0 South Africa licences are titled "United
    States"), some have no French title (3.0 Venezuela). The place name of a port is taken as the
    one most of its rows use; a missing title is rebuilt from the same code and version's
    unported wording and that place name (English when no French one is known).
    """
    places: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    words: dict[tuple[str, str, str], str] = {}
    for row in rows:
        for column in TITLE_COLUMNS:
            match = TITLE_PARTS.match(_clean(row[column], row["version"]))
            if match and row["jurisdiction"]:
                places[(row["jurisdiction"], column)][match["place"]] += 1
            if match and not row["jurisdiction"]:
                words[(row["identifier"], row["version"], column)] = match["words"]
    titles: dict[str, dict[str, str]] = {}
    for row in rows:
        code, version, port = row["identifier"], row["version"], row["jurisdiction"]
        titles[row["uri"]] = {}
        for column in TITLE_COLUMNS:
            title = _clean(row[column], version)
            match = TITLE_PARTS.match(title)
            if port and places[(port, column)]:
                place = places[(port, column)].most_common(1)[0][0]
            else:
                place = places[(port, "title_en")].most_common(1)[0][0] if port else ""
            if match and port and match["place"] != place:
                title = f"{match['words']} {version} {place}"
            elif not match and port and (code, version, column) in words:
                title = f"{words[(code, version, column)]} {version} {place}"
            titles[row["uri"]][column] = title
    return titles


def short_form(code: str, version: str, port: str) -> str:
    """``CC BY-NC-SA 2.5 CA``: how people abbreviate a licence."""
    elements = "-".join(SHORT_ELEMENTS[e] for e in _elements_of(code))
    return " ".join(p for p in ("CC", elements, version, port.upper()) if p)


def spdx_like(code: str, version: str, port: str) -> str:
    """``CC-BY-NC-SA-2.5-CA``: SPDX's spelling (an id only when SPDX lists it)."""
    spdx_code = "by-nc-nd" if code == "by-nd-nc" else code
    return "-".join(p for p in ("CC", spdx_code.upper(), version, port.upper()) if p)


def _elements_of(code: str) -> list[str]:
    return code.split("-")


def cc_licences(rows: Sequence[dict[str, str]], spdx: set[str]) -> list[Concept]:
    """One concept per kept CC licence row.

    AltLabels are the other French wording and the short form (``CC BY-NC-SA 2.5 CA``), which
    also covers ``CC-BY-NC-SA-2.5-CA`` once folded; "Creative Commons …" / "Licence …" prefixes
    are left to the parser, which reads them anyway (fewer triples: the file loads faster).
    """
    titles = repaired_titles(rows)
    concepts = []
    for row in rows:
        code, version, port = row["identifier"], row["version"], row["jurisdiction"]
        if code not in CODE_ORDER or not version:
            continue
        concept = Concept(uri=row["uri"])
        en, fr, fr_ca = (titles[row["uri"]][column] for column in TITLE_COLUMNS)
        concept.pref["en"] = en
        concept.pref["fr"] = (fr_ca if port == "ca" else fr) or fr or fr_ca or en
        for text in {fr, fr_ca} - {concept.pref["fr"], ""}:
            concept.alt.add(("fr", text))
        concept.alt.add(("", short_form(code, version, port)))
        spdx_id = spdx_like(code, version, port)
        if spdx_id in spdx:
            concept.alt.add(("", spdx_id))
            concept.notations.add((spdx_id, "SPDX"))
        family = FAMILIES[code]
        concept.flags(open_=True, free_access=True, family=family, kind="cc-licence")
        concept.literal("code", code)
        concept.literal("version", version)
        if port:
            concept.literal("port", port)
        if row["deprecatedOn"]:
            concept.literal("deprecatedOn", row["deprecatedOn"], "date")
        if row["isReplacedBy"]:
            concept.link("dct:isReplacedBy", row["isReplacedBy"])
        for legalcode in row["legalcode"].split():
            concept.link("ren:legalcode", legalcode)
        family_code = FAMILY_OF_CODE.get(code, code)
        if family_code in MAIN_CODES:
            concept.link("skos:broader", SCHEME + "cc-" + family_code)
        concept.link("skos:broadMatch", KIM + KIM_TYPE[family])
        if code in KIM_SHARE_ALIKE:
            concept.link("skos:broadMatch", KIM + "shareAlike")
        if port == "ca":
            concept.note(
                "skos:scopeNote",
                "fr",
                "Port canadien de CC : il n'existe qu'en versions 2.0 et 2.5 (ni 3.0 ni 4.0 Canada).",
            )
            concept.note(
                "skos:scopeNote",
                "en",
                "CC Canada port: it exists only in versions 2.0 and 2.5 (no 3.0 or 4.0).",
            )
        concepts.append(concept)
    return concepts


def cc_families(rows: Sequence[dict[str, str]]) -> list[Concept]:
    """The six "version not specified" families, with every wording CC used for their elements."""
    wordings: dict[str, set[tuple[str, str]]] = {code: set() for code in MAIN_CODES}
    for row in rows:
        code = FAMILY_OF_CODE.get(row["identifier"], row["identifier"])
        if code not in wordings or not row["version"]:
            continue
        for lang, column in (("en", "title_en"), ("fr", "title_fr"), ("fr", "title_fr_ca")):
            words = VERSION_SUFFIX.sub("", _clean(row[column], row["version"]))
            if words and not any(ch.isdigit() for ch in words):
                wordings[code].add((lang, words))
    families = []
    for code in MAIN_CODES:
        elements = "-".join(SHORT_ELEMENTS[e] for e in _elements_of(code))
        concept = Concept(uri=SCHEME + "cc-" + code, top=True)
        concept.pref["fr"] = f"CC {elements} (version non précisée)"
        concept.pref["en"] = f"CC {elements} (version not specified)"
        concept.alt.update({("", f"CC {elements}"), ("", f"CC-{elements}")})
        for lang, words in sorted(wordings[code]):
            if "-" in words:  # a bare "Attribution" / "Paternité" is too often not about CC
                concept.alt.add((lang, words))
            concept.alt.add((lang, f"Creative Commons {words}"))
        family = FAMILIES[code]
        concept.flags(open_=True, free_access=True, family=family, kind="cc-family")
        concept.literal("code", code)
        concept.link("skos:broadMatch", KIM + KIM_TYPE[family])
        if code in KIM_SHARE_ALIKE:
            concept.link("skos:broadMatch", KIM + "shareAlike")
        concept.note(
            "skos:scopeNote",
            "fr",
            "Famille de licences : utilisée seulement quand la notice ne précise ni la version ni le port "
            "(la notice est signalée LICENCE_AMBIGUOUS).",
        )
        concept.note(
            "skos:scopeNote",
            "en",
            "Licence family: used only when a record gives neither version nor port "
            "(the record is flagged LICENCE_AMBIGUOUS).",
        )
        families.append(concept)
    return families


def public_domain(rows: Sequence[dict[str, str]], spdx: set[str]) -> list[Concept]:
    """CC0, the Public Domain Mark, and CC's deprecated public-domain dedication."""
    by_uri = {row["uri"]: row for row in rows}
    zero = Concept(uri=CC + "publicdomain/zero/1.0/", top=True)
    mark = Concept(uri=CC + "publicdomain/mark/1.0/", top=True)
    old = Concept(uri=CC + "licenses/publicdomain/")
    zero.pref.update(en="CC0 1.0 Universal", fr="CC0 1.0 universel")
    zero.alt.update(
        {
            ("", "CC0"),
            ("", "CC0 1.0"),
            ("", "CC-0"),
            ("en", "Creative Commons Zero"),
            ("en", "CC0 Public Domain Dedication"),
            ("fr", "Transfert dans le domaine public CC0"),
            ("fr", "Renonciation au droit d'auteur CC0"),
        }
    )
    mark.pref.update(en="Public Domain Mark 1.0", fr="Marque du domaine public 1.0")
    mark.alt.update(
        {
            ("", "PDM"),
            ("", "PDM 1.0"),
            ("en", "Public Domain Mark"),
            ("fr", "Marque du domaine public"),
            ("fr", "Domaine public"),
            ("en", "Public domain"),
        }
    )
    mark.note(
        "skos:scopeNote",
        "fr",
        "Marque, pas une licence : œuvre libre de droit d'auteur connu. "
        "Le texte libre « domaine public » est rattaché ici.",
    )
    old.pref.update(en="Public Domain (CC, deprecated)", fr="Domaine public (CC, obsolète)")
    old.link("skos:broader", mark.uri)
    for concept, code in ((zero, "CC0-1.0"), (mark, "CC-PDM-1.0")):
        if code in spdx:
            concept.notations.add((code, "SPDX"))
    for concept in (zero, mark, old):
        row = by_uri.get(concept.uri)
        if row and row["deprecatedOn"]:
            concept.literal("deprecatedOn", row["deprecatedOn"], "date")
        for legalcode in row["legalcode"].split() if row else ():
            if legalcode.startswith(concept.uri):  # CC's RDF gives the Mark CC0's legal code: it has none
                concept.link("ren:legalcode", legalcode)
        concept.flags(open_=True, free_access=True, family="public-domain", kind="public-domain")
        concept.link("skos:broadMatch", KIM + "publicDomain")
    zero.literal("code", "zero")
    zero.literal("version", "1.0")
    mark.literal("code", "mark")
    mark.literal("version", "1.0")
    return [zero, mark, old]


# ---------------------------------------------------------------------------------------------
# Written here: Etalab, and what we say of the rights statements


def etalab(spdx: set[str]) -> list[Concept]:
    """The French government's Licence Ouverte (attribution only, compatible with CC BY)."""
    concepts = []
    documents: dict[str, tuple[str, ...]] = {
        "1.0": (),  # no stable official address found for 1.0 (2011): to verify
        "2.0": (
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
            "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
            "https://www.etalab.gouv.fr/wp-content/uploads/2018/11/open-licence.pdf",
        ),
    }
    for version, seen_at in documents.items():
        concept = Concept(uri=f"{SCHEME}etalab-{version}", top=True)
        concept.pref.update(
            fr=f"Licence Ouverte / Open Licence {version} (Etalab)", en=f"Open Licence {version} (Etalab)"
        )
        concept.alt.update(
            {
                ("fr", f"Licence Ouverte {version}"),
                ("fr", f"Licence Ouverte Etalab {version}"),
                ("en", f"Etalab Open Licence {version}"),
                ("en", f"Etalab Open License {version}"),
                ("", f"etalab-{version}"),
                ("", f"LO {version}"),
            }
        )
        if f"etalab-{version}" in spdx:
            concept.notations.add((f"etalab-{version}", "SPDX"))
            concept.link("skos:exactMatch", f"https://spdx.org/licenses/etalab-{version}.html")
        for url in seen_at:
            concept.link("rdfs:seeAlso", url)
        concept.flags(open_=True, free_access=True, family="open", kind="open-licence")
        concept.literal("code", "etalab")
        concept.literal("version", version)
        concept.link("skos:broadMatch", KIM + "attribution")
        concept.note("skos:scopeNote", "fr", "Paternité seulement ; compatible avec CC BY.")
        if not seen_at:
            concept.note("skos:editorialNote", "en", "Official address of this version not verified.")
        concepts.append(concept)
    return concepts


RIGHTS_STATEMENTS: dict[str, tuple[str, bool, tuple[tuple[str, str], ...]]] = {
    "InC": (
        "all-rights-reserved",
        False,
        (
            ("fr", "Tous droits réservés"),
            ("fr", "Droits réservés"),
            ("fr", "Droits d'auteur prévus par la loi"),
            ("fr", "Droit d'auteur"),
            ("en", "All rights reserved"),
            ("en", "Copyright"),
        ),
    ),
    "InC-EDU": (
        "educational-use",
        True,
        (
            ("fr", "Utilisation pédagogique autorisée"),
            ("fr", "Reproduction autorisée pour un usage en classe"),
            ("en", "Educational use permitted"),
        ),
    ),
    "InC-NC": ("all-rights-reserved", True, (("fr", "Utilisation non commerciale autorisée"),)),
    "InC-OW-EU": ("all-rights-reserved", False, ()),
    "InC-RUU": ("all-rights-reserved", False, ()),
    "NoC-CR": ("public-domain", True, ()),
    "NoC-NC": ("public-domain", True, ()),
    "NoC-OKLR": ("public-domain", True, ()),
    "NoC-US": ("public-domain", True, ()),
    "NKC": ("public-domain", True, ()),
    "CNE": ("undetermined", False, (("fr", "Droit d'auteur non évalué"),)),
    "UND": ("undetermined", False, (("fr", "Droit d'auteur indéterminé"),)),
}
"""Statement id → (family, free access, extra altLabels seen in records). Never ``ren:open``:
a statement is not a licence; with one, reuse still needs the rights holder's permission."""


def rights_statements(folder: Path) -> list[Concept]:
    """The 12 RightsStatements.org statements, labels from their official JSON-LD (fr, en)."""
    concepts = []
    for ident, (family, free_access, extra) in RIGHTS_STATEMENTS.items():
        concept = Concept(uri=f"{RIGHTS}{ident}/1.0/", top=ident == "InC")
        for lang in ("fr", "en"):
            path = folder / f"{ident}_{lang}.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            concept.pref[lang] = str(data["prefLabel"])
        concept.notations.add((ident, None))
        concept.alt.update(extra)
        concept.flags(open_=False, free_access=free_access, family=family, kind="rights-statement")
        concept.literal("code", ident)
        concept.literal("version", "1.0")
        if ident.startswith("InC"):
            concept.link("skos:broadMatch", KIM + "noLicense")
        if ident != "InC" and ident.startswith("InC"):
            concept.link("skos:broader", f"{RIGHTS}InC/1.0/")
        concepts.append(concept)
    return concepts


# ---------------------------------------------------------------------------------------------
# Turtle writer: fixed predicate order, sorted values, so the file only changes when data does

PREFIXES = (
    ("lic", SCHEME),
    ("ren", REN),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
)
LITERAL_ORDER = ("kind", "code", "version", "port", "family", "open", "freeAccess", "deprecatedOn")
LINK_ORDER = (
    "skos:broader",
    "skos:exactMatch",
    "skos:broadMatch",
    "dct:isReplacedBy",
    "ren:legalcode",
    "rdfs:seeAlso",
)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _tagged(lang: str, text: str) -> str:
    return _string(text) + (f"@{lang}" if lang else "")


def _iri(uri: str) -> str:
    if uri.startswith(SCHEME) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", uri[len(SCHEME) :]):
        local = uri[len(SCHEME) :]
        if not local.endswith("."):
            return f"lic:{local}"
    return f"<{uri}>"


def _lines(concept: Concept) -> list[str]:
    parts: list[tuple[str, list[str]]] = [("a", ["skos:Concept"]), ("skos:inScheme", ["lic:"])]
    if concept.top:
        parts.append(("skos:topConceptOf", ["lic:"]))
    parts.append(("skos:prefLabel", [_tagged(lang, text) for lang, text in sorted(concept.pref.items())]))
    if concept.alt:
        alt = concept.alt - set(concept.pref.items())
        parts.append(("skos:altLabel", [_tagged(lang, text) for lang, text in sorted(alt)]))
    if concept.notations:
        parts.append(
            (
                "skos:notation",
                [_string(v) + (f"^^ren:{dt}" if dt else "") for v, dt in sorted(concept.notations, key=str)],
            )
        )
    for name in LITERAL_ORDER:
        literals = concept.literals.get(name, set())
        typed = [_string(v) + (f"^^xsd:{dt}" if dt else "") for v, dt in sorted(literals, key=str)]
        parts.append((f"ren:{name}", typed))
    for prop in LINK_ORDER:
        if prop in concept.links:
            parts.append((prop, [_iri(u) for u in sorted(concept.links[prop])]))
    for prop in sorted(concept.notes):
        parts.append((prop, [_tagged(lang, text) for lang, text in sorted(concept.notes[prop])]))
    parts = [(p, v) for p, v in parts if v]
    lines = [f"{_iri(concept.uri)}"]
    for i, (prop, values) in enumerate(parts):
        end = " ." if i == len(parts) - 1 else " ;"
        if len(values) == 1:
            lines.append(f"    {prop} {values[0]}{end}")
        else:
            lines.append(f"    {prop}")
            for j, value in enumerate(values):
                lines.append(f"        {value}{',' if j < len(values) - 1 else end}")
    return lines


HEADER = """\
# GENERATED by tools/generate_licences.py — do not edit by hand: change the generator and re-run
#   .venv/bin/python tools/generate_licences.py
# Sources: Creative Commons' RDF (cc-archive/cc.licenserdf, via ../shared/standards/derived/
# cc-licenserdf-licences.csv; MIT), SPDX licence ids (jslicense/spdx-license-ids; CC0), the
# RightsStatements.org data model (CC0); families, Etalab and the ren: properties are our own.
#
# Concept URI = the canonical licence URI (http, no www, trailing slash, no deed/legalcode), so
# Controlled.licence is the licence's own identifier. ren:open = the licence lets anyone reuse and
# redistribute (all CC licences incl. NC/ND, CC0, PDM, Etalab); ren:freeAccess = use without asking;
# ren:family = the facet (open, non-commercial, no-derivatives, non-commercial-no-derivatives,
# public-domain, educational-use, all-rights-reserved, undetermined); ren:kind = cc-licence,
# cc-family, public-domain, open-licence, rights-statement. Left out of the CSV: software
# wrappers (GPL, LGPL, BSD, MIT), sampling licences, Developing Nations.
"""


def render(csv_path: Path, spdx_path: Path, rights_dir: Path) -> str:
    """The whole Turtle document, deterministic for the same inputs."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    spdx = set(json.loads(spdx_path.read_text(encoding="utf-8")))

    def cc_key(concept: Concept) -> tuple[int, str, str]:
        code = next(iter(concept.literals["code"]))[0]
        version = next(iter(concept.literals["version"]))[0]
        port = next(iter(concept.literals.get("port", {("", None)})))[0]
        return (CODE_ORDER[code], version, port)

    families = cc_families(rows)
    licences = sorted(cc_licences(rows, spdx), key=cc_key)
    sections = (
        ("Creative Commons families (version not specified)", families),
        ("Creative Commons licences", licences),
        ("Public domain", public_domain(rows, spdx)),
        ("Etalab Licence Ouverte", etalab(spdx)),
        ("RightsStatements.org statements (not licences)", rights_statements(rights_dir)),
    )
    out = [HEADER]
    out.extend(f"@prefix {prefix}: <{uri}> ." for prefix, uri in PREFIXES)
    out.append("")
    tops = sorted(_iri(c.uri) for _, concepts in sections for c in concepts if c.top)
    out.append("lic: a skos:ConceptScheme ;")
    out.append('    dct:title "Licences et déclarations de droits"@fr, "Licences and rights statements"@en ;')
    out.append("    skos:hasTopConcept")
    out.extend(f"        {t}{',' if i < len(tops) - 1 else ' .'}" for i, t in enumerate(tops))
    for title, concepts in sections:
        out.append("")
        out.append(f"# --- {title} ({len(concepts)}) ---")
        for concept in concepts:
            out.append("")
            out.extend(_lines(concept))
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="cc-licenserdf-licences.csv")
    parser.add_argument("--spdx", type=Path, default=DEFAULT_SPDX, help="spdx-license-ids index.json")
    parser.add_argument(
        "--rights", type=Path, default=DEFAULT_RIGHTS, help="rightsstatements data-model folder"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 when --output differs from a fresh run")
    args = parser.parse_args(argv)
    for path in (args.csv, args.spdx, args.rights):
        if not path.exists():
            print(f"generate_licences: {path} not found (is ../shared there?)", file=sys.stderr)
            return 2
    text = render(args.csv, args.spdx, args.rights)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"generate_licences: {args.output} is stale; re-run the generator", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

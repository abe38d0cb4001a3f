"""Licences: what a record says about its rights, mapped to one concept of ``licences.ttl``.

Sources rarely give a licence URI. Normetic puts free text in LOM 6.3 ("Creative Commons
Paternité-Pas d'Utilisation Commerciale-Partage des Conditions Initiales à l'Identique 2.5
Canada."), Dublin Core puts anything in ``dc:rights`` ("© CCDMD 2011", a ``deed.fr`` link). So the
text is *parsed*, not looked up: a CC licence is its elements (BY, NC, ND, SA, in every French
and English wording CC used), a version and a port, checked against the concepts that exist.
Every candidate (each language of the description, French first, then the mapper's
``licence_uri``) is read in this order, the first step that says something deciding for it:

1. the whole text as a label, SPDX id or short form of the vocabulary (``CC BY-NC-SA 4.0``);
2. a URL: ``https``/``www``/``deed.fr``/``legalcode``/missing slash/case do not matter;
3. CC0, the Public Domain Mark, Etalab's Licence Ouverte, then CC elements + version + port;
4. statements that are not licences, as RightsStatements.org concepts: "domaine public" → PDM,
   classroom or educational use → ``InC-EDU``, "© …", "Tous droits réservés" → ``InC``.

What is decided (``LICENCE_AMBIGUOUS``, warning, with the suggestion):

* elements without a version ("CC BY-NC-SA") → the **family** concept ("CC BY-NC-SA, version not
  specified"): its openness and facet are certain, its version is not, so 4.0 is only
  suggested — a 2010 Quebec record saying "BY-NC-SA" most likely meant 2.5 Canada;
* a combination that never existed (``by-nc-sa/3.0/ca``: Canada has only 2.0 and 2.5; 4.0 has no
  ports) → the closest licence of the same code, the unported one of that version first;
* "Licence Creative Commons" with no element → no licence (the family is unknown);
* two candidates naming different licences → the first, the other as suggestion. A certain
  licence beats an uncertain one, and any licence beats a bare "© …" beside it (every CC work
  is copyrighted: that is no contradiction).

Unrecognized text is ``LICENCE_UNKNOWN``, no text at all ``LICENCE_MISSING`` (warnings). The
text as the source wrote it is always kept in ``licence_raw``. Whether a licence is "open enough"
for a portal is portal policy: :func:`ren_index.config.vocabularies.licence_is_open` serves
``decide``, which raises ``LICENCE_NOT_OPEN``, never this check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ren_index.config.vocabularies import Vocabulary, fold
from ren_index.model import Issue, Resource, pick_lang
from ren_index.validate.context import CheckResult, ValidationContext

_ORDER = ("by", "nc", "nd", "sa")
_UNPORTED = ("international", "unported", "non transpose", "generique", "generic", "universel", "universal")
_URL = re.compile(r"(?:https?://\S+|(?:www\.)?(?:creativecommons|rightsstatements)\.org/\S+)", re.IGNORECASE)
_TOKEN = re.compile(r"\d\.\d(?!\d)|[^\W_]+")
_TITLE = re.compile(r"^(?P<words>.*?)\s+(?P<version>\d\.\d)\s*(?P<place>.*)$")
_VERSION = re.compile(r"\b(1\.0|2\.0|2\.1|2\.5|3\.0|4\.0)\b")
_PHRASES: dict[str, re.Pattern[str]] = {
    "by": re.compile(r"\b(?:paternite|attribution)\b"),
    "nc": re.compile(r"pas d ?utilisation commerciale|\bnon ?commercial|utilisation non commerciale"),
    "nd": re.compile(r"pas de modification|pas d ?oeuvres? derivees?|\bno ?deriv|sans modification"),
    "sa": re.compile(
        r"partage (?:des conditions initiales )?a l ?identique|partage dans les memes conditions|"
        r"\bshare ?alike|partage identique"
    ),
}
_CC0 = re.compile(r"\bcc0\b|\bcc (?:0|zero)\b|creative commons zero|publicdomain zero")
_PDM = re.compile(r"public domain mark|marque du domaine public|publicdomain mark")
_PUBLIC_DOMAIN = re.compile(r"\bdomaine public\b|\bpublic domain\b")
_ETALAB = re.compile(r"\betalab\b|licence ouverte open licen[cs]e|licence ouverte (?:v ?)?[12] ?0\b")
_UND = re.compile(r"droits? d auteur indetermine|copyright undetermined")
_CNE = re.compile(r"droits? d auteur non evalue|copyright not evaluated")
_EDU = re.compile(
    r"\b(?:usage|utilisation|fins?|but) (?:\w+ )?(?:pedagogiques?|educati\w+|scolaires?|d enseignement)\b|"
    r"\ben classe\b|\beducational (?:use|purposes?)\b|\bclassroom\b"
)
_NC_USE = re.compile(
    r"\b(?:usage|utilisation|fins?) non (?:commerciale?s?|lucratifs?|lucratives?)\b|non commercial use"
)
_INC = re.compile(
    r"tous droits reserves|\bdroits reserves|all rights reserved|\bcopyright\b|\bdroits? d auteur\b|"
    r"propriete intellectuelle|\bprotegee? par\b|reproduction interdite"
)
_COPYRIGHT_SIGN = re.compile(r"©|\(c\)\s*\w", re.IGNORECASE)
_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class _Finding:
    """What one candidate text says: a concept (or None), and why it is uncertain (or None)."""

    uri: str | None
    problem: str | None = None
    suggestion: str | None = None
    asked: str | None = None
    """The licence the text literally named, when it does not exist (``CC BY-NC-SA 3.0 CA``)."""


@dataclass
class _Index:
    """Look-ups built once per loaded vocabulary, and a memo of texts already read."""

    vocabulary: Vocabulary
    cc: dict[tuple[str, str, str], str]
    versions: list[str]
    families: dict[str, str]
    ports: dict[str, str]
    port_pattern: re.Pattern[str]
    special: dict[str, str]
    by_url: dict[str, str]
    memo: dict[str, _Finding | None] = field(default_factory=dict)


_INDEXES: dict[int, _Index] = {}


def _norm(text: str) -> str:
    """Casefold, strip accents, keep words and versions (``2,5`` → ``2.5``), one space between."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    bare = re.sub(r"(\d),(\d)", r"\1.\2", bare.replace("œ", "oe").replace("æ", "ae"))
    return " ".join(_TOKEN.findall(re.sub(r"\bv(?=\d\.\d)", " ", bare)))


def _url_key(url: str) -> str:
    key = url.strip().lower().split("#")[0].split("?")[0].rstrip("/")
    key = re.sub(r"^(?:https?://)?(?:www\.)?", "", key)
    return key


def _build(vocabulary: Vocabulary) -> _Index:
    cc: dict[tuple[str, str, str], str] = {}
    families: dict[str, str] = {}
    special: dict[str, str] = {}
    ports: dict[str, str] = {name: "" for name in _UNPORTED} | {"ca": "ca", "quebec": "ca", "fr": "fr"}
    for uri, concept in sorted(vocabulary.concepts.items()):
        kind, code, version = concept.prop("kind"), concept.prop("code") or "", concept.prop("version") or ""
        if kind == "cc-licence":
            port = concept.prop("port") or ""
            cc[(code, version, port)] = uri
            # Place names from the titles ("2.5 Canada", "3.0 Pays-Bas"); of the two-letter codes
            # only "ca" and "fr" are read, the others are French words ("3.0 de l'auteur").
            for match in filter(None, (_TITLE.match(label) for label in concept.pref_labels.values())):
                if place := _norm(match["place"]):
                    ports.setdefault(place, port)
        elif kind == "cc-family":
            families[code] = uri
        elif kind in ("public-domain", "open-licence", "rights-statement") and code:
            special[f"{code}-{version}".lower()] = uri
    names = sorted(ports, key=lambda n: (-len(n), n))
    return _Index(
        vocabulary=vocabulary,
        cc=cc,
        versions=sorted({v for _, v, _ in cc}, key=float),
        families=families,
        ports=ports,
        port_pattern=re.compile(r"^(?:" + "|".join(re.escape(n) for n in names) + r")\b"),
        special=special,
        by_url={_url_key(uri): uri for uri in vocabulary.concepts},
    )


def _index(vocabulary: Vocabulary) -> _Index:
    """The index of this vocabulary object (a reload gives a new object, hence a new index)."""
    found = _INDEXES.get(id(vocabulary))
    if found is None or found.vocabulary is not vocabulary:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        found = _INDEXES[id(vocabulary)] = _build(vocabulary)
    return found


# --- Creative Commons: elements, version, port → the concept, or the closest one ----------------


def _code(elements: set[str], version: str) -> str:
    """CC's code for these elements in this version (1.0 spelled BY-NC-ND ``by-nd-nc``)."""
    if version != "1.0":
        elements = elements | {"by"}
    if version == "1.0" and {"nc", "nd"} <= elements:
        return "by-nd-nc" if "by" in elements else "nd-nc"
    return "-".join(e for e in _ORDER if e in elements)


def _short(code: str, version: str | None, port: str | None) -> str:
    return " ".join(p for p in ("CC", code.upper(), version, (port or "").upper()) if p)


def _resolve_cc(index: _Index, elements: set[str], version: str | None, port: str | None) -> _Finding | None:
    if not elements:
        return _Finding(None, "no-elements")
    if {"nd", "sa"} <= elements:
        return _Finding(None, "impossible-elements", asked=_short(_code(elements, "4.0"), version, port))
    if version is None:
        code = _code(elements, "4.0")
        newest = [(code, v, p) for p in dict.fromkeys((port or "", "")) for v in reversed(index.versions)]
        latest = next((index.cc[k] for k in newest if k in index.cc), None)
        family = index.families.get(code)
        return _Finding(family, "no-version", latest) if family or latest else None
    code = _code(elements, version)
    exact = index.cc.get((code, version, port or ""))
    if exact:
        return _Finding(exact)
    near = sorted(index.versions, key=lambda v: (abs(float(v) - float(version)), -float(v)))
    keys = [(code, version, ""), *((code, v, port) for v in near if port), *((code, v, "") for v in near)]
    closest = next((index.cc[k] for k in keys if k in index.cc), None)
    closest = closest or index.families.get(_code(elements, "4.0"))
    return (
        _Finding(closest, "no-such-licence", closest, asked=_short(code, version, port)) if closest else None
    )


def _from_url(index: _Index, url: str) -> _Finding | None:
    key = _url_key(url.rstrip(".,;:)]}>'\""))
    if key in index.by_url:
        return _concept(index, index.by_url[key])
    host, _, path = key.partition("/")
    segments = [
        s
        for s in path.split("/")
        if s and not re.fullmatch(r"(?:deed|legalcode)(?:\.[\w-]+)?|index\.\w+|rdf", s)
    ]
    if host == "creativecommons.org" and segments[:1] in (["licenses"], ["licences"]) and len(segments) > 1:
        if key.endswith("/publicdomain"):
            return _concept(index, index.by_url.get("creativecommons.org/licenses/publicdomain"))
        parts = set(segments[1].split("-"))
        if not parts <= set(_ORDER):
            return None
        version = segments[2] if len(segments) > 2 and segments[2] in index.versions else None
        return _resolve_cc(index, parts, version, segments[3] if len(segments) > 3 else None)
    if host == "creativecommons.org" and segments[:2] in (["publicdomain", "zero"], ["publicdomain", "mark"]):
        return _concept(index, index.special.get(f"{segments[1]}-1.0"))
    if host == "rightsstatements.org" and len(segments) > 1:
        return _concept(index, index.special.get(f"{segments[1]}-1.0".lower()))
    if host.endswith("etalab.gouv.fr") and re.search(r"licence.?ouverte|open.?licen", path):
        return _etalab(index, "1.0" if re.search(r"v1\b|1\.0", path) else "2.0")
    if host == "spdx.org" and len(segments) > 1:
        found = index.vocabulary.lookup.get(fold(re.sub(r"\.(?:html|json)$", "", segments[-1])), frozenset())
        return _concept(index, next(iter(found))) if len(found) == 1 else None
    return None


def _concept(index: _Index, uri: str | None) -> _Finding | None:
    """A concept found as such: a family still lacks its version."""
    if uri is None:
        return None
    if uri in index.families.values():
        code = index.vocabulary.concepts[uri].prop("code") or ""
        return _resolve_cc(index, set(code.split("-")), None, None)
    return _Finding(uri)


def _etalab(index: _Index, version: str | None) -> _Finding | None:
    uri = index.special.get(f"etalab-{version or '2.0'}")
    return _Finding(uri, None if version else "etalab-version", None if version else uri) if uri else None


# --- Reading one text ----------------------------------------------------------------------------


def _cc_from_words(index: _Index, text: str) -> _Finding | None:
    tokens = text.split()
    elements = {e for e, pattern in _PHRASES.items() if pattern.search(text)}
    coded = False
    i = 0
    while i < len(tokens):  # runs of codes: "cc by", "by-nc-sa", "CC-BY-NC-SA-4.0"
        j = i
        while j < len(tokens) and tokens[j] in _ORDER:
            j += 1
        if j > i and (j - i > 1 or (i > 0 and tokens[i - 1] in ("cc", "commons"))):
            elements.update(tokens[i:j])
            coded = True
        i = max(j, i + 1)
    version_match = _VERSION.search(text)
    version = version_match[1] if version_match else None
    # CC is meant when named, coded, or when its conditions are spelled out (two, or one + a version).
    context = coded or "creative commons" in text or "cc" in tokens or len(elements) > 1
    if not context and not (version and elements):
        return None
    port: str | None = None
    if version_match:
        after = index.port_pattern.match(text[version_match.end() :].lstrip())
        port = index.ports[after[0]] if after else None
    elif (place := re.search(r"\b(canada|quebec|france)\b", text)) is not None:
        port = index.ports.get(place[1])
    return _resolve_cc(index, elements, version, port)


def _statement(index: _Index, raw: str, text: str) -> _Finding | None:
    """Not a licence: public domain, rights statements."""
    for pattern, key in (
        (_PUBLIC_DOMAIN, "mark-1.0"),
        (_UND, "und-1.0"),
        (_CNE, "cne-1.0"),
        (_EDU, "inc-edu-1.0"),
        (_NC_USE, "inc-nc-1.0"),
        (_INC, "inc-1.0"),
    ):
        if pattern.search(text):
            return _concept(index, index.special.get(key))
    return _concept(index, index.special.get("inc-1.0")) if _COPYRIGHT_SIGN.search(raw) else None


def _read(index: _Index, raw: str) -> _Finding | None:
    """What one text says (memoized: a source repeats the same few statements)."""
    if raw in index.memo:
        return index.memo[raw]
    found = index.vocabulary.lookup.get(fold(raw), frozenset())
    finding = _concept(index, next(iter(found))) if len(found) == 1 else None
    for url in _URL.findall(raw) if finding is None else ():
        finding = _from_url(index, url)
        if finding is not None:
            break
    if finding is None:
        text = _norm(_URL.sub(" ", raw))
        if _CC0.search(text):
            finding = _concept(index, index.special.get("zero-1.0"))
        elif _PDM.search(text):
            finding = _concept(index, index.special.get("mark-1.0"))
        elif _ETALAB.search(text):
            version = re.search(r"\b([12])\.0\b|\bv ?([12])\b", text)
            finding = _etalab(index, f"{version[1] or version[2]}.0" if version else None)
        else:
            finding = _cc_from_words(index, text) or _statement(index, raw, text)
    if len(index.memo) >= _CACHE_LIMIT:
        index.memo.clear()
    index.memo[raw] = finding
    return finding


# --- The check -----------------------------------------------------------------------------------

_FIELD = "rights.description"
_PROBLEMS: dict[str, tuple[str, str]] = {
    "no-elements": (
        "Licence Creative Commons sans ses conditions (BY, NC, ND, SA) : impossible de savoir laquelle.",
        "Creative Commons licence without its conditions (BY, NC, ND, SA): which one is unknown.",
    ),
    "impossible-elements": (
        "Conditions Creative Commons incompatibles ({asked}) : ND et SA ne vont jamais ensemble.",
        "Incompatible Creative Commons conditions ({asked}): ND and SA never go together.",
    ),
    "no-version": (
        "Licence sans version : « {label_fr} » est retenue ; version suggérée : {suggestion_fr}.",
        'Licence without a version: "{label_en}" kept; suggested version: {suggestion_en}.',
    ),
    "no-such-licence": (
        "La licence {asked} n'existe pas : la plus proche, « {label_fr} », est retenue (à confirmer).",
        'There is no {asked} licence: the closest one, "{label_en}", is kept (to be confirmed).',
    ),
    "etalab-version": (
        "Licence Ouverte sans version : la 2.0, en vigueur, est retenue (à confirmer).",
        "Licence Ouverte without a version: the current 2.0 is kept (to be confirmed).",
    ),
    "conflict": (
        "La notice indique plusieurs licences : « {label_fr} » est retenue, « {suggestion_fr} » est aussi "
        "mentionnée.",
        'The record states several licences: "{label_en}" kept, "{suggestion_en}" also stated.',
    ),
}


def _label(vocabulary: Vocabulary, uri: str | None, lang: str) -> str:
    concept = vocabulary.get(uri) if uri else None
    return concept.label(lang) if concept else (uri or "—")


def _ambiguous(vocabulary: Vocabulary, finding: _Finding, problem: str, raw: str, field_: str) -> Issue:
    values = {
        "asked": finding.asked or "",
        **{f"label_{lang}": _label(vocabulary, finding.uri, lang) for lang in ("fr", "en")},
        **{f"suggestion_{lang}": _label(vocabulary, finding.suggestion, lang) for lang in ("fr", "en")},
    }
    message_fr, message_en = _PROBLEMS[problem]
    return Issue(
        code="LICENCE_AMBIGUOUS",
        severity="warning",
        field=field_,
        message_fr=message_fr.format(**values),
        message_en=message_en.format(**values),
        value=raw,
        suggestion=finding.suggestion,
    )


def _candidates(resource: Resource) -> list[tuple[str, str]]:
    """(field, text) in reading order: the description, French first, then the licence URI."""
    description = resource.rights.description
    first = pick_lang(description)
    texts = [first] if first else []
    texts += [t for t in description.values() if t not in texts]
    found = [(_FIELD, t.strip()) for t in texts if t and t.strip()]
    uri = (resource.rights.licence_uri or "").strip()
    if uri and all(uri not in text for _, text in found):
        found.append(("rights.licence_uri", uri))
    return found


def check_licence(resource: Resource, ctx: ValidationContext) -> CheckResult:
    """Controlled ``licence`` (concept URI or None) and ``licence_raw``; LICENCE_MISSING,
    LICENCE_UNKNOWN or LICENCE_AMBIGUOUS (warnings). Never LICENCE_NOT_OPEN: that is per portal."""
    vocabulary = ctx.vocabularies.licences
    candidates = _candidates(resource)
    if not candidates:
        silent = resource.rights.copyright is False
        return {"licence": None, "licence_raw": None}, [
            Issue(
                code="LICENCE_MISSING",
                severity="warning",
                field=_FIELD,
                message_fr="Aucune licence ni déclaration de droits."
                + (
                    " La notice dit seulement : pas de restriction de droit d'auteur (LOM 6.2)."
                    if silent
                    else ""
                ),
                message_en="No licence or rights statement."
                + (" The record only says: no copyright restriction (LOM 6.2)." if silent else ""),
            )
        ]
    index = _index(vocabulary)
    read = [(field_, raw, _read(index, raw)) for field_, raw in candidates]
    found = [(f, r, x) for f, r, x in read if x is not None]
    if not found:
        field_, raw = candidates[0]
        return {"licence": None, "licence_raw": raw}, [
            Issue(
                code="LICENCE_UNKNOWN",
                severity="warning",
                field=field_,
                message_fr="Licence non reconnue : indiquer la licence (p. ex. CC BY 4.0) "
                "ou une déclaration de droits.",
                message_en="Licence not recognized: state the licence (e.g. CC BY 4.0) "
                "or a rights statement.",
                value=raw,
            )
        ]
    notice = index.special.get("inc-1.0")

    def rank(item: tuple[str, str, _Finding]) -> tuple[bool, bool, bool]:
        # A certain licence first, then any licence, a bare copyright notice ("© …") last.
        finding = item[2]
        return (finding.uri is None, finding.problem is not None, finding.uri == notice)

    field_, raw, chosen = min(found, key=rank)
    issues = [_ambiguous(vocabulary, chosen, chosen.problem, raw, field_)] if chosen.problem else []
    related = {chosen.uri, notice, *vocabulary.ancestors(chosen.uri or "")}
    others = sorted({x.uri for _, _, x in found if x.uri and x.uri not in related})
    if not issues and chosen.uri and others:
        conflict = _Finding(chosen.uri, "conflict", others[0])
        issues.append(_ambiguous(vocabulary, conflict, "conflict", raw, field_))
    return {"licence": chosen.uri, "licence_raw": raw}, issues

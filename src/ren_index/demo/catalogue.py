"""The demo catalogue: a few hundred learning-resource records, the same on every run.

The demo source must exercise the whole pipeline, so it is built like a real Quebec repository:
mostly French, some English, every order of education from préscolaire to doctorat, half LOM
(Normetic style) and half Dublin Core, licences typed by hand, some withdrawn records and a set of
records broken on purpose (missing title, bad URL, HTML in the description...). Each record carries
its *ground truth* (true order, true text language, the defects planted in it) so that tests can
check what the pipeline made of it; that truth is never served over OAI-PMH.

Generation is pure: a fixed-seed :class:`random.Random` walks hand-written building blocks
(:mod:`~ren_index.demo.levels`, :mod:`~ren_index.demo.topics`,
:mod:`~ren_index.demo.catalogue_data`), so two runs give byte-identical records.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

from ren_index.demo import catalogue_data as data
from ren_index.demo import levels, topics
from ren_index.demo.catalogue_data import ResourceType
from ren_index.demo.levels import Vocab
from ren_index.demo.topics import Topic

IDENTIFIER_PREFIX = "oai:demo.ren-index.example:"
BASE_URL = "https://ressources.example.qc.ca"
SEED = 20260115
_FIRST_STAMP = datetime(2023, 1, 2, tzinfo=UTC)
_LAST_STAMP = datetime(2026, 10, 30, tzinfo=UTC)

MetadataFormat = Literal["lom", "oai_dc"]
Changes = dict[str, Any]
"""Field changes for :func:`dataclasses.replace` when planting a defect."""


@dataclass(frozen=True)
class DemoRecord:
    """One record of the demo repository: its OAI header, its metadata, and its ground truth.

    Metadata fields hold values *as the source states them* (``language`` may be ``"fre"``,
    ``levels`` may be ``(NORMETIC, "cegep")`` or ``(None, "Sec. 3")``); ``None`` or ``()`` means
    the source is silent. In oai_dc, ``levels`` are served as ``dc:subject`` beside the keywords,
    the way Quebec Dublin Core sources usually do it.
    """

    identifier: str
    datestamp: str
    deleted: bool
    set_specs: tuple[str, ...]
    metadata_format: MetadataFormat
    title: str | None
    description: str | None
    language: str | None
    keywords: tuple[str, ...]
    url: str | None
    publisher: str | None
    author: str | None
    created: str | None
    resource_types: tuple[Vocab, ...]
    formats: tuple[str, ...]
    levels: tuple[Vocab, ...]
    age_range: str | None
    licence: str | None
    cost: bool = False
    discipline: str | None = None
    # Ground truth: known to the demo, never disseminated.
    order: str | None = None
    text_language: str = "fr"
    licence_style: str = "none"
    defects: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        """The record's number, the ``<n>`` of ``oai:demo.ren-index.example:<n>``."""
        return int(self.identifier.rsplit(":", 1)[1])


def demo_records() -> list[DemoRecord]:
    """The whole demo catalogue, ordered by number (a fresh list each call; records are frozen)."""
    return list(_catalogue())


@cache
def _catalogue() -> tuple[DemoRecord, ...]:
    rng = random.Random(SEED)
    records: list[DemoRecord] = []
    seen_titles: set[str] = set()
    for order in levels.ORDERS:
        for k in range(levels.RECORDS_PER_ORDER[order]):
            number = len(records) + 1
            english = _is_english(order, number)
            topic, rtype = _pick(order, k, number, english, seen_titles)
            records.append(_generate(number, order, k, topic, rtype, english, rng))
    records = _plant_problems(records)
    records = _withdraw(records)
    return tuple(records)


def _is_english(order: str, number: int) -> bool:
    """About 15% English, a little more in higher education, none at préscolaire."""
    if order == "prescolaire":
        return False
    return number % 7 == 3 or (order in levels.PAVILLON_ORDERS and number % 17 == 5)


def _title(topic: Topic, rtype: ResourceType, english: bool) -> str:
    return f"{rtype[2]}: {topic[2]}" if english else f"{rtype[1]} : {topic[1]}"


def _pick(order: str, k: int, number: int, english: bool, seen: set[str]) -> tuple[Topic, ResourceType]:
    """A topic and a resource type for this record, varied until its title is new."""
    band_topics = topics.TOPICS[levels.band_of(order)]
    kinds = data.RESOURCE_TYPES
    topic = band_topics[(k + number) % len(band_topics)]
    for shift in range(len(band_topics) * len(kinds)):
        topic = band_topics[(k + number + shift // len(kinds)) % len(band_topics)]
        rtype = kinds[(number * 7 + k + shift) % len(kinds)]
        if _title(topic, rtype, english) not in seen:
            break
    seen.add(_title(topic, rtype, english))
    return topic, rtype


def _stamp(rng: random.Random) -> str:
    span = int((_LAST_STAMP - _FIRST_STAMP).total_seconds())
    moment = _FIRST_STAMP + timedelta(seconds=rng.randrange(span))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _generate(
    number: int,
    order: str,
    k: int,
    topic: Topic,
    rtype: ResourceType,
    english: bool,
    rng: random.Random,
) -> DemoRecord:
    """One healthy record; half the records (odd numbers) are LOM-native, half Dublin Core."""
    lom = number % 2 == 1
    discipline, topic_fr, topic_en, kw_fr, kw_en = topic
    key, _prefix_fr, _prefix_en, lom_types, dc_type, mime, folder = rtype
    audience_fr, audience_en = levels.AUDIENCE[order]
    pavillon = order in levels.PAVILLON_ORDERS
    if english:
        description = data.DESCRIPTIONS_EN[key].format(topic=topic_en.lower(), audience=audience_en)
        description += " " + rng.choice(data.EXTRA_SENTENCES_EN)
        keywords = kw_en
        language = rng.choice(data.LANGUAGES_EN)
        publishers = data.HIGHER_ED_PUBLISHERS_EN if pavillon else data.SCHOOL_PUBLISHERS_EN
        author = rng.choice(data.AUTHORS_EN)
    else:
        description = data.DESCRIPTIONS_FR[key].format(topic=topic_fr, audience=audience_fr)
        description += " " + rng.choice(data.EXTRA_SENTENCES_FR)
        keywords = kw_fr
        language = rng.choice(data.LOM_LANGUAGES_FR if lom else data.DC_LANGUAGES_FR)
        publishers = data.HIGHER_ED_PUBLISHERS if pavillon else data.SCHOOL_PUBLISHERS
        author = rng.choice(data.AUTHORS)
    if lom:
        contexts, age = rng.choice(levels.LOM_LEVELS[order])
        stated_levels: tuple[Vocab, ...] = contexts
        types: tuple[Vocab, ...] = lom_types
    else:
        words = levels.DC_LEVELS_EN[order] if english else rng.choice(levels.DC_LEVELS_FR[order])
        stated_levels, age = tuple((None, w) for w in words), None
        types = ((None, dc_type),)
    style, licence = data.LICENCES[(number * 5 + k) % len(data.LICENCES)]
    slug = _slug(topic_fr)
    return DemoRecord(
        identifier=f"{IDENTIFIER_PREFIX}{number}",
        datestamp=_stamp(rng),
        deleted=False,
        set_specs=("pavillon" if pavillon else "ecole-ouverte", discipline),
        metadata_format="lom" if lom else "oai_dc",
        title=_title(topic, rtype, english),
        description=description,
        language=language,
        keywords=keywords,
        url=f"{BASE_URL}/{folder}/{slug}-{number:04d}",
        publisher=rng.choice(publishers),
        author=author if rng.random() < 0.8 else None,
        created=_created(rng),
        resource_types=types,
        formats=(mime,),
        levels=stated_levels,
        age_range=age,
        licence=licence,
        cost=licence is not None and style in ("all-rights-reserved", "copyright-notice") and k % 3 == 0,
        discipline=discipline,
        order=order,
        text_language="en" if english else "fr",
        licence_style=style,
    )


def _created(rng: random.Random) -> str:
    """When the resource itself was made (LOM lifeCycle date, dc:date): 2015 to 2025."""
    return f"{rng.randrange(2015, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def _slug(text: str) -> str:
    """A URL path segment from a French title: lower case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words[:6])


def _french(records: list[DemoRecord], fmt: str, start: int) -> DemoRecord:
    """The first French record of format ``fmt`` at or after index ``start`` with no defect yet."""
    for rec in records[start:] + records[:start]:
        if rec.metadata_format == fmt and rec.text_language == "fr" and not rec.defects:
            return rec
    raise LookupError(fmt)


def _plant_problems(records: list[DemoRecord]) -> list[DemoRecord]:
    """Break some records on purpose, the way real sources break them.

    Every planted defect is named in ``defects`` with the issue code the validator is expected to
    raise (see ``docs/validation.md``); ``DESCRIPTION_ONLY``, ``HTML_IN_DESCRIPTION`` and
    ``SCRIPT_IN_DESCRIPTION`` name the shape of the record rather than one code. The broken value
    is derived from the record itself, so a broken record still reads like its neighbours.
    """
    by_number = {r.number: r for r in records}

    def plant(fmt: str, start: int, defect: str, change: Callable[[DemoRecord], Changes]) -> None:
        rec = _french(list(by_number.values()), fmt, start)
        changed = replace(rec, **change(rec))
        by_number[rec.number] = replace(changed, defects=(*rec.defects, defect))

    plant("lom", 10, "TITLE_MISSING", lambda r: {"title": None})
    plant("oai_dc", 130, "TITLE_MISSING", lambda r: {"title": None})
    plant("lom", 40, "URL_MISSING", lambda r: {"url": None})
    plant("oai_dc", 170, "URL_MISSING", lambda r: {"url": None})
    plant("lom", 60, "LANGUAGE_MISSING", lambda r: {"language": None})
    plant("oai_dc", 95, "LANGUAGE_MISSING", lambda r: {"language": None})
    plant("lom", 150, "LANGUAGE_MISMATCH", lambda r: {"language": "en"})
    plant("oai_dc", 185, "LANGUAGE_MISMATCH", lambda r: {"language": "en"})
    plant("lom", 20, "URL_INVALID", lambda r: {"url": "htp://" + _host_path(r)})
    plant("oai_dc", 75, "URL_INVALID", lambda r: {"url": _host_path(r)})
    plant(
        "lom",
        195,
        "URL_INVALID",
        lambda r: {"url": (r.url or BASE_URL).replace("-", " ") + ".pdf"},
    )
    plant("oai_dc", 30, "HTML_IN_DESCRIPTION", lambda r: {"description": _html(r)})
    plant(
        "lom",
        120,
        "HTML_IN_DESCRIPTION",
        lambda r: {
            "description": f"<p>{r.description}&nbsp;<br/>Voir aussi "
            f'<a href="{BASE_URL}/aide">l\'aide en ligne</a>.</p>'
        },
    )
    plant(
        "oai_dc",
        160,
        "SCRIPT_IN_DESCRIPTION",
        lambda r: {"description": f"<p>{r.description}</p><script>alert(1)</script>"},
    )
    plant(
        "lom",
        90,
        "LEVEL_UNMAPPED",
        lambda r: {"levels": ((levels.NORMETIC_CONTEXT, "tous les niveaux"),)},
    )
    plant(
        "oai_dc",
        110,
        "LICENCE_UNKNOWN",
        lambda r: {"licence": "Licence libre, voir le site", "licence_style": "other"},
    )
    duplicate_of = by_number[_french(records, "oai_dc", 50).number]
    plant("oai_dc", 140, "DUPLICATE_URL", lambda r: {"url": duplicate_of.url})
    bare = _french(list(by_number.values()), "oai_dc", 200)
    by_number[bare.number] = replace(
        bare,
        title=None,
        language=None,
        keywords=(),
        url=None,
        publisher=None,
        author=None,
        created=None,
        resource_types=(),
        formats=(),
        levels=(),
        licence=None,
        licence_style="none",
        description="Banque de problèmes de logique pour stimuler le raisonnement des élèves.",
        defects=("DESCRIPTION_ONLY", "TITLE_MISSING", "URL_MISSING", "LANGUAGE_MISSING"),
    )
    return [by_number[n] for n in sorted(by_number)]


def _host_path(rec: DemoRecord) -> str:
    """The record's URL without its scheme: ``ressources.example.qc.ca/...``."""
    return (rec.url or BASE_URL).split("://", 1)[1]


def _html(rec: DemoRecord) -> str:
    """The description as a web editor exports it: paragraphs, bold and italics."""
    first, _, rest = (rec.description or "").partition(". ")
    return f"<p><b>{first}.</b></p><p>{rest}</p><p>Comprend un <i>cahier de l'élève</i> et un corrigé.</p>"


def _withdraw(records: list[DemoRecord]) -> list[DemoRecord]:
    """Mark about ten healthy records, one in every nineteen (both formats), as deleted at the source."""
    urls = [r.url for r in records]
    out = list(records)
    for target in range(6, len(out), 19):
        for i in range(target, len(out)):
            rec = out[i]
            if not rec.defects and not rec.deleted and urls.count(rec.url) == 1:
                out[i] = replace(rec, deleted=True)
                break
    return out

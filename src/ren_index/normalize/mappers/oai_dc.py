"""Crosswalk: simple Dublin Core (``oai_dc``) -> canonical :class:`~ren_index.model.Resource`.

One small function per target field, so the mapping reads like the crosswalk table it is:

=====================================  ====================================================
oai_dc                                 Resource
=====================================  ====================================================
dc:title                               general.title
dc:description (HTML stripped)         general.description
dc:description, when it held HTML      general.description_raw (as harvested)
dc:subject                             general.keywords
dc:language (as given)                 general.languages
dc:identifier, not a URL               general.identifiers
dc:identifier, a URL                   technical.locations
dc:coverage                            general.coverage
dc:creator / contributor / publisher   lifecycle.contributions (role author / contributor /
                                       publisher)
dc:date (first readable one)           lifecycle.date
dc:type                                resource_types (Term, no source)
dc:format                              technical.formats
dc:rights, dcterms:rights, :license    rights.description; a URL -> rights.licence_uri
=====================================  ====================================================

Language comes from ``xml:lang`` (``und`` without it). Elements are looked up anywhere below the
root, so a ``<dc>`` wrapped in one more element still maps.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from ren_index.model import (
    Contribution,
    General,
    Identifier,
    Issue,
    LangString,
    Lifecycle,
    Provenance,
    Resource,
    Rights,
    Technical,
    Term,
)
from ren_index.normalize.mappers import issues
from ren_index.normalize.mappers.text import (
    add_text,
    as_harvested,
    clean_text,
    html_to_text,
    inner_text,
    lang_tag,
    markup_only,
)
from ren_index.normalize.mappers.values import is_url, iso_date, licence_uri

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_ROLES = (("creator", "author"), ("contributor", "contributor"), ("publisher", "publisher"))


class _Dc:
    """A Dublin Core record's elements grouped by tag, from one walk over the tree.

    The crosswalk asks for some twenty element names a record; a ``root.iter(tag)`` per name
    walked the whole tree each time and was the mapper's dearest line. Document order is kept
    within a tag, as ``iter(tag)`` gives it.
    """

    __slots__ = ("by_tag",)

    def __init__(self, root: etree._Element) -> None:
        self.by_tag: dict[str, list[etree._Element]] = {}
        for element in root.iter():
            tag = element.tag
            if isinstance(tag, str):  # comments and processing instructions have no tag to match
                if tag in self.by_tag:
                    self.by_tag[tag].append(element)
                else:
                    self.by_tag[tag] = [element]


def _elements(root: _Dc, name: str, ns: str = DC) -> list[etree._Element]:
    return list(root.by_tag.get(f"{{{ns}}}{name}", ()))


def _raw(element: etree._Element) -> str:
    return inner_text(element)


def _texts(root: _Dc, name: str, ns: str = DC) -> list[str]:
    """Non-empty cleaned values, in document order, without repeats."""
    values = (clean_text(_raw(el)) for el in _elements(root, name, ns))
    return list(dict.fromkeys(v for v in values if v))


def _langstring(
    elements: list[etree._Element],
    clean: Callable[[str | None], str] = clean_text,
    *,
    join: bool = False,
) -> LangString:
    text: LangString = {}
    for element in elements:
        add_text(text, lang_tag(element.get(XML_LANG)), clean(_raw(element)), join=join)
    return text


def _title(root: _Dc) -> LangString:
    return _langstring(_elements(root, "title"))


def _description_elements(root: _Dc) -> list[etree._Element]:
    return _elements(root, "description") + _elements(root, "abstract", DCTERMS)


def _description(root: _Dc) -> LangString:
    return _langstring(_description_elements(root), html_to_text, join=True)


def _description_raw(root: _Dc) -> LangString:
    """The descriptions as harvested, for the languages where they held markup (sanitized later)."""
    return markup_only(_langstring(_description_elements(root), as_harvested, join=True))


def _keywords(root: _Dc) -> list[LangString]:
    keywords = [_langstring([el]) for el in _elements(root, "subject")]
    return [k for i, k in enumerate(keywords) if k and k not in keywords[:i]]


def _coverage(root: _Dc) -> list[LangString]:
    return [c for c in (_langstring([el]) for el in _elements(root, "coverage")) if c]


def _languages(root: _Dc) -> list[str]:
    return _texts(root, "language")


def _identifiers(root: _Dc) -> list[Identifier]:
    return [Identifier(entry=v) for v in _texts(root, "identifier") if not is_url(v)]


def _locations(root: _Dc) -> list[str]:
    return [v for v in _texts(root, "identifier") if is_url(v)]


def _contributions(root: _Dc) -> list[Contribution]:
    """One contribution per DC role, its entities in document order."""
    contributions = []
    for element, role in _ROLES:
        names = _texts(root, element)
        if names:
            contributions.append(Contribution(role=Term(value=role), entities=names))
    return contributions


def _date(root: _Dc) -> tuple[str | None, list[Issue]]:
    """The first readable dc:date; a warning only when none of them can be read."""
    raws = _texts(root, "date")
    for raw in raws:
        parsed = iso_date(raw)
        if parsed:
            return parsed, []
    return None, [issues.date_unparseable("lifecycle.date", raws[0])] if raws else []


def _resource_types(root: _Dc) -> list[Term]:
    return [Term(value=v) for v in _texts(root, "type")]


def _formats(root: _Dc) -> list[str]:
    return _texts(root, "format")


def _rights(root: _Dc) -> Rights:
    """All rights statements as text; the licence URL from dcterms:license first, then rights."""
    licences = _elements(root, "license", DCTERMS)
    statements = _elements(root, "rights") + _elements(root, "rights", DCTERMS)
    uri = next(
        (u for u in (licence_uri(clean_text(_raw(el))) for el in licences + statements) if u),
        None,
    )
    description = _langstring(licences + statements, html_to_text, join=True)
    return Rights(description=description, licence_uri=uri)


def map_oai_dc(root: etree._Element, provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one ``oai_dc`` record; problems come back as issues, never as exceptions."""
    return _map(_Dc(root), provenance)


def _map(root: _Dc, provenance: Provenance) -> tuple[Resource, list[Issue]]:
    date, found = _date(root)
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=_identifiers(root),
            title=_title(root),
            description=_description(root),
            description_raw=_description_raw(root),
            keywords=_keywords(root),
            languages=_languages(root),
            coverage=_coverage(root),
        ),
        lifecycle=Lifecycle(contributions=_contributions(root), date=date),
        rights=_rights(root),
        technical=Technical(formats=_formats(root), locations=_locations(root)),
        resource_types=_resource_types(root),
    )
    return resource, found

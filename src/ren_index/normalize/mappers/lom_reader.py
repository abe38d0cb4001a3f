"""Reading the pieces of an IEEE LOM XML document, whatever profile wrote it.

LOM, Normetic (Quebec), LOMFR and ScoLOMFR records share the IEEE LOM XML binding but differ in
the details a tolerant reader must absorb: elements prefixed or not, ``<string language=...>``
with ISO 639-2 codes or id.loc.gov URIs, vocabulary values with trailing whitespace or as
concept URIs, old IMS-style ``<langstring xml:lang=...>``, vocabulary elements with no
``<source>``/``<value>`` at all. The crosswalk in :mod:`.lom` uses these helpers and stays a
list of one-line field mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from ren_index.model import LangString, Term
from ren_index.normalize.mappers.text import add_text, clean_text, collapsed_text, inner_text, lang_tag

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOMFR_NS = "http://www.lom-fr.fr/xsd/LOMFR"
SCOLOMFR_NS = "http://www.lom-fr.fr/xsd/SCOLOMFR"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

T = TypeVar("T")

_STRING_TAGS = frozenset({"string", "langstring"})
_NONE: list[etree._Element] = []
"""What :meth:`LomDoc.kids` gives for a missing child (shared: never changed)."""


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ('' for comments and processing instructions).

    String slicing rather than ``etree.QName``: building a QName per element was a visible share
    of the mapper's time, and ``{namespace}name`` is the only form lxml gives a tag."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def unique(items: Iterable[T]) -> list[T]:
    """Items in order, repeats removed (works for unhashable pydantic values too)."""
    kept: list[T] = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return kept


@dataclass(frozen=True)
class LomDoc:
    """A LOM document and the namespace its LOM elements live in.

    The namespace is the root's (normally ``http://ltsc.ieee.org/xsd/LOM``); a record chosen by
    its metadata prefix may have none at all, and is then read the same way.
    """

    root: etree._Element
    ns: str
    _paths: dict[tuple[str, ...], tuple[etree._Element, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Memo of :meth:`path`: the crosswalk asks for ``general`` (and its children) a dozen times a
    record, and walking the tree down again each time was a visible share of the mapper's time."""
    _kids: dict[etree._Element, dict[str, list[etree._Element]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Memo of :meth:`children`: each parent's children grouped by tag in one pass over them, the
    first time the crosswalk asks for any of them (it asks for about forty child lists a record;
    one ``iterchildren(tag)`` and one list per question cost more than the grouping). Keys hold
    the element proxies, so lxml returns the same proxy for a node while the document lives."""

    @classmethod
    def of(cls, root: etree._Element) -> LomDoc:
        return cls(root, etree.QName(root).namespace or "")

    def _tag(self, name: str, ns: str | None) -> str:
        space = self.ns if ns is None else ns
        return f"{{{space}}}{name}" if space else name

    def kids(self, parent: etree._Element, name: str) -> list[etree._Element]:
        """:meth:`children` of one parent in the LOM namespace, without the per-call list.

        The memo's own list: read it, never change it. The crosswalk asks some fifteen of
        these a record (an identifier's entry, a contribution's role...)."""
        return self._grouped(parent).get(self._tag(name, None), _NONE)

    def children(
        self, parents: Iterable[etree._Element], name: str, ns: str | None = None
    ) -> list[etree._Element]:
        """Direct children called ``name`` (in the LOM namespace unless ``ns`` says otherwise)."""
        tag = self._tag(name, ns)
        found: list[etree._Element] = []
        for parent in parents:
            found += self._grouped(parent).get(tag, ())
        return found

    def _grouped(self, parent: etree._Element) -> dict[str, list[etree._Element]]:
        """``parent``'s element children by exact tag, in document order (comments left out, as
        ``iterchildren(tag)`` leaves them out)."""
        grouped = self._kids.get(parent)
        if grouped is None:
            grouped = {}
            for child in parent:
                tag = child.tag
                if isinstance(tag, str):
                    if tag in grouped:
                        grouped[tag].append(child)
                    else:
                        grouped[tag] = [child]
            self._kids[parent] = grouped
        return grouped

    def path(self, *names: str) -> tuple[etree._Element, ...]:
        """Every element at ``root/names[0]/names[1]/...``: LOM categories may repeat.

        A tuple, the memo itself: callers cannot change what the next caller gets, and no copy
        is made per question."""
        found = self._paths.get(names)
        if found is None:
            found = tuple(self.children(self.path(*names[:-1]), names[-1])) if names else (self.root,)
            self._paths[names] = found
        return found

    def texts(self, *names: str) -> list[str]:
        """Non-empty, whitespace-collapsed texts at a path, without repeats."""
        return unique(t for t in (collapsed_text(el) for el in self.path(*names)) if t)

    def langstring(
        self,
        elements: Iterable[etree._Element],
        clean: Callable[[str | None], str] = clean_text,
        *,
        join: bool = False,
    ) -> LangString:
        """Merge LOM LangStrings: ``<string language>`` (or IMS ``<langstring xml:lang>``)
        children, or the element's own text under ``und`` when it has neither."""
        text: LangString = {}
        for element in elements:
            strings = [
                c for c in element if isinstance(tag := c.tag, str) and tag.rpartition("}")[2] in _STRING_TAGS
            ]  # local_name inlined: this line runs for every child of every LangString element
            if not strings:
                own = inner_text(element)
                add_text(text, "und", clean(own), join=join)
            for string in strings:
                lang = string.get("language") or string.get(XML_LANG)
                add_text(text, lang_tag(lang), clean(inner_text(string)), join=join)
        return text

    def first_string(self, elements: Iterable[etree._Element]) -> str | None:
        """The first non-empty text of a LangString element, whatever its language."""
        for element in elements:
            for value in self.langstring([element]).values():
                return value
        return None


def vocabulary(element: etree._Element) -> Term | None:
    """A LOM vocabulary element as a :class:`Term`; ``None`` when it holds no value.

    ``<source>``/``<value>`` are looked up by local name (LOMFR and ScoLOMFR extensions put them
    in their own namespace); an element with no ``<value>`` child gives its own text.
    """
    source: str | None = None
    value: str | None = None
    has_value = False  # a <value> child, even an empty one: then the element's own text is not read
    for child in element:  # one pass (seven vocabulary elements a LOM record, ~2 children each)
        tag = child.tag
        if not isinstance(tag, str):  # comments and processing instructions (local_name's '')
            continue
        name = tag.rpartition("}")[2]
        if name == "source":
            if source is None:
                source = collapsed_text(child) or None
        elif name == "value":
            has_value = True
            if value is None:
                value = collapsed_text(child) or None
    if value is None and not has_value:
        value = clean_text(element.text) or None
    return Term(source=source, value=value) if value else None


def vocabularies(elements: Iterable[etree._Element]) -> list[Term]:
    """Every readable vocabulary value, in order, without repeats."""
    return unique(t for t in (vocabulary(el) for el in elements) if t is not None)

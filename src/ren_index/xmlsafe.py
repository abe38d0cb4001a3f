# mypy: disable-error-code="import-untyped"
"""The one way ren-index parses harvested XML.

Harvested content is hostile until proven otherwise (DESIGN.md, convention 12): the parser never
resolves entities, never loads a DTD, never touches the network, refuses huge trees and does not
"recover" from broken markup (a recovering parser turns a truncated page into a silently short one).
"""

from __future__ import annotations

import threading

from lxml import etree

MAX_BYTES = 64 * 1024 * 1024
"""Refuse documents larger than this (an OAI page is rarely above a few MB)."""


_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser, built once: a fresh parser per document cost about a third of the
    parse (lxml sets up a new parser context), and lxml parsers must not be shared between threads.
    A parser keeps no document state between two ``fromstring`` calls, so reuse changes nothing."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _new_parser()
    return parser


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
        remove_blank_text=False,
    )


class UnsafeXmlError(ValueError):
    """The document declares entities or a DTD we refuse to process, or is too large."""


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML and return its root element.

    Raises :class:`lxml.etree.XMLSyntaxError` for malformed XML and :class:`UnsafeXmlError` for
    documents that carry a DOCTYPE with entity declarations (XXE, billion laughs) or are too big.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise UnsafeXmlError(f"document of {len(raw)} bytes exceeds the {MAX_BYTES} byte limit")
    if isinstance(data, str):
        # lxml refuses str input carrying an encoding declaration; bytes keep it honest.
        data = raw
    head = raw[:4096].lower()
    if b"<!entity" in head or (b"<!doctype" in head and b"[" in head.split(b"<!doctype", 1)[1][:2048]):
        raise UnsafeXmlError("document declares a DTD with an internal subset or entities; refused")
    root = etree.fromstring(data, parser=_parser())
    # The byte check above only sees the first 4 KB of an ASCII-compatible encoding; a long
    # prologue or a UTF-16 body slips past it. The parser expanded nothing, so check the result.
    if root.getroottree().docinfo.internalDTD is not None:
        raise UnsafeXmlError("document declares a DTD with an internal subset; refused")
    for node in root.iter(etree.Entity):  # filtered in C: no Python loop over every element
        raise UnsafeXmlError(f"document references an undeclared entity {node.text!r}")
    return root


def text_of(element: etree._Element | None) -> str:
    """All text inside an element, whitespace collapsed; '' for None."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())

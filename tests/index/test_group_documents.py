"""Who stands for a group of duplicates on each portal, and what its document says (pure).

Every expectation below is read off the tables (ranks, portals, what is indexable), not computed
by the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from ren_index.index.group_documents import Place, Related, place_documents, standing


def _doc(rid: str, portals: tuple[str, ...] = ("pavillon",), lang: str = "fr") -> dict[str, Any]:
    """A document as :func:`ren_index.index.documents.to_document` makes it (the fields used here)."""
    return {
        "id": rid,
        "group": rid,
        "source": f"src-{rid}",
        "portals": list(portals),
        "languages": [lang],
        "url": f"https://ex.org/{rid}",
        f"title_{lang}": [f"Titre {rid}"],
    }


P, E = "pavillon", "ecole-ouverte"


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        # (id, portals or None when not indexable) in rank order -> who stands where
        ([("a", (P,)), ("b", (P,)), ("c", (P,))], {"a": [P]}),
        ([("a", None), ("b", (P,)), ("c", (P,))], {"b": [P]}),  # the primary rejected: next one
        ([("a", (P,)), ("b", (P, E))], {"a": [P], "b": [E]}),  # b alone lists École ouverte
        ([("a", (E, P)), ("b", (P, E))], {"a": [E, P]}),  # its own portal order kept
        ([("a", (P,)), ("b", (E,)), ("c", (E, P))], {"a": [P], "b": [E]}),
        ([("a", ()), ("b", ())], {"a": []}),  # no portal anywhere: the first still stands
        ([("a", ()), ("b", (P,))], {"b": [P]}),
        ([("a", None), ("b", None)], {}),
    ],
)
def test_the_first_indexable_member_listing_a_portal_stands_for_it(
    members: list[tuple[str, tuple[str, ...] | None]], expected: dict[str, list[str]]
) -> None:
    docs = {rid: None if portals is None else _doc(rid, portals) for rid, portals in members}
    assert standing([rid for rid, _ in members], docs) == expected


def _group(gid: str, *ranked: tuple[str, str]) -> dict[str, Place]:
    return {rid: Place(gid, relation, rank) for rank, (rid, relation) in enumerate(ranked)}


def test_the_standing_member_names_the_other_sources_and_the_others_get_no_document() -> None:
    docs = {"r": _doc("r", (P, E)), "e": _doc("e"), "b": _doc("b"), "x": None}
    places = _group("b", ("r", "primary"), ("e", "same"), ("b", "same"), ("x", "same"))
    links = [Related("b", "r", "same"), Related("e", "r", "same"), Related("b", "x", "same")]
    out = place_documents(docs, places, links)
    assert out["e"] is None and out["b"] is None and out["x"] is None
    doc = out["r"]
    assert doc is not None
    assert doc["portals"] == [P, E] and doc["group"] == "b"
    # x is not indexable (rejected, or its link broken): never named, never redirected to
    assert doc["also_available_from"] == [
        {"source": "src-e", "id": "e", "url": "https://ex.org/e", "language": "fr"},
        {"source": "src-b", "id": "b", "url": "https://ex.org/b", "language": "fr"},
    ]
    assert doc["group_members"] == ["r", "e", "b"]
    assert doc["other_versions"] == [] and doc["translations"] == []
    assert (doc["part_of"], doc["parts"]) == ([], [])


def test_a_member_standing_on_one_portal_only_is_named_there_and_the_first_keeps_the_redirects() -> None:
    docs = {"a": _doc("a", (P,)), "b": _doc("b", (P, E)), "c": _doc("c", (P,))}
    places = _group("a", ("a", "primary"), ("b", "same"), ("c", "same"))
    out = place_documents(docs, places, [Related("a", "b", "same"), Related("a", "c", "same")])
    first, second = out["a"], out["b"]
    assert first is not None and second is not None and out["c"] is None
    assert (first["portals"], second["portals"]) == ([P], [E])
    assert first["group_members"] == ["a", "c"] and second["group_members"] == ["b"]
    assert [x["id"] for x in first["also_available_from"]] == ["b", "c"]
    assert [x["id"] for x in second["also_available_from"]] == ["a", "c"]
    assert first["group"] == second["group"] == "a"


def test_editions_are_other_versions_one_entry_each_newer_ones_too() -> None:
    # new (2e édition, two copies) and old (1re édition, two copies): ranks as the rules give them
    docs = {"n1": _doc("n1", (P,)), "n2": _doc("n2", (P,)), "o1": _doc("o1", (P, E)), "o2": _doc("o2", (E,))}
    places = _group("n1", ("n1", "primary"), ("n2", "same"), ("o1", "version"), ("o2", "version"))
    links = [Related("n1", "n2", "same"), Related("o1", "o2", "same")]
    out = place_documents(docs, places, links)
    new, old = out["n1"], out["o1"]
    assert new is not None and old is not None and out["n2"] is None and out["o2"] is None
    assert old["portals"] == [E]  # the newest edition is not on École ouverte: the old one stands
    assert new["other_versions"] == [
        {"id": "o1", "url": "https://ex.org/o1", "language": "fr", "title": "Titre o1"}
    ]
    assert [x["id"] for x in new["also_available_from"]] == ["n2"]
    assert [x["id"] for x in old["other_versions"]] == ["n1"]  # the newer edition
    assert [x["id"] for x in old["also_available_from"]] == ["o2"]


def test_translations_point_to_whoever_stands_for_the_other_side() -> None:
    docs = {
        "r": _doc("r", (P, E)),
        "e": _doc("e", (P,)),
        "en": _doc("en", (P,), lang="en"),
        "alone": _doc("alone", (P,)),
        "en2": _doc("en2", (P,), lang="en"),
    }
    places = _group("e", ("r", "primary"), ("e", "same"))
    links = [
        Related("e", "r", "same"),
        Related("e", "en", "translation"),  # labelled on a member that does not stand
        Related("alone", "en2", "translation"),  # two records in no group
    ]
    out = place_documents(docs, places, links)
    textbook, english = out["r"], out["en"]
    assert textbook is not None and english is not None
    assert textbook["translations"] == [
        {"id": "en", "url": "https://ex.org/en", "language": "en", "title": "Titre en"}
    ]
    assert [x["id"] for x in english["translations"]] == ["r"]  # not e: r stands for the group
    assert english["group"] == "en" and english["group_members"] == ["en"]
    alone = out["alone"]
    assert alone is not None and [x["id"] for x in alone["translations"]] == ["en2"]


def test_pending_or_unknown_direction_parts_are_not_shown_and_wholes_go_both_ways() -> None:
    docs = {"book": _doc("book"), "ch1": _doc("ch1"), "ch2": _doc("ch2"), "gone": None}
    links = [
        Related("book", "ch1", "part", whole="book"),
        Related("book", "ch2", "part", whole=None),  # which is the whole is unknown: not shown
        Related("book", "gone", "translation"),  # the other side is not indexable
    ]
    out = place_documents(docs, {}, links)
    book, chapter = out["book"], out["ch1"]
    assert book is not None and chapter is not None
    assert [x["id"] for x in book["parts"]] == ["ch1"] and book["part_of"] == []
    assert [x["id"] for x in chapter["part_of"]] == ["book"] and chapter["parts"] == []
    assert book["translations"] == []
    assert out["gone"] is None


def test_a_translation_on_another_portal_points_to_the_member_standing_on_this_one() -> None:
    docs = {
        "fr-p": _doc("fr-p", (P,)),
        "en-a": _doc("en-a", (P,), lang="en"),
        "en-b": _doc("en-b", (E,), lang="en"),
        "fr-e": _doc("fr-e", (E,)),
    }
    places = {
        **_group("en-a", ("en-a", "primary"), ("en-b", "same")),
        **_group("fr-e", ("fr-p", "primary"), ("fr-e", "same")),
    }
    links = [
        Related("en-a", "en-b", "same"),
        Related("fr-e", "fr-p", "same"),
        Related("en-a", "fr-p", "translation"),
    ]
    out = place_documents(docs, places, links)
    on_e = out["fr-e"]
    assert on_e is not None and on_e["portals"] == [E]
    assert [x["id"] for x in on_e["translations"]] == ["en-b"]  # the English one on École ouverte
    on_p = out["fr-p"]
    assert on_p is not None and [x["id"] for x in on_p["translations"]] == ["en-a"]

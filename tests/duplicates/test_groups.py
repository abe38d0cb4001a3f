"""Groups and their primary, from tables of hand-written pairs (no ledger)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ren_index.duplicates.groups import Group, Link, Member, build_groups, choose_primary

JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


def _members(*rows: tuple[str, str, int, int, datetime | None]) -> dict[str, Member]:
    return {r[0]: Member(*r) for r in rows}


def test_same_and_version_links_make_one_group_and_translations_make_none() -> None:
    members = _members(
        ("a", "s1", 0, 50, JAN), ("b", "s2", 0, 50, MAR), ("c", "s3", 0, 50, MAR), ("d", "s1", 0, 0, JAN)
    )
    links = [Link("a", "b", "same"), Link("b", "c", "same"), Link("a", "d", "translation")]
    assert build_groups(links, members) == [
        Group("a", "a", {"a": "primary", "b": "same", "c": "same"}, ("a", "b", "c"))
    ]


def test_links_to_records_gone_from_the_ledger_are_ignored() -> None:
    members = _members(("a", "s1", 0, 0, JAN), ("b", "s2", 0, 0, JAN))
    assert build_groups([Link("a", "zz", "same")], members) == []
    assert [g.members for g in build_groups([Link("a", "b", "same"), Link("b", "zz", "same")], members)] == [
        {"a": "primary", "b": "same"}
    ]


@pytest.mark.parametrize(
    ("rows", "expected", "why"),
    [
        (
            [("a", "s1", 0, 90, JAN), ("b", "s2", 5, 10, MAR)],
            "b",
            "the source's priority wins over completeness",
        ),
        ([("a", "s1", 1, 40, JAN), ("b", "s2", 1, 80, MAR)], "b", "same priority: the more complete record"),
        (
            [("a", "s1", 1, 60, MAR), ("b", "s2", 1, 60, JAN)],
            "b",
            "same completeness: the oldest in the ledger",
        ),
        ([("b", "s1", 0, 60, JAN), ("a", "s2", 0, 60, JAN)], "a", "all equal: the smallest id"),
        ([("a", "s1", 0, 60, None), ("b", "s2", 0, 60, MAR)], "b", "a record with no date comes after"),
    ],
)
def test_the_primary_follows_priority_completeness_then_age(
    rows: list[tuple[str, str, int, int, datetime | None]], expected: str, why: str
) -> None:
    members = _members(*rows)
    assert choose_primary(members, members, [Link("a", "b", "same")]) == expected, why


def test_the_newest_edition_is_the_primary_even_from_a_lower_priority_source() -> None:
    members = _members(("a", "s1", 9, 90, JAN), ("b", "s2", 0, 10, MAR), ("c", "s3", 0, 50, MAR))
    links = [Link("a", "b", "version", newer="b"), Link("b", "c", "same")]
    (group,) = build_groups(links, members)
    # b and c are the new edition (c is b's copy), a the old one; among b and c, c is more complete
    assert group.primary == "c"
    assert group.members == {"a": "version", "b": "same", "c": "primary"}


def test_a_documentalist_choice_wins_and_the_newest_choice_among_members_counts() -> None:
    members = _members(("a", "s1", 9, 90, JAN), ("b", "s2", 0, 10, MAR), ("c", "s3", 0, 10, MAR))
    links = [Link("a", "b", "same"), Link("a", "c", "version", newer="a")]
    assert build_groups(links, members)[0].primary == "a"
    (group,) = build_groups(links, members, {"c": JAN, "b": MAR})
    assert group.primary == "b" and group.members == {"a": "same", "b": "primary", "c": "version"}


def test_a_long_chain_is_one_group_whatever_the_order_of_links() -> None:
    n = 5000
    members = {f"r{i:05}": Member(f"r{i:05}", "s") for i in range(n)}
    links = [Link(f"r{i + 1:05}", f"r{i:05}", "same") for i in reversed(range(n - 1))]
    (group,) = build_groups(links, members)
    assert group.id == "r00000" and len(group.members) == n

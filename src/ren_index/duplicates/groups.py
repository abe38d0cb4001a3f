"""Groups of records of one resource, and each group's primary record (docs/duplicates.md).

Pure policy: pairs that stand (a person confirmed them, or the rules grouped a high-confidence
``same``) in, groups out; no ledger, no clock. A group holds the ``same`` and ``version`` records
of one resource — ``translation`` and ``part`` records are linked, not grouped: each keeps its own
document on the portals.

The primary — the record portals show for the group — is, in this order:

1. the record a documentalist chose (the newest choice among the members);
2. otherwise among the newest editions (a member some ``version`` pair says is older drops out),
3. the record of the source with the highest ``priority:`` (``sources.yaml``),
4. then the most complete record (its quality score),
5. then the oldest in the ledger (first harvested: a group's face does not change with every new
   copy), then the smallest id (a total order: the same pairs always give the same primary).

A group's id is its smallest member id: stable while the group's members stay, and the same on
every machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

GROUPING = frozenset({"same", "version"})
"""The relations that put two records in one group."""


@dataclass(frozen=True)
class Member:
    """What choosing a primary needs of one record."""

    id: str
    source: str
    priority: int = 0
    completeness: int = 0
    first_seen: datetime | None = None


@dataclass(frozen=True)
class Link:
    """A pair that stands: ``newer`` is the later edition of a ``version`` pair, when known."""

    a: str
    b: str
    relation: str
    newer: str | None = None


@dataclass(frozen=True)
class Group:
    """One resource's records: ``members`` maps each id to ``primary``, ``same`` or ``version``;
    ``order`` lists them primary first, then as the primary's rules rank them (where the primary is
    not published, the first published member stands for the group)."""

    id: str
    primary: str
    members: dict[str, str]
    order: tuple[str, ...] = ()


class UnionFind:
    """Disjoint sets of ids (iterative, path-compressed): the groups of a set of pairs. The root of
    a set is its smallest id."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression, iteratively (no recursion limit on long chains)
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def _rank(member: Member) -> tuple[int, int, datetime, str]:
    oldest = member.first_seen or datetime.max.replace(tzinfo=None)
    if oldest.tzinfo is not None:
        oldest = oldest.replace(tzinfo=None)  # compared among themselves only: all UTC
    return (-member.priority, -member.completeness, oldest, member.id)


def choose_primary(
    ids: Iterable[str],
    members: Mapping[str, Member],
    links: Iterable[Link],
    choices: Mapping[str, datetime] | None = None,
) -> str:
    """The primary of one group's ``ids`` (see the module docstring for the order)."""
    ids = sorted(set(ids))
    chosen = [(choices[i], i) for i in ids if choices and i in choices]
    if chosen:
        return max(chosen)[1]
    older = {
        (link.b if link.newer == link.a else link.a)
        for link in links
        if link.relation == "version" and link.newer in (link.a, link.b)
    }
    newest = [i for i in ids if i not in older] or ids
    return min(newest, key=lambda i: _rank(members.get(i) or Member(i, "")))


def build_groups(
    links: Iterable[Link],
    members: Mapping[str, Member],
    choices: Mapping[str, datetime] | None = None,
) -> list[Group]:
    """The groups the standing ``same`` and ``version`` links make among ``members`` (links to a
    record not in ``members`` — deleted, say — are ignored), sorted by id."""
    grouping = [k for k in links if k.relation in GROUPING and k.a in members and k.b in members]
    whole, same = UnionFind(), UnionFind()
    for link in grouping:
        whole.union(link.a, link.b)
        if link.relation == "same":
            same.union(link.a, link.b)
    components: dict[str, list[str]] = {}
    for id in list(whole.parent):
        components.setdefault(whole.find(id), []).append(id)
    inside: dict[str, list[Link]] = {}  # each group's links, found once (not every link per group)
    for link in grouping:
        inside.setdefault(whole.find(link.a), []).append(link)
    groups = []
    for root, ids in components.items():
        primary = choose_primary(ids, members, inside.get(root, []), choices)
        relation = {
            i: "primary" if i == primary else "same" if same.find(i) == same.find(primary) else "version"
            for i in sorted(ids)
        }
        rest = sorted((i for i in ids if i != primary), key=lambda i: _rank(members.get(i) or Member(i, "")))
        groups.append(Group(id=min(ids), primary=primary, members=relation, order=(primary, *rest)))
    return sorted(groups, key=lambda g: g.id)

"""The versioned index definition, index creation and aliases.

The definition is package data (``ren_index/schemas/opensearch/resources-<version>.json``) so an
installed, non-editable package finds it without the repository. Physical indices are named
``<prefix>-resources-<version>`` (a rebuild may add a suffix); readers and writers only ever use
aliases, so a rebuild is "create a new index, fill it, swap the aliases" in one atomic request:

- ``<prefix>-resources`` — every indexed resource;
- ``<prefix>-<portal>`` — a filtered alias per portal (``ren-pavillon``, ``ren-ecole-ouverte``).

A physical index of the prefix that no alias points at serves nobody: it is what a rebuild that
failed half-way left when OpenSearch could not even be asked to delete it, or an old index whose
deletion failed after the swap. :func:`delete_unaliased` removes them; a rebuild calls it first.

Shards and replicas are not the definition's but the cluster's (:class:`IndexLayout`, from
``REN_INDEX_SHARDS`` / ``REN_INDEX_REPLICAS``): one development node wants one shard and no replica,
a three-node cluster at least one replica so that losing a node loses nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

from ren_index.errors import IndexingError
from ren_index.settings import Settings

DEFAULT_VERSION = "v5"
_VERSION_IN_NAME = re.compile(r"-resources-(v\d+)(?:-|$)")


@dataclass(frozen=True)
class IndexLayout:
    """Primary shards and replicas of an index ren-index creates."""

    shards: int = 1
    replicas: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexLayout:
        """``REN_INDEX_SHARDS`` and ``REN_INDEX_REPLICAS`` (validated by :class:`Settings`)."""
        return cls(shards=settings.index_shards, replicas=settings.index_replicas)


SINGLE_NODE = IndexLayout()
"""One shard, no replica: the development node (a replica could never be placed there)."""


def index_version(name: str) -> str | None:
    """The definition version a physical index was built from, read from its name (``v1``...)."""
    found = _VERSION_IN_NAME.search(name)
    return found.group(1) if found else None


def load_definition(version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """The index body (``settings`` and ``mappings``) of one version of the definition."""
    path = resources.files("ren_index") / "schemas" / "opensearch" / f"resources-{version}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexingError(f"no index definition resources-{version}.json in the package") from exc
    return {"settings": raw["settings"], "mappings": raw["mappings"]}


def alias_name(prefix: str) -> str:
    """The alias every reader and writer uses: ``<prefix>-resources``."""
    return f"{prefix}-resources"


def portal_alias(prefix: str, portal: str) -> str:
    """The filtered alias of one portal, e.g. ``ren-pavillon``."""
    return f"{prefix}-{portal}"


def index_name(prefix: str, version: str = DEFAULT_VERSION, suffix: str | None = None) -> str:
    """``<prefix>-resources-<version>[-<suffix>]`` (a suffix lets a rebuild keep the version)."""
    name = f"{prefix}-resources-{version}"
    return f"{name}-{suffix}" if suffix else name


def create_index(
    client: OpenSearch,
    name: str,
    version: str = DEFAULT_VERSION,
    *,
    layout: IndexLayout = SINGLE_NODE,
) -> bool:
    """Create a physical index from the definition; ``False`` when it already exists.

    ``layout`` defaults to one shard and no replica, the development node's (a replica could never
    be allocated there and the index would stay yellow); commands pass the settings' layout.
    """
    body = load_definition(version)
    body["settings"]["index"]["number_of_shards"] = layout.shards
    body["settings"]["index"]["number_of_replicas"] = layout.replicas
    try:
        client.indices.create(index=name, body=body)
    except RequestError as exc:
        if exc.error == "resource_already_exists_exception":
            return False
        raise IndexingError(f"OpenSearch refused to create index {name}: {exc.info}") from exc
    return True


def alias_targets(client: OpenSearch, alias: str) -> list[str]:
    """The indices an alias points at (empty when it does not exist)."""
    if not client.indices.exists_alias(name=alias):
        return []
    return sorted(client.indices.get_alias(name=alias))


def unaliased_indices(client: OpenSearch, prefix: str) -> list[str]:
    """Physical indices named like this prefix's (``<prefix>-resources-v2[-<digits>]``) that no
    alias points at — neither the main alias nor a portal's — so no reader can see them."""
    own = re.compile(rf"{re.escape(prefix)}-resources-v\d+(?:-\d+)?")
    found = client.indices.get_alias(index=f"{prefix}-resources-v*", expand_wildcards="open,closed")
    return sorted(name for name, info in found.items() if own.fullmatch(name) and not info.get("aliases"))


def delete_unaliased(client: OpenSearch, prefix: str) -> list[str]:
    """Delete :func:`unaliased_indices` (leftovers of failed rebuilds); return their names."""
    names = unaliased_indices(client, prefix)
    for name in names:
        client.indices.delete(index=name, ignore_unavailable=True)
    return names


def point_aliases(client: OpenSearch, prefix: str, index: str, *, portals: Iterable[str]) -> None:
    """Point the main and portal aliases at ``index`` alone, in one atomic request (the swap).

    ``portals`` are the portal ids of ``config/portals.yaml`` (one filtered alias each).
    """
    actions: list[dict[str, Any]] = []
    for alias, filter_ in _aliases(prefix, portals):
        for old in alias_targets(client, alias):
            if old != index:
                actions.append({"remove": {"index": old, "alias": alias}})
        actions.append({"add": _add(index, alias, filter_)})
    client.indices.update_aliases(body={"actions": actions})


def ensure_index(
    client: OpenSearch,
    prefix: str,
    version: str = DEFAULT_VERSION,
    *,
    layout: IndexLayout = SINGLE_NODE,
    portals: Iterable[str],
) -> str:
    """Make sure ``<prefix>-resources`` points at an index; return the index it points at.

    Idempotent. When the alias is missing, ``<prefix>-resources-<version>`` is created (if
    needed) and the aliases are added. When the alias already exists it is left alone, even if
    it points at a rebuilt index: moving it is a rebuild's decision (:func:`point_aliases`),
    not something a routine ``index`` run may undo. Missing portal aliases are added beside it.

    When the alias points at an index of *another* definition version (a ``v1`` index after an
    upgrade), documents of this version would be refused field by field (``dynamic: strict``),
    so this raises with the remedy, ``ren-index index --rebuild``, instead of failing every
    record or moving the alias behind the portals' back.
    """
    main = alias_name(prefix)
    targets = alias_targets(client, main)
    if len(targets) > 1:
        raise IndexingError(f"alias {main} points at several indices ({', '.join(targets)})")
    if targets:
        index = targets[0]
        found = index_version(index)
        if found is not None and found != version:
            raise IndexingError(
                f"alias {main} points at {index} (definition {found}), this ren-index writes {version}:"
                " run `ren-index index --rebuild` / reconstruire l'index"
            )
    else:
        index = index_name(prefix, version)
        create_index(client, index, version, layout=layout)
    actions = [
        {"add": _add(index, alias, filter_)}
        for alias, filter_ in _aliases(prefix, portals)
        if index not in alias_targets(client, alias)
    ]
    if actions:
        client.indices.update_aliases(body={"actions": actions})
    return index


def _aliases(prefix: str, portals: Iterable[str]) -> list[tuple[str, dict[str, Any] | None]]:
    pairs: list[tuple[str, dict[str, Any] | None]] = [(alias_name(prefix), None)]
    pairs += [(portal_alias(prefix, p), {"term": {"portals": p}}) for p in portals]
    return pairs


def _add(index: str, alias: str, filter_: dict[str, Any] | None) -> dict[str, Any]:
    action: dict[str, Any] = {"index": index, "alias": alias}
    if filter_ is not None:
        action["filter"] = filter_
    return action

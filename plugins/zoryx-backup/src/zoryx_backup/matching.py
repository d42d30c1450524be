"""Which object of one side is which object of the other: by id first, then by name (and type
for channels). Used by diff, drift and restore; each object is matched at most once."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from .models import ChannelData, RoleData

__all__ = ["match_channels", "match_items", "match_roles"]


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


A = TypeVar("A", bound=_HasId)
B = TypeVar("B", bound=_HasId)


def match_items(
    source: Sequence[A],
    target: Sequence[B],
    keys: Iterable[tuple[Callable[[A], Hashable], Callable[[B], Hashable]]] = (),
) -> dict[int, B]:
    """``{source id: target item}``: same id first, then each pair of key functions in turn
    (the first unmatched target with an equal key, in the target's order)."""
    matched: dict[int, B] = {}
    taken: set[int] = set()
    by_id = {item.id: item for item in target}
    for item in source:
        other = by_id.get(item.id)
        if other is not None:
            matched[item.id] = other
            taken.add(other.id)
    for source_key, target_key in keys:
        pool: dict[Hashable, list[B]] = {}
        for other in target:
            if other.id not in taken:
                pool.setdefault(target_key(other), []).append(other)
        for item in source:
            if item.id in matched:
                continue
            candidates = pool.get(source_key(item))
            while candidates:
                other = candidates.pop(0)
                if other.id not in taken:
                    matched[item.id] = other
                    taken.add(other.id)
                    break
    return matched


def match_roles(source: Sequence[RoleData], target: Sequence[RoleData]) -> dict[int, RoleData]:
    """@everyone to @everyone, then by id, then by name (lowest position first)."""
    matched: dict[int, RoleData] = {}
    source_default = next((r for r in source if r.is_default), None)
    target_default = next((r for r in target if r.is_default), None)
    if source_default is not None and target_default is not None:
        matched[source_default.id] = target_default
    rest = match_items(
        [r for r in source if not r.is_default],
        [r for r in target if not r.is_default],
        [(lambda r: r.name, lambda r: r.name)],
    )
    matched.update(rest)
    return matched


def match_channels(
    source: Sequence[ChannelData], target: Sequence[ChannelData], extra: Mapping[int, int] | None = None
) -> dict[int, ChannelData]:
    """Categories first, then channels: by id, by name, type and (matched) category, then by name
    and type. ``extra`` maps source ids to target ids known from elsewhere (ids a restore made)."""
    by_target_id = {c.id: c for c in target}
    matched: dict[int, ChannelData] = {}
    for source_id, target_id in (extra or {}).items():
        if target_id in by_target_id:
            matched[source_id] = by_target_id[target_id]
    taken = {c.id for c in matched.values()}
    free_target = [c for c in target if c.id not in taken]
    categories = match_items(
        [c for c in source if c.is_category and c.id not in matched],
        [c for c in free_target if c.is_category],
        [(lambda c: c.name, lambda c: c.name)],
    )
    matched.update(categories)
    parent_map = {source_id: other.id for source_id, other in matched.items()}

    def source_key(channel: ChannelData) -> Hashable:
        parent = parent_map.get(channel.parent_id) if channel.parent_id is not None else None
        return (channel.name, channel.type, parent)

    def target_key(channel: ChannelData) -> Hashable:
        return (channel.name, channel.type, channel.parent_id)

    channels = match_items(
        [c for c in source if not c.is_category and c.id not in matched],
        [c for c in free_target if not c.is_category],
        [
            (source_key, target_key),
            (lambda c: (c.name, c.type), lambda c: (c.name, c.type)),
        ],
    )
    matched.update(channels)
    return matched

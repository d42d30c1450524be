"""Contiguous shard ranges of one shard count, one per cluster, checked before anything connects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["ShardLayoutError", "check_ranges", "plan_ranges"]


class ShardLayoutError(ValueError):
    """A shard layout that would leave shards out, run a shard twice or name a shard that does not exist."""


def plan_ranges(shard_count: int, cluster_count: int) -> list[range]:
    """Splits ``shard_count`` shards into ``cluster_count`` contiguous ranges, sizes differing by
    at most one (the first clusters take the extra shards)."""
    if shard_count < 1:
        raise ShardLayoutError(f"--shards {shard_count}: a bot needs at least 1 shard")
    if not 1 <= cluster_count <= shard_count:
        raise ShardLayoutError(
            f"--clusters {cluster_count}: must be from 1 to the number of shards ({shard_count})"
        )
    size, extra = divmod(shard_count, cluster_count)
    ranges: list[range] = []
    start = 0
    for index in range(cluster_count):
        stop = start + size + (1 if index < extra else 0)
        ranges.append(range(start, stop))
        start = stop
    return ranges


def check_ranges(shard_count: int, ranges: Sequence[Iterable[int]]) -> None:
    """Refuses shards out of ``0..shard_count-1``, a shard in two ranges, or an empty range."""
    seen: dict[int, int] = {}
    for index, shards in enumerate(ranges):
        listed = list(shards)
        if not listed:
            raise ShardLayoutError(f"cluster {index} has no shard")
        for shard in listed:
            if not 0 <= shard < shard_count:
                raise ShardLayoutError(
                    f"cluster {index}: shard {shard} is out of range; shards are 0 to {shard_count - 1}"
                )
            if shard in seen:
                raise ShardLayoutError(f"shard {shard} is in cluster {seen[shard]} and cluster {index}")
            seen[shard] = index

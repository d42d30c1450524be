"""Redis key names of one bot; every key starts with ``zoryx:<application id>:`` so that several
bots can share one Redis."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Keys"]


@dataclass(frozen=True, slots=True)
class Keys:
    application_id: int

    @property
    def prefix(self) -> str:
        return f"zoryx:{self.application_id}:"

    @property
    def layout(self) -> str:
        """JSON ``{"shard_count", "cluster_count"}``: the layout every launcher must agree on."""
        return self.prefix + "layout"

    def lease(self, cluster_id: int) -> str:
        """The token of whoever runs the cluster; expires unless renewed."""
        return f"{self.prefix}cluster:{cluster_id}:lease"

    def member(self, cluster_id: int) -> str:
        """The cluster's heartbeat and stats (JSON); expires after one expiry window."""
        return f"{self.prefix}cluster:{cluster_id}:member"

    def identify(self, bucket: int) -> str:
        return f"{self.prefix}identify:{bucket}"

    @property
    def rest_global(self) -> str:
        return self.prefix + "rest:global"

    def rest_invalid(self, minute: int) -> str:
        return f"{self.prefix}rest:invalid:{minute}"

    @property
    def bus(self) -> str:
        """The pub/sub channel of preset requests between clusters."""
        return self.prefix + "bus"

    def replies(self, request_id: str) -> str:
        return f"{self.prefix}replies:{request_id}"

"""zoryx-cluster's settings (``plugin_settings.zoryx-cluster``) and this process's place in the
cluster, which the launcher passes in the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = [
    "ENV_CLUSTER_COUNT",
    "ENV_CLUSTER_ID",
    "ENV_LEASE_TOKEN",
    "ENV_REDIS_URL",
    "SETTINGS",
    "ClusterIdentity",
    "ClusterSettings",
]

ENV_REDIS_URL = "ZORYX_REDIS_URL"
ENV_CLUSTER_ID = "ZORYX_CLUSTER_ID"
ENV_CLUSTER_COUNT = "ZORYX_CLUSTER_COUNT"
ENV_LEASE_TOKEN = "ZORYX_CLUSTER_LEASE"

SETTINGS: tuple[Setting, ...] = (
    Setting("heartbeat_seconds", 2.0, "float", "Seconds between two heartbeats of a cluster.",
            minimum=0.05, maximum=60.0),
    Setting("expiry_seconds", 6.0, "float",
            "Seconds without a heartbeat after which a cluster counts as gone (and its lease is free).",
            minimum=0.2, maximum=600.0),
    Setting("identify_window", 5.0, "float",
            "Seconds one identify bucket stays taken after an IDENTIFY (Discord: 5).",
            minimum=0.0, maximum=60.0),
    Setting("identify_margin", 0.25, "float",
            "Seconds added to the identify window, for the time an IDENTIFY takes to reach Discord.",
            minimum=0.0, maximum=10.0),
    Setting("global_rest_limit", 50, "int",
            "REST requests per second for the whole bot, every process together (Discord: 50); 0: off.",
            minimum=0, maximum=100000),
    Setting("rest_margin_ms", 50, "int",
            "Milliseconds added to the one-second REST window, for the time a request takes to arrive.",
            minimum=0, maximum=1000),
    Setting("invalid_request_budget", 10000, "int",
            "401/403/429 answers Discord allows per invalid_request_window_seconds (an alert at half).",
            minimum=1, maximum=1000000),
    Setting("invalid_request_window_seconds", 600, "int",
            "The window of the invalid-request budget (Discord: 600).", minimum=60, maximum=86400),
    Setting("stats_seconds", 10.0, "float", "Seconds between two refreshes of the published stats.",
            minimum=0.05, maximum=3600.0),
    Setting("alert_channel_id", 0, "int",
            "Channel for cluster alerts (a cluster gone or back, invalid requests); 0: a DM to the owner.",
            minimum=0),
    Setting("reply_timeout", 15.0, "float",
            "Seconds to wait for every cluster's answer to broadcastmsg or clusterreload.",
            minimum=0.5, maximum=600.0),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    heartbeat_seconds: float = 2.0
    expiry_seconds: float = 6.0
    identify_window: float = 5.0
    identify_margin: float = 0.25
    global_rest_limit: int = 50
    rest_margin_ms: int = 50
    invalid_request_budget: int = 10000
    invalid_request_window_seconds: int = 600
    stats_seconds: float = 10.0
    alert_channel_id: int = 0
    reply_timeout: float = 15.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ClusterSettings:
        settings = cls(
            heartbeat_seconds=float(values["heartbeat_seconds"]),
            expiry_seconds=float(values["expiry_seconds"]),
            identify_window=float(values["identify_window"]),
            identify_margin=float(values["identify_margin"]),
            global_rest_limit=int(values["global_rest_limit"]),
            rest_margin_ms=int(values["rest_margin_ms"]),
            invalid_request_budget=int(values["invalid_request_budget"]),
            invalid_request_window_seconds=int(values["invalid_request_window_seconds"]),
            stats_seconds=float(values["stats_seconds"]),
            alert_channel_id=int(values["alert_channel_id"]),
            reply_timeout=float(values["reply_timeout"]),
        )
        if settings.expiry_seconds <= settings.heartbeat_seconds:
            raise ValueError(
                f"plugin_settings.zoryx-cluster.expiry_seconds ({settings.expiry_seconds}) must be above "
                f"heartbeat_seconds ({settings.heartbeat_seconds})"
            )
        return settings


@dataclass(frozen=True, slots=True)
class ClusterIdentity:
    """Which cluster this process is: its id, the number of clusters, and the launcher's lease
    token (``None`` when the process runs alone and claims its lease itself)."""

    cluster_id: int
    cluster_count: int
    lease_token: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ClusterIdentity:
        """Reads ``ZORYX_CLUSTER_ID``, ``ZORYX_CLUSTER_COUNT`` and ``ZORYX_CLUSTER_LEASE``
        (default: cluster 0 of 1); ``ValueError`` names a bad value and what is allowed."""
        count = _int(environ, ENV_CLUSTER_COUNT, 1)
        if count < 1:
            raise ValueError(f"{ENV_CLUSTER_COUNT}={count!r}: the number of clusters must be at least 1")
        cluster_id = _int(environ, ENV_CLUSTER_ID, 0)
        if not 0 <= cluster_id < count:
            raise ValueError(f"{ENV_CLUSTER_ID}={cluster_id!r}: must be from 0 to {count - 1}")
        return cls(cluster_id, count, environ.get(ENV_LEASE_TOKEN) or None)


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: must be a whole number") from None

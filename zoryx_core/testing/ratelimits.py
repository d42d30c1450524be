"""Per-bucket rate-limit accounting, and the 429 and connection faults tests program."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

__all__ = ["Bucket", "FaultPlan", "RateLimitPolicy", "RateLimiter", "ScheduledFault"]


@dataclass
class RateLimitPolicy:
    """How many requests a bucket admits per window."""

    limit: int
    per: float


@dataclass
class Bucket:
    key: str
    policy: RateLimitPolicy
    remaining: int = 0
    reset_at: float = 0.0
    bucket_id: str = ""  # what X-RateLimit-Bucket reports; derived from the key

    def __post_init__(self) -> None:
        self.bucket_id = hashlib.blake2b(self.key.encode(), digest_size=8).hexdigest()

    def take(self, now: float) -> bool:
        """Spends one request; False when the bucket is exhausted for this window."""
        if now >= self.reset_at:
            self.remaining = self.policy.limit
            self.reset_at = now + self.policy.per
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class RateLimiter:
    """Buckets keyed by route template and its major parameter, as Discord groups them.

    The default policy is generous so the emulator never throttles a benchmark; tests set a
    tight policy on one route (``set_route_limit``) to see the client honour the headers.
    """

    def __init__(self, default: RateLimitPolicy | None = None) -> None:
        self.default = default or RateLimitPolicy(limit=10_000, per=1.0)
        self.route_policies: dict[str, RateLimitPolicy] = {}
        self.buckets: dict[str, Bucket] = {}

    def set_route_limit(self, route: str, limit: int, per: float) -> None:
        """``route`` is ``"METHOD /template"``, e.g. ``"POST /channels/{channel_id}/messages"``."""
        self.route_policies[route] = RateLimitPolicy(limit, per)
        for key in [k for k in self.buckets if k.startswith(route + "|")]:
            del self.buckets[key]

    def bucket(self, route: str, major: str) -> Bucket:
        key = f"{route}|{major}"
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = Bucket(key, self.route_policies.get(route, self.default))
            self.buckets[key] = bucket
        return bucket

    @staticmethod
    def headers(bucket: Bucket, now: float) -> dict[str, str]:
        reset_after = max(bucket.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(bucket.policy.limit),
            "X-RateLimit-Remaining": str(max(bucket.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.bucket_id,
        }


@dataclass
class ScheduledFault:
    """A fault applied to the next ``times`` requests matching ``route`` (None: any route)."""

    kind: str  # "429", "drop" (before the route runs), "drop_after" (after it ran) or "5xx"
    route: str | None
    times: int
    retry_after: float = 0.0
    is_global: bool = False
    hits: int = 0
    status: int = 0
    """The HTTP status of a "5xx" fault."""


@dataclass
class FaultPlan:
    """Programmable REST faults: 429s (route or global), server errors, dropped connections,
    added latency."""

    latency: float = 0.0
    scheduled: list[ScheduledFault] = field(default_factory=list)
    global_blocked_until: float = 0.0

    def rate_limit(
        self, route: str | None = None, *, retry_after: float = 0.5, is_global: bool = False, times: int = 1
    ) -> ScheduledFault:
        """Answers the next ``times`` matching requests with 429 and ``retry_after``."""
        fault = ScheduledFault("429", route, times, retry_after=retry_after, is_global=is_global)
        self.scheduled.append(fault)
        return fault

    def drop_connection(
        self, route: str | None = None, *, times: int = 1, after_processing: bool = False
    ) -> ScheduledFault:
        """Closes the connection of the next ``times`` matching requests without answering; with
        ``after_processing`` the request is carried out first (the client cannot tell whether it
        was), otherwise it is not."""
        fault = ScheduledFault("drop_after" if after_processing else "drop", route, times)
        self.scheduled.append(fault)
        return fault

    def server_error(self, route: str | None = None, *, status: int = 500, times: int = 1) -> ScheduledFault:
        """Answers the next ``times`` matching requests with ``status`` (500 to 599) and Discord's
        JSON error body, without carrying them out."""
        if not 500 <= status <= 599:
            raise ValueError(f"a server error status is 500 to 599, not {status}")
        fault = ScheduledFault("5xx", route, times, status=status)
        self.scheduled.append(fault)
        return fault

    def take(self, route: str) -> ScheduledFault | None:
        for fault in self.scheduled:
            if fault.hits < fault.times and fault.route in (None, route):
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        self.latency = 0.0
        self.scheduled.clear()
        self.global_blocked_until = 0.0

"""Limits Discord counts per bot, whatever process or machine the requests come from.

- :class:`IdentifyLimits`: ``session_start_limit`` of ``GET /gateway/bot`` (daily budget and
  ``max_concurrency``), and one IDENTIFY per bucket (``shard_id % max_concurrency``) per window
  (Discord's is 5 s); an IDENTIFY past that is answered as Discord does, with op 9 INVALID_SESSION.
- :class:`GlobalRateLimit`: the global REST limit (Discord's is 50 requests per second), answered
  with a 429 that says ``global: true``.
- :class:`InvalidRequestCounter`: the 401, 403 and 429 answers Discord counts towards its
  invalid-request ban (10,000 per 10 minutes).

All three are off or unlimited by default, so that a test bot that skips discord.py's identify
pause still connects; a test or the standalone emulator switches them on with ``configure``.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .http_utils import json_response

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = [
    "DAY_MS",
    "GlobalRateLimit",
    "IdentifyLimits",
    "IdentifyRecord",
    "InvalidRequestCounter",
    "add_limit_routes",
]

DAY_MS = 86_400_000


@dataclass(frozen=True)
class IdentifyRecord:
    """One IDENTIFY the gateway received; ``accepted`` is False when it was invalidated."""

    at: float  # time.monotonic()
    shard_id: int
    shard_count: int
    bucket: int
    accepted: bool
    reason: str = ""


@dataclass
class IdentifyLimits:
    """Discord's session-start rules. ``enforced`` turns the window and the budget on."""

    max_concurrency: int = 1
    window: float = 5.0
    total: int = 1000
    remaining: int = 1000
    enforced: bool = False
    reset_at: float = field(default_factory=lambda: time.monotonic() + DAY_MS / 1000)
    log: list[IdentifyRecord] = field(default_factory=list)
    _last_in_bucket: dict[int, float] = field(default_factory=dict)

    def configure(
        self,
        *,
        max_concurrency: int | None = None,
        window: float | None = None,
        total: int | None = None,
        remaining: int | None = None,
        enforced: bool = True,
    ) -> None:
        """Sets the rules (unchanged when ``None``) and turns enforcement on (or off)."""
        if max_concurrency is not None:
            if max_concurrency < 1:
                raise ValueError("max_concurrency must be at least 1")
            self.max_concurrency = max_concurrency
        if window is not None:
            if window < 0:
                raise ValueError("the identify window must be 0 seconds or more")
            self.window = window
        if total is not None:
            self.total = total
            self.remaining = min(self.remaining, total) if remaining is None else remaining
        elif remaining is not None:
            self.remaining = remaining
        self.enforced = enforced

    def session_start_limit(self) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``."""
        self._maybe_reset(time.monotonic())
        return {
            "total": self.total,
            "remaining": max(self.remaining, 0),
            "reset_after": max(int((self.reset_at - time.monotonic()) * 1000), 0),
            "max_concurrency": self.max_concurrency,
        }

    def admit(self, shard_id: int, shard_count: int) -> str | None:
        """Records an IDENTIFY; returns why it is refused, or ``None`` when it is accepted."""
        now = time.monotonic()
        self._maybe_reset(now)
        bucket = shard_id % self.max_concurrency
        reason: str | None = None
        if self.enforced:
            last = self._last_in_bucket.get(bucket)
            if self.remaining <= 0:
                reason = "session start limit exhausted"
            elif last is not None and now - last < self.window:
                reason = f"bucket {bucket} identified {now - last:.3f}s ago (window {self.window}s)"
        if reason is None:
            self._last_in_bucket[bucket] = now
            self.remaining -= 1
        self.log.append(IdentifyRecord(now, shard_id, shard_count, bucket, reason is None, reason or ""))
        return reason

    @property
    def invalidated(self) -> list[IdentifyRecord]:
        """The IDENTIFYs answered with INVALID_SESSION."""
        return [r for r in self.log if not r.accepted]

    def most_in_one_window(self) -> int:
        """The largest number of accepted IDENTIFYs that arrived within any one window."""
        times = [r.at for r in self.log if r.accepted]
        best = 0
        start = 0
        for end, at in enumerate(times):
            while at - times[start] >= self.window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _maybe_reset(self, now: float) -> None:
        if now >= self.reset_at:
            self.remaining = self.total
            self.reset_at = now + DAY_MS / 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "enforced": self.enforced,
            "window": self.window,
            "session_start_limit": self.session_start_limit(),
            "identifies": len(self.log),
            "invalidated": len(self.invalidated),
            "most_in_one_window": self.most_in_one_window(),
            "log": [
                {"shard_id": r.shard_id, "shard_count": r.shard_count, "bucket": r.bucket,
                 "accepted": r.accepted, "reason": r.reason, "at": r.at}
                for r in self.log
            ],
        }  # fmt: skip


@dataclass
class GlobalRateLimit:
    """At most ``per_second`` authenticated requests in any one second (``None``: no limit)."""

    per_second: int | None = None
    admitted: int = 0
    rejected: int = 0
    _times: deque[float] = field(default_factory=deque)

    def take(self, now: float) -> float:
        """Spends one request; returns 0 when admitted, else the seconds until one is free."""
        if self.per_second is None:
            self.admitted += 1
            return 0.0
        times = self._times
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= self.per_second:
            self.rejected += 1
            return max(1.0 - (now - times[0]), 0.001)
        times.append(now)
        self.admitted += 1
        return 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"per_second": self.per_second, "admitted": self.admitted, "rejected": self.rejected}


@dataclass
class InvalidRequestCounter:
    """How many 401, 403 and 429 answers went out (shared-scope 429s excepted, as Discord does)."""

    counts: Counter[int] = field(default_factory=Counter)

    def observe(self, status: int, scope: str | None = None) -> None:
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self.counts[status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, **{str(status): n for status, n in sorted(self.counts.items())}}


def add_limit_routes(app: web.Application, emu: DiscordEmulator, prefix: str = "/_zoryx") -> None:
    """``GET /_zoryx/limits`` reports the three; ``POST /_zoryx/limits`` sets them, with a JSON
    object of any of ``max_concurrency``, ``identify_window``, ``session_start_total``,
    ``session_start_remaining``, ``enforce_identify`` and ``global_per_second`` (null: no limit)."""

    async def report(request: web.Request) -> web.Response:
        return json_response(
            {
                "identify": emu.identify_limits.as_dict(),
                "global": emu.global_limit.as_dict(),
                "invalid_requests": emu.invalid_requests.as_dict(),
            }
        )

    async def configure(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        try:
            emu.identify_limits.configure(
                max_concurrency=_optional_int(body, "max_concurrency"),
                window=float(body["identify_window"]) if "identify_window" in body else None,
                total=_optional_int(body, "session_start_total"),
                remaining=_optional_int(body, "session_start_remaining"),
                enforced=bool(body.get("enforce_identify", True)),
            )
            if "global_per_second" in body:
                emu.global_limit.per_second = _optional_int(body, "global_per_second")
        except (TypeError, ValueError) as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        return await report(request)

    app.router.add_get(prefix + "/limits", report)
    app.router.add_post(prefix + "/limits", configure)


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer, not {value!r}")
    return value

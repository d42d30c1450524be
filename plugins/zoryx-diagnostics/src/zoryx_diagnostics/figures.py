"""The diagnostics report as typed, immutable data, and its JSON form (``to_dict`` / ``from_dict``).

Every float that is not finite (a latency before the first heartbeat, say) becomes ``None`` in
JSON, so the report file is always strict JSON. ``from_dict`` accepts what older or partial
entries hold: a missing figure reads as ``None`` (or zero, or empty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "REPORT_FORMAT",
    "BotFigures",
    "DatabaseHealth",
    "DiagnosticsReport",
    "HealthEntry",
    "LagFigures",
    "LatencyFigures",
    "PluginLoad",
    "RateFigures",
    "ShardLatency",
    "Status",
    "SystemFigures",
    "finite",
]

REPORT_FORMAT = 1
"""Version of the report's JSON shape."""

Status = Literal["healthy", "degraded"]


def finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite(float(value))


def _float(data: Mapping[str, Any], key: str) -> float:
    return _opt_float(data, key) or 0.0


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    return _opt_int(data, key) or 0


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _map(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _maps(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _numbers(data: Mapping[str, Any], key: str) -> dict[str, float]:
    return {
        str(name): float(number)
        for name, number in _map(data, key).items()
        if isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    }


@dataclass(frozen=True)
class SystemFigures:
    """The process and the machine (``None`` where the platform would not tell)."""

    cpu_percent: float | None
    """The bot process's CPU use since the previous sample (100 = one core busy)."""
    memory_rss_bytes: int | None
    memory_percent: float | None
    """The process's resident memory as a share of the machine's memory."""
    threads: int | None
    machine_cpu_percent: float | None
    machine_memory_percent: float | None
    pid: int
    python_version: str
    python_implementation: str
    platform: str
    architecture: str
    discord_py_version: str
    zoryx_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu_percent": finite(self.cpu_percent),
            "memory_rss_bytes": self.memory_rss_bytes,
            "memory_percent": finite(self.memory_percent),
            "threads": self.threads,
            "machine_cpu_percent": finite(self.machine_cpu_percent),
            "machine_memory_percent": finite(self.machine_memory_percent),
            "pid": self.pid,
            "python_version": self.python_version,
            "python_implementation": self.python_implementation,
            "platform": self.platform,
            "architecture": self.architecture,
            "discord_py_version": self.discord_py_version,
            "zoryx_version": self.zoryx_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemFigures:
        return cls(
            cpu_percent=_opt_float(data, "cpu_percent"),
            memory_rss_bytes=_opt_int(data, "memory_rss_bytes"),
            memory_percent=_opt_float(data, "memory_percent"),
            threads=_opt_int(data, "threads"),
            machine_cpu_percent=_opt_float(data, "machine_cpu_percent"),
            machine_memory_percent=_opt_float(data, "machine_memory_percent"),
            pid=_int(data, "pid"),
            python_version=_str(data, "python_version"),
            python_implementation=_str(data, "python_implementation"),
            platform=_str(data, "platform"),
            architecture=_str(data, "architecture"),
            discord_py_version=_str(data, "discord_py_version"),
            zoryx_version=_str(data, "zoryx_version"),
        )


@dataclass(frozen=True)
class BotFigures:
    """What the bot sees and has done since it started."""

    uptime_seconds: float
    guilds: int
    members: int
    """Sum of the guilds' member counts."""
    cached_users: int
    channels: int
    shards: int
    messages_seen: int
    commands_run: int
    command_errors: int
    prefix_commands: int
    """Top-level text commands (hybrid ones included)."""
    slash_commands: int
    """Global slash commands in the command tree (hybrid ones included)."""
    context_menus: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "uptime_seconds": finite(self.uptime_seconds),
            "guilds": self.guilds,
            "members": self.members,
            "cached_users": self.cached_users,
            "channels": self.channels,
            "shards": self.shards,
            "messages_seen": self.messages_seen,
            "commands_run": self.commands_run,
            "command_errors": self.command_errors,
            "prefix_commands": self.prefix_commands,
            "slash_commands": self.slash_commands,
            "context_menus": self.context_menus,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotFigures:
        return cls(
            uptime_seconds=_float(data, "uptime_seconds"),
            guilds=_int(data, "guilds"),
            members=_int(data, "members"),
            cached_users=_int(data, "cached_users"),
            channels=_int(data, "channels"),
            shards=_int(data, "shards"),
            messages_seen=_int(data, "messages_seen"),
            commands_run=_int(data, "commands_run"),
            command_errors=_int(data, "command_errors"),
            prefix_commands=_int(data, "prefix_commands"),
            slash_commands=_int(data, "slash_commands"),
            context_menus=_int(data, "context_menus"),
        )


@dataclass(frozen=True)
class RateFigures:
    """Commands and errors over the sliding window."""

    window_seconds: float
    completed: int
    failures: int
    """Commands that raised unexpectedly (bugs, outages)."""
    user_errors: int
    """Refusals, bad arguments, cooldowns: the user's mistake, not the bot's."""
    counted: int
    """Commands the error rate is taken over (user errors only when they count)."""
    error_rate: float
    per_minute: float
    """Commands of every outcome per minute over the window (or the uptime, when shorter)."""
    min_commands: int
    threshold: float

    @property
    def meaningful(self) -> bool:
        """Whether enough commands ran for the error rate to count."""
        return self.counted >= self.min_commands

    @property
    def over_threshold(self) -> bool:
        return self.meaningful and self.error_rate > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_seconds": finite(self.window_seconds),
            "completed": self.completed,
            "failures": self.failures,
            "user_errors": self.user_errors,
            "counted": self.counted,
            "error_rate": finite(self.error_rate),
            "per_minute": finite(self.per_minute),
            "min_commands": self.min_commands,
            "threshold": finite(self.threshold),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateFigures:
        return cls(
            window_seconds=_float(data, "window_seconds"),
            completed=_int(data, "completed"),
            failures=_int(data, "failures"),
            user_errors=_int(data, "user_errors"),
            counted=_int(data, "counted"),
            error_rate=_float(data, "error_rate"),
            per_minute=_float(data, "per_minute"),
            min_commands=_int(data, "min_commands"),
            threshold=_float(data, "threshold"),
        )


@dataclass(frozen=True)
class LagFigures:
    """Event-loop lag: how late the sampler woke up, in milliseconds."""

    interval_seconds: float
    window_seconds: float
    threshold_ms: float
    current_ms: float | None
    """The last sample."""
    recent_max_ms: float | None
    """The largest sample within the lag window."""
    worst_ms: float | None
    """The largest sample since the plugin started."""
    worst_at: float | None
    """When the worst sample was taken (Unix time)."""
    samples: int

    @property
    def over_threshold(self) -> bool:
        return self.recent_max_ms is not None and self.recent_max_ms > self.threshold_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_seconds": finite(self.interval_seconds),
            "window_seconds": finite(self.window_seconds),
            "threshold_ms": finite(self.threshold_ms),
            "current_ms": finite(self.current_ms),
            "recent_max_ms": finite(self.recent_max_ms),
            "worst_ms": finite(self.worst_ms),
            "worst_at": finite(self.worst_at),
            "samples": self.samples,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LagFigures:
        return cls(
            interval_seconds=_float(data, "interval_seconds"),
            window_seconds=_float(data, "window_seconds"),
            threshold_ms=_float(data, "threshold_ms"),
            current_ms=_opt_float(data, "current_ms"),
            recent_max_ms=_opt_float(data, "recent_max_ms"),
            worst_ms=_opt_float(data, "worst_ms"),
            worst_at=_opt_float(data, "worst_at"),
            samples=_int(data, "samples"),
        )


@dataclass(frozen=True)
class ShardLatency:
    shard_id: int
    latency_ms: float | None
    """``None`` until the shard's first heartbeat is acknowledged."""


@dataclass(frozen=True)
class LatencyFigures:
    """Gateway heartbeat latency."""

    average_ms: float | None
    shards: tuple[ShardLatency, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "average_ms": finite(self.average_ms),
            "shards": [{"shard_id": s.shard_id, "latency_ms": finite(s.latency_ms)} for s in self.shards],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencyFigures:
        shards = tuple(
            ShardLatency(_int(item, "shard_id"), _opt_float(item, "latency_ms"))
            for item in _maps(data, "shards")
        )
        return cls(average_ms=_opt_float(data, "average_ms"), shards=shards)


@dataclass(frozen=True)
class PluginLoad:
    """One plugin as the host recorded it."""

    name: str
    kind: str
    status: str
    version: str | None
    load_time_ms: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "version": self.version,
            "load_time_ms": finite(self.load_time_ms),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PluginLoad:
        return cls(
            name=_str(data, "name"),
            kind=_str(data, "kind"),
            status=_str(data, "status"),
            version=_str(data, "version") or None,
            load_time_ms=_opt_float(data, "load_time_ms"),
            reason=_str(data, "reason"),
        )


@dataclass(frozen=True)
class DatabaseHealth:
    """main.db answered a check (SQLite's quick_check, or a plain query), plus pool and cache figures."""

    ok: bool
    detail: str
    check_ms: float | None
    pool: dict[str, float] = field(default_factory=dict)
    json_cache: dict[str, float] = field(default_factory=dict)
    guild_databases: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "detail": self.detail,
            "check_ms": finite(self.check_ms),
            "pool": {key: finite(value) for key, value in self.pool.items()},
            "json_cache": {key: finite(value) for key, value in self.json_cache.items()},
            "guild_databases": self.guild_databases,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatabaseHealth:
        return cls(
            ok=data.get("ok") is True,
            detail=_str(data, "detail"),
            check_ms=_opt_float(data, "check_ms"),
            pool=_numbers(data, "pool"),
            json_cache=_numbers(data, "json_cache"),
            guild_databases=_opt_int(data, "guild_databases"),
        )


@dataclass(frozen=True)
class HealthEntry:
    """One plugin health check's answer (``zoryx_health_check``)."""

    plugin: str | None
    name: str
    status: str
    """``healthy``, ``degraded`` or ``unhealthy``."""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "name": self.name, "status": self.status, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HealthEntry:
        return cls(
            plugin=_str(data, "plugin") or None,
            name=_str(data, "name"),
            status=_str(data, "status"),
            detail=_str(data, "detail"),
        )


@dataclass(frozen=True)
class DiagnosticsReport:
    """Everything ``diagnostics`` shows, at one moment."""

    generated_at: float
    """Unix time."""
    status: Status
    reasons: tuple[str, ...]
    """Why the status is degraded (empty when healthy)."""
    system: SystemFigures
    bot: BotFigures
    rates: RateFigures
    lag: LagFigures
    latency: LatencyFigures
    plugins: tuple[PluginLoad, ...]
    database: DatabaseHealth
    health: tuple[HealthEntry, ...]

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"

    def to_dict(self) -> dict[str, Any]:
        """The report as strict JSON data (one entry of the history file)."""
        return {
            "format": REPORT_FORMAT,
            "generated_at": self.generated_at,
            "status": self.status,
            "reasons": list(self.reasons),
            "system": self.system.to_dict(),
            "bot": self.bot.to_dict(),
            "rates": self.rates.to_dict(),
            "lag": self.lag.to_dict(),
            "latency": self.latency.to_dict(),
            "plugins": [plugin.to_dict() for plugin in self.plugins],
            "database": self.database.to_dict(),
            "health": [entry.to_dict() for entry in self.health],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiagnosticsReport:
        """A report read back from the history file."""
        reasons = data.get("reasons")
        return cls(
            generated_at=_float(data, "generated_at"),
            status="degraded" if data.get("status") == "degraded" else "healthy",
            reasons=tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
            system=SystemFigures.from_dict(_map(data, "system")),
            bot=BotFigures.from_dict(_map(data, "bot")),
            rates=RateFigures.from_dict(_map(data, "rates")),
            lag=LagFigures.from_dict(_map(data, "lag")),
            latency=LatencyFigures.from_dict(_map(data, "latency")),
            plugins=tuple(PluginLoad.from_dict(item) for item in _maps(data, "plugins")),
            database=DatabaseHealth.from_dict(_map(data, "database")),
            health=tuple(HealthEntry.from_dict(item) for item in _maps(data, "health")),
        )

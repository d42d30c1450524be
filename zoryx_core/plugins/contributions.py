"""Objects plugins hand back to the host: health results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["HealthResult", "HealthStatus"]

HealthStatus = Literal["healthy", "degraded", "unhealthy"]


@dataclass(frozen=True)
class HealthResult:
    """One health check's verdict; ``plugin`` is filled in by the host."""

    name: str
    status: HealthStatus
    detail: str = ""
    plugin: str | None = None

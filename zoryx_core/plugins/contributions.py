"""Objects plugins hand back to the host: health results and CLI commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["CliCommand", "HealthResult", "HealthStatus"]

HealthStatus = Literal["healthy", "degraded", "unhealthy"]


@dataclass(frozen=True)
class HealthResult:
    """One health check's verdict; ``plugin`` is filled in by the host."""

    name: str
    status: HealthStatus
    detail: str = ""
    plugin: str | None = None


@dataclass(frozen=True)
class CliCommand:
    """A ``zoryx`` sub-command contributed by a plugin.

    ``configure`` adds arguments to the sub-command's parser; ``run`` receives the parsed
    arguments and returns the process exit code.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None

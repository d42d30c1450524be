"""The structured result of trying to load a plugin."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .metadata import PluginSpec

__all__ = ["PluginOutcome", "PluginStatus"]


class PluginStatus(StrEnum):
    """Where a plugin ended: loaded, failed (it was tried and broke) or skipped (never tried)."""

    LOADED = "loaded"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNLOADED = "unloaded"
    AVAILABLE = "available"
    """Imported and checked by `zoryx plugins`, not set up (no bot running)."""


@dataclass
class PluginOutcome:
    """A plugin's state as the host sees it: its metadata, status, reason and timings."""

    spec: PluginSpec
    status: PluginStatus
    reason: str = ""
    traceback: str | None = None
    load_time: float | None = None
    """Seconds from import to the end of set-up, for the last successful load."""
    hooks: tuple[str, ...] = ()
    last_reload_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (``zoryx plugins --json``)."""
        return {
            "name": self.spec.name,
            "kind": self.spec.kind,
            "version": self.spec.version,
            "summary": self.spec.summary,
            "author": self.spec.author,
            "module": self.spec.module,
            "editable": self.spec.editable,
            "status": self.status.value,
            "reason": self.reason,
            "traceback": self.traceback,
            "load_time": self.load_time,
            "hooks": list(self.hooks),
            "dependencies": [str(req) for req in self.spec.plugin_requirements],
            "requires_core": str(self.spec.core_requirement) if self.spec.core_requirement else None,
            "last_reload_error": self.last_reload_error,
        }

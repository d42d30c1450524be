"""What a restore did, item by item (:class:`RestoreReport`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .options import Component, RestoreOptions

__all__ = ["DiscordFailure", "ItemResult", "Outcome", "RestoreReport"]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DiscordFailure:
    """Discord's answer to a refused request: HTTP status, JSON error code and message."""

    status: int
    code: int
    message: str

    def __str__(self) -> str:
        return f"{self.status} (code {self.code}): {self.message}"


@dataclass(frozen=True, slots=True)
class ItemResult:
    component: Component
    name: str
    outcome: Outcome
    detail: str = ""
    """What changed, why it was skipped, or why it failed."""
    error: DiscordFailure | None = None
    """Discord's error when Discord refused it."""
    source_id: int | None = None
    new_id: int | None = None
    """The id of what was created."""
    retries: int = 0
    """Requests of this item sent again after a transient failure (429, 5xx, dropped
    connection, timeout)."""


@dataclass(frozen=True, slots=True)
class RestoreReport:
    backup_id: int
    guild_id: int
    options: RestoreOptions
    started_at: datetime
    finished_at: datetime
    items: tuple[ItemResult, ...]
    id_map: Mapping[int, int] = field(default_factory=dict)
    """Snapshot ids -> ids in the server after the restore (roles, channels and the server)."""

    def counts(self) -> dict[Component, dict[Outcome, int]]:
        result: dict[Component, dict[Outcome, int]] = {}
        for item in self.items:
            per = result.setdefault(item.component, {o: 0 for o in Outcome})
            per[item.outcome] += 1
        return result

    def with_outcome(self, outcome: Outcome) -> list[ItemResult]:
        return [i for i in self.items if i.outcome == outcome]

    @property
    def failed(self) -> list[ItemResult]:
        return self.with_outcome(Outcome.FAILED)

    @property
    def ok(self) -> bool:
        """True when nothing failed (skipped items do not count as failures)."""
        return not self.failed

    @property
    def retried(self) -> list[ItemResult]:
        """Items that needed at least one retry (whatever their outcome)."""
        return [i for i in self.items if i.retries]

    def retry_line(self) -> str:
        """``"3 items needed retries (5 requests sent again); 1 still failed"``, or ``""``."""
        retried = self.retried
        if not retried:
            return ""
        requests = sum(i.retries for i in retried)
        noun = "item needed retries" if len(retried) == 1 else "items needed retries"
        line = f"{len(retried)} {noun} ({requests} {'request' if requests == 1 else 'requests'} sent again)"
        still = sum(1 for i in retried if i.outcome == Outcome.FAILED)
        return f"{line}; {still} still failed" if still else line

    def summary(self) -> list[str]:
        """One line per component, e.g. ``"roles: 3 created, 1 updated, 36 unchanged, 1 failed"``."""
        lines = []
        for component, per in self.counts().items():
            parts = [f"{n} {o.value}" for o, n in per.items() if n]
            lines.append(f"{component.label}: " + ", ".join(parts))
        return lines

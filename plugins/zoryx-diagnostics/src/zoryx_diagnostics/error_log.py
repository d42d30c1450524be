"""The most recent command errors, kept in memory (bounded) for ``diagnostics errors``."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from zoryx_core.redact import redact_text

__all__ = ["CommandErrorRecord", "RecentErrors"]

MAX_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class CommandErrorRecord:
    """One command that raised."""

    at: float
    """Unix time."""
    command: str
    kind: str
    """``prefix``, ``hybrid``, ``slash`` or ``context_menu``."""
    error_type: str
    message: str
    user_error: bool
    """A refusal, bad argument or cooldown rather than a failure of the bot."""
    user_id: int
    guild_id: int | None
    plugin: str | None


class RecentErrors:
    """The last ``size`` command errors, newest first when read."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"the error log must keep at least 1 error, got {size}")
        self.size = size
        self.total = 0
        self._items: deque[CommandErrorRecord] = deque(maxlen=size)

    def add(self, record: CommandErrorRecord) -> None:
        """Keep ``record``, its message without URL credentials or query strings, and bounded."""
        record = replace(record, message=redact_text(record.message))
        if len(record.message) > MAX_MESSAGE_CHARS:
            record = replace(record, message=record.message[: MAX_MESSAGE_CHARS - 1] + "…")
        self._items.append(record)
        self.total += 1

    def newest_first(self) -> list[CommandErrorRecord]:
        return list(reversed(self._items))

    def __len__(self) -> int:
        return len(self._items)

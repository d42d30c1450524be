"""What a restore may touch (:class:`RestoreOptions`) and how it reports progress."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import InvalidBackupInput

__all__ = ["ALL_COMPONENTS", "Component", "ProgressCallback", "RestoreOptions"]


class Component(StrEnum):
    """The parts of a server a restore can bring back, in the order a restore handles them."""

    ROLES = "roles"
    EMOJIS = "emojis"
    STICKERS = "stickers"
    CATEGORIES = "categories"
    CHANNELS = "channels"
    SERVER_SETTINGS = "server_settings"
    MEMBER_ROLES = "member_roles"
    BOT_SETTINGS = "bot_settings"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, name: str) -> Component:
        """A component from its name (``"member roles"``, ``"member_roles"``, case-insensitive)."""
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(c.value for c in cls)
            raise InvalidBackupInput(f"{name!r} is not a restore component; choose from {allowed}") from None


ALL_COMPONENTS: frozenset[Component] = frozenset(Component)

ProgressCallback = Callable[[str, int, int], Awaitable[None]]
"""``await progress(phase, done, total)``: ``phase`` is a :class:`Component` value, or
``"role_positions"`` / ``"channel_positions"`` for the bulk position changes; called when a phase
starts, every so often during it, and when it ends. Exceptions it raises are logged and do not
stop the restore."""


@dataclass(frozen=True, slots=True)
class RestoreOptions:
    """``components``: what to restore (all by default). ``role_sync``: also take away roles that
    members did not have at backup time (off by default; never roles at or above the bot's
    highest role, nor managed roles)."""

    components: frozenset[Component] = field(default=ALL_COMPONENTS)
    role_sync: bool = False
    reason: str = "zoryx-backup restore"
    """Written to the server's audit log with every change."""

    @classmethod
    def of(
        cls, components: Iterable[Component | str] | None = None, *, role_sync: bool = False
    ) -> RestoreOptions:
        """Options from component names (``None``: every component)."""
        if components is None:
            return cls(role_sync=role_sync)
        chosen = frozenset(c if isinstance(c, Component) else Component.parse(c) for c in components)
        if not chosen:
            raise InvalidBackupInput("choose at least one component to restore")
        return cls(components=chosen, role_sync=role_sync)

    def includes(self, component: Component) -> bool:
        return component in self.components

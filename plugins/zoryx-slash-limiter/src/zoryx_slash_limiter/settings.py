"""The limiter's settings: declared for ``zoryx_settings`` and read into one checked object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from zoryx_core import Setting

__all__ = ["DISCORD_LIMIT", "SETTINGS", "LimiterSettings", "ThresholdError"]

DISCORD_LIMIT = 100
"""Discord's cap on global chat-input commands (and on each guild's)."""

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "max_limit",
        DISCORD_LIMIT,
        "int",
        "Discord's hard limit on global slash commands (the 100% of the usage bar); leave it at 100.",
        minimum=1,
        maximum=DISCORD_LIMIT,
    ),
    Setting(
        "warning_threshold",
        90,
        "int",
        "Global slash commands at which a warning is logged (once per crossing) and shown in slashlimit.",
        minimum=0,
        maximum=DISCORD_LIMIT,
    ),
    Setting(
        "safe_limit",
        95,
        "int",
        "Global slash commands kept at most; commands loaded beyond it become prefix-only.",
        minimum=0,
        maximum=DISCORD_LIMIT,
    ),
    Setting(
        "prefix_only_plugins",
        [],
        "list[str]",
        "Plugins whose commands are always prefix-only (their slash forms are never registered).",
    ),
)


class ThresholdError(ValueError):
    """The thresholds are out of order (the message names the values and the rule)."""


@dataclass(frozen=True)
class LimiterSettings:
    """The checked settings: ``warning_threshold <= safe_limit <= max_limit <= 100``."""

    max_limit: int = DISCORD_LIMIT
    warning_threshold: int = 90
    safe_limit: int = 95
    prefix_only_plugins: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        values = (self.warning_threshold, self.safe_limit, self.max_limit)
        if not self.warning_threshold <= self.safe_limit <= self.max_limit <= DISCORD_LIMIT:
            raise ThresholdError(
                "the slash limiter's thresholds must satisfy warning_threshold <= safe_limit <= "
                f"max_limit <= {DISCORD_LIMIT}; got warning_threshold={values[0]}, "
                f"safe_limit={values[1]}, max_limit={values[2]}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LimiterSettings:
        """Read ``plugin.settings`` (already validated key by key by the core)."""
        return cls(
            max_limit=int(values["max_limit"]),
            warning_threshold=int(values["warning_threshold"]),
            safe_limit=int(values["safe_limit"]),
            prefix_only_plugins=_names(values["prefix_only_plugins"]),
        )

    def is_prefix_only_plugin(self, plugin: str | None) -> bool:
        """Whether ``plugin`` is listed in ``prefix_only_plugins`` (names compared canonically)."""
        if plugin is None:
            return False
        return plugin in self.prefix_only_plugins or _canonical(plugin) in self.prefix_only_plugins


def _canonical(name: str) -> str:
    return str(canonicalize_name(name))


def _names(raw: Iterable[str]) -> frozenset[str]:
    names: set[str] = set()
    for name in raw:
        text = str(name).strip()
        if text:
            names.update((text, _canonical(text)))
    return frozenset(names)

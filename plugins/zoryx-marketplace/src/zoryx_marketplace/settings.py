"""The plugin's own settings (``plugin_settings.zoryx-marketplace.*``); the marketplace itself (catalog,
index, cache, timeouts) is configured by zoryx-core's ``marketplace.*`` settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = ["SETTINGS", "MarketplaceUiSettings"]

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "menu_timeout",
        180.0,
        "float",
        "Seconds the marketplace menu's controls stay usable after the last click.",
        minimum=10,
        maximum=3600,
    ),
    Setting(
        "confirm_timeout",
        60.0,
        "float",
        "Seconds a confirmation (install, update, uninstall, fixdeps) or the terms waits for an answer.",
        minimum=5,
        maximum=900,
    ),
    Setting(
        "pip_isolated",
        True,
        "bool",
        "Run pip isolated: no pip.conf, no PIP_* variables, only marketplace.index_url. Turning it off "
        "lets pip.conf's extra-index-url (dependency confusion) back in.",
    ),
)
"""Every setting of the plugin, under ``plugin_settings.zoryx-marketplace`` in config.json."""


@dataclass(frozen=True)
class MarketplaceUiSettings:
    """The validated plugin settings, typed."""

    menu_timeout: float = 180.0
    confirm_timeout: float = 60.0
    pip_isolated: bool = True

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> MarketplaceUiSettings:
        """From the plugin's settings as the host hands them over (already validated)."""
        return cls(
            menu_timeout=float(values.get("menu_timeout", cls.menu_timeout)),
            confirm_timeout=float(values.get("confirm_timeout", cls.confirm_timeout)),
            pip_isolated=bool(values.get("pip_isolated", cls.pip_isolated)),
        )

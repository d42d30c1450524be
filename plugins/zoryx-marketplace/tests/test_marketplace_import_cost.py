"""Loading zoryx-marketplace stays cheap: the installer (and the wheel audit, the catalog builder, the
HTTP client under it), the menu and the operations (with their embeds, prompts and result types) are
imported when an operation or a command first needs them. A module-level import that brings one back
fails here (each check runs in a fresh interpreter)."""

from __future__ import annotations

import zoryx_marketplace

from zoryx_core.testing.import_cost import modules_after_start

DEFERRED = frozenset(
    {
        "marketplace_client.audit",
        "marketplace_client.build",
        "marketplace_client.client",
        "marketplace_client.environment",
        "marketplace_client.http",
        "marketplace_client.installer",
        "marketplace_client.results",
        "marketplace_client.wheel",
        "zoryx_marketplace.menu",
        "zoryx_marketplace.operations",
        "zoryx_marketplace.progress",
        "zoryx_marketplace.prompts",
        "zoryx_marketplace.render",
    }
)
"""Imported when a command (or a rare path) first needs them, never by starting the plugin."""


def test_starting_the_plugin_leaves_the_deferred_modules_unimported() -> None:
    started = modules_after_start("zoryx-marketplace")
    assert started.loaded == ("zoryx-marketplace",)
    assert "zoryx_marketplace.cog" in started.modules  # the plugin really started
    assert sorted(DEFERRED & started.modules) == []


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_marketplace.__all__ if not hasattr(zoryx_marketplace, name)]
    assert missing == []
    assert set(zoryx_marketplace.__all__) <= set(dir(zoryx_marketplace))

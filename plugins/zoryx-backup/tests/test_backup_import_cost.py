"""Loading zoryx-backup stays cheap: its snapshot model and codec, planner, diff, capture, restore
engine, renderers and dashboard are imported by the commands that use them. A module-level import
that brings one back fails here (each check runs in a fresh interpreter)."""

from __future__ import annotations

import zoryx_backup

from zoryx_core.testing.import_cost import modules_after_start

DEFERRED = frozenset(
    {
        "zoryx_backup.capture",
        "zoryx_backup.codec",
        "zoryx_backup.dashboard",
        "zoryx_backup.diffing",
        "zoryx_backup.matching",
        "zoryx_backup.models",
        "zoryx_backup.planner",
        "zoryx_backup.render",
        "zoryx_backup.restore",
        "zoryx_backup.restore_flow",
        "zoryx_backup.retry",
    }
)
"""Imported when a command (or a rare path) first needs them, never by starting the plugin."""


def test_starting_the_plugin_leaves_the_deferred_modules_unimported() -> None:
    started = modules_after_start("zoryx-backup")
    assert started.loaded == ("zoryx-backup",)
    assert "zoryx_backup.cog" in started.modules  # the plugin really started
    assert sorted(DEFERRED & started.modules) == []


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_backup.__all__ if not hasattr(zoryx_backup, name)]
    assert missing == []
    assert set(zoryx_backup.__all__) <= set(dir(zoryx_backup))

"""Loading zoryx-diagnostics stays cheap: the report embeds and pages are imported by the commands that
show them, and psutil (~10 ms) by the first CPU reading, once the bot is ready. A module-level import
that brings one back fails here (each check runs in a fresh interpreter)."""

from __future__ import annotations

import zoryx_diagnostics

from zoryx_core.testing.import_cost import modules_after_start

DEFERRED = frozenset(
    {
        "zoryx_diagnostics.render",
        "psutil",
    }
)
"""Imported when a command (or a rare path) first needs them, never by starting the plugin."""


def test_starting_the_plugin_leaves_the_deferred_modules_unimported() -> None:
    started = modules_after_start("zoryx-diagnostics")
    assert started.loaded == ("zoryx-diagnostics",)
    assert "zoryx_diagnostics.cog" in started.modules  # the plugin really started
    assert sorted(DEFERRED & started.modules) == []


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_diagnostics.__all__ if not hasattr(zoryx_diagnostics, name)]
    assert missing == []
    assert set(zoryx_diagnostics.__all__) <= set(dir(zoryx_diagnostics))

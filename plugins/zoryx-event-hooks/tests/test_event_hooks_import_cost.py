"""Loading zoryx-event-hooks stays cheap: the pages of ``hooks`` and ``hookhistory`` are imported by
those commands. A module-level import that brings one back fails here (each check runs in a fresh
interpreter)."""

from __future__ import annotations

import zoryx_event_hooks

from zoryx_core.testing.import_cost import modules_after_start

DEFERRED = frozenset(
    {
        "zoryx_event_hooks.render",
    }
)
"""Imported when a command (or a rare path) first needs them, never by starting the plugin."""


def test_starting_the_plugin_leaves_the_deferred_modules_unimported() -> None:
    started = modules_after_start("zoryx-event-hooks")
    assert started.loaded == ("zoryx-event-hooks",)
    assert "zoryx_event_hooks.cog" in started.modules  # the plugin really started
    assert sorted(DEFERRED & started.modules) == []


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_event_hooks.__all__ if not hasattr(zoryx_event_hooks, name)]
    assert missing == []
    assert set(zoryx_event_hooks.__all__) <= set(dir(zoryx_event_hooks))

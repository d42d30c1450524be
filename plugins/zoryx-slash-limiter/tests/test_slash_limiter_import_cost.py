"""Loading zoryx-slash-limiter stays cheap: the pages of ``slashlimit`` are imported by that command. A
module-level import that brings one back fails here (each check runs in a fresh interpreter)."""

from __future__ import annotations

import zoryx_slash_limiter

from zoryx_core.testing.import_cost import modules_after_start

DEFERRED = frozenset(
    {
        "zoryx_slash_limiter.render",
    }
)
"""Imported when a command (or a rare path) first needs them, never by starting the plugin."""


def test_starting_the_plugin_leaves_the_deferred_modules_unimported() -> None:
    started = modules_after_start("zoryx-slash-limiter")
    assert started.loaded == ("zoryx-slash-limiter",)
    assert "zoryx_slash_limiter.cog" in started.modules  # the plugin really started
    assert sorted(DEFERRED & started.modules) == []


def test_every_public_name_is_there() -> None:
    missing = [name for name in zoryx_slash_limiter.__all__ if not hasattr(zoryx_slash_limiter, name)]
    assert missing == []
    assert set(zoryx_slash_limiter.__all__) <= set(dir(zoryx_slash_limiter))

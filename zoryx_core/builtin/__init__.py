"""The core's own features, written as plugins with the same public API third-party plugins use.

Each module here is a plugin (hook implementations, a ``zoryx_setup`` that adds a cog). They load
before installed plugins, are versioned with zoryx-core, and only ``plugins.disabled`` turns one
off (for example to replace the built-in help with your own).
"""

from __future__ import annotations

__all__ = ["BUILTIN_PLUGINS"]

BUILTIN_PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("core.help", "zoryx_core.builtin.help", "Interactive help menu with categories and pages."),
    ("core.info", "zoryx_core.builtin.info", "stats, extensions, about and shardinfo."),
    (
        "core.guild",
        "zoryx_core.builtin.guild_admin",
        "Per-server settings: setprefix, mentionprefix, serversettings, config (command grants).",
    ),
    (
        "core.plugins",
        "zoryx_core.builtin.plugin_admin",
        "Plugin registry and control: plugins, plugininfo, load, unload, reload, sync.",
    ),
    (
        "core.devtools",
        "zoryx_core.builtin.devtools",
        "Owner tools: cachestats, dbstats, integritycheck, cleanup, atomictest.",
    ),
    ("core.privacy", "zoryx_core.builtin.privacy", "mydata: a user's request to delete their data."),
    ("core.presence", "zoryx_core.builtin.presence", "The bot's status text, with optional rotation."),
)
"""``(plugin name, module, summary)`` of every built-in plugin, in load order."""

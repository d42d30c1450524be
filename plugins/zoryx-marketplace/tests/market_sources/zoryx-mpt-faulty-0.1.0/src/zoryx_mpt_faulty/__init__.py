"""A marketplace test plugin that imports fine and fails in its set-up."""

from __future__ import annotations

from zoryx_core import PluginContext, ZoryxBot, hookimpl


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    raise RuntimeError("zoryx-mpt-faulty cannot start: its set-up always fails")

"""A marketplace test plugin (carries a .pth file)."""

from __future__ import annotations

from zoryx_core import PluginContext, ZoryxBot, hookimpl

VERSION = "0.1.0"


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    return None

"""zoryx-hello: the smallest useful Zoryx plugin.

The module is the plugin: Zoryx imports it through the ``zoryx.plugins`` entry point and calls
the hook implementations below.
"""

from __future__ import annotations

from zoryx_core import HealthResult, PluginContext, Setting, ZoryxBot, hookimpl

from .cog import Hello

__all__ = ["Hello"]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return [
        Setting("greeting", "Hello", "str", "Word the bot greets with", min_length=1, max_length=40),
    ]


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(Hello(str(plugin.settings["greeting"])))


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> HealthResult:
    cog = bot.get_cog("Hello")
    if cog is None:
        return HealthResult("hello cog", "unhealthy", "the Hello cog is not registered")
    return HealthResult("hello cog", "healthy", "greeting ready")
